"""What a check is and what it returns.

A check is a function of the file's Facts that yields Findings; it is registered
with the codes it can emit so the engine runs only the checks a selection needs.
Messages are written beside the checks, in English and Simplified Chinese, and
say what happens at run time and what to do instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from mplint.facts import Facts
    from mplint.fixes import FixPlan


@dataclass(frozen=True, slots=True)
class Message:
    en: str
    zh: str

    def render(self, lang: str, params: Mapping[str, str]) -> str:
        template = self.zh if lang == "zh-CN" else self.en
        return template.format(**params)


@dataclass(slots=True)
class Finding:
    code: str
    node: cst.CSTNode
    params: Mapping[str, str] = field(default_factory=dict)
    fix: FixPlan | None = None


CheckFunction = Callable[["Facts"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    codes: tuple[str, ...]
    run: CheckFunction


REGISTRY: list[Check] = []
MESSAGES: dict[str, Message] = {}


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function for the codes it may emit."""

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY.append(Check(codes, function))
        return function

    return register


def messages(table: Mapping[str, Message]) -> None:
    MESSAGES.update(table)
