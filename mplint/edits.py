"""What a check plans as its fix: the nodes it touches and the text that goes there.

This is the checks' vocabulary, and it depends on nothing but libcst and the
diagnostic types: a check builds a ``FixPlan``; the engine turns the plan into a
``Fix`` of text edits (``FixPlan.build``) only when someone asks for it. Applying
fixes to a file and linting it again is ``mplint.fixes``, which the checks never import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange

from mplint.diagnostic import Applicability, Fix, TextEdit


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace the node's own span with ``text``. libcst's span of a parenthesized
    expression leaves out its parentheses; ``with_parentheses`` takes them too."""

    node: cst.CSTNode
    text: str | Callable[[], str]  # a function when the text is costly to render
    with_parentheses: bool = False

    @property
    def new_text(self) -> str:
        return self.text() if callable(self.text) else self.text


@dataclass(frozen=True, slots=True)
class InsertLineBefore:
    """Insert ``text`` as a new line above the node's line, indented like that line.
    ``text`` may hold several lines; each is indented."""

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
            where = _span(edit, positions)
            if where is None:
                return None
            if isinstance(edit, Replace) and not edit.new_text and _whole_lines(where, lines):
                # Removing a statement removes its lines, not just their text.
                text_edits.append(TextEdit(where.start.line, 0, where.end.line + 1, 0, ""))
            elif isinstance(edit, Replace):
                text_edits.append(
                    TextEdit(
                        where.start.line,
                        where.start.column,
                        where.end.line,
                        where.end.column,
                        edit.new_text,
                    )
                )
            else:
                line = lines[where.start.line - 1] if where.start.line <= len(lines) else ""
                indent = line[: len(line) - len(line.lstrip())]
                text = "".join(
                    f"{indent}{part}\n" if part else "\n" for part in edit.text.split("\n")
                )
                text_edits.append(TextEdit(where.start.line, 0, where.start.line, 0, text))
        return Fix(self.title, self.applicability, tuple(text_edits))


def _whole_lines(where: CodeRange, lines: Sequence[str]) -> bool:
    """Does the span fill its lines, but for indentation?"""
    if where.end.line > len(lines):
        return False
    before = lines[where.start.line - 1][: where.start.column]
    after = lines[where.end.line - 1][where.end.column :]
    return not before.strip() and not after.strip()


def _span(edit: Edit, positions: Mapping[cst.CSTNode, CodeRange]) -> CodeRange | None:
    where = positions.get(edit.node)
    if where is None:
        return None
    node = edit.node
    if isinstance(edit, Replace) and edit.with_parentheses:
        lpar = getattr(node, "lpar", ())
        rpar = getattr(node, "rpar", ())
        if lpar and rpar:
            first, last = positions.get(lpar[0]), positions.get(rpar[-1])
            if first is None or last is None:
                return None
            return CodeRange(first.start, last.end)
    return where
