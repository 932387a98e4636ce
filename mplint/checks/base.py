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
    from mplint.edits import FixPlan
    from mplint.facts import Facts


@dataclass(frozen=True, slots=True)
class Phrase:
    """A piece of a message that a check chooses (what was found, what to do), in both
    languages. Checks pass phrases and plain names as parameters, never translations of
    their own: the message table of the rule holds every sentence it can say."""

    en: str
    zh: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh-CN" else self.en

    def format(self, **params: str | Phrase) -> Phrase:
        """The phrase with its placeholders filled in, each language from its own side."""
        return Phrase(
            self.en.format(**_in_language("en", params)),
            self.zh.format(**_in_language("zh-CN", params)),
        )


def _in_language(lang: str, params: Mapping[str, str | Phrase]) -> dict[str, str]:
    return {
        key: value.text(lang) if isinstance(value, Phrase) else value
        for key, value in params.items()
    }


@dataclass(frozen=True, slots=True)
class Message:
    """A rule's message template; `{name}` placeholders take plain strings (code, names)
    or Phrases, which render in the message's language."""

    en: str
    zh: str

    def render(self, lang: str, params: Mapping[str, str | Phrase]) -> str:
        template = self.zh if lang == "zh-CN" else self.en
        return template.format(**_in_language(lang, params))


@dataclass(slots=True)
class Finding:
    code: str
    node: cst.CSTNode
    params: Mapping[str, str | Phrase] = field(default_factory=dict)
    fix: FixPlan | None = None
    # Which of the rule's messages applies, when the rule has several (see messages()).
    variant: str = ""


CheckFunction = Callable[["Facts"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    codes: tuple[str, ...]
    run: CheckFunction


REGISTRY: list[Check] = []
# code -> variant -> message; a rule with one message has the variant "".
MESSAGES: dict[str, dict[str, Message]] = {}


def check(*codes: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function for the codes it may emit."""

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY.append(Check(codes, function))
        return function

    return register


def messages(table: Mapping[str, Message | Mapping[str, Message]]) -> None:
    """Register each rule's message, or its named variants when what it says depends on
    what was found (a Finding names its variant)."""
    for code, entry in table.items():
        MESSAGES[code] = {"": entry} if isinstance(entry, Message) else dict(entry)


def render_message(finding: Finding, lang: str) -> str:
    return MESSAGES[finding.code][finding.variant].render(lang, finding.params)
