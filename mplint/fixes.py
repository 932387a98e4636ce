"""Autofixes: each fix names the nodes it touches and the source text that goes there.

Text edits are computed from positions only when a diagnostic is built, so a
file with no findings never pays for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange

from mplint.diagnostic import Applicability, Fix, TextEdit


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace the node's own span with ``text``."""

    node: cst.CSTNode
    text: str


@dataclass(frozen=True, slots=True)
class InsertLineBefore:
    """Insert ``text`` as a new line above the node's line, indented like that line."""

    node: cst.CSTNode
    text: str


Edit = Replace | InsertLineBefore


@dataclass(frozen=True, slots=True)
class FixPlan:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    def build(self, positions: Mapping[cst.CSTNode, CodeRange], lines: Sequence[str]) -> Fix | None:
        text_edits = []
        for edit in self.edits:
            where = positions.get(edit.node)
            if where is None:
                return None
            if isinstance(edit, Replace):
                text_edits.append(
                    TextEdit(
                        where.start.line,
                        where.start.column,
                        where.end.line,
                        where.end.column,
                        edit.text,
                    )
                )
            else:
                line = lines[where.start.line - 1] if where.start.line <= len(lines) else ""
                indent = line[: len(line) - len(line.lstrip())]
                text_edits.append(
                    TextEdit(where.start.line, 0, where.start.line, 0, f"{indent}{edit.text}\n")
                )
        return Fix(self.title, self.applicability, tuple(text_edits))
