"""Parsing successive versions of one document: only the top-level statements an edit
touched are parsed again (the language server, one per open document).

An edit changes the text between a common prefix and a common suffix of the old and
the new version. The top-level statements that lie wholly in the prefix, except the
last (what follows a statement decides where it ends), and those wholly in the suffix
are kept as they are, the very same nodes; the text between is parsed as a module of
its own, with the document's indentation and newline, and the three are put together.
Kept statements keep their identity, so whatever was computed for them (their
positions: see ``placed``) is still good.

Wherever the pieces might not join as a whole parse would join them, the whole text
is parsed instead: an edit in the first statements, a parse error in the piece (an
``else:`` that belongs to a kept ``if``, an unclosed bracket), comment or blank lines
at the piece's edges that are not at column 0 (a whole parse could give them to the
block before), a file without a final newline. ``tests/test_incremental.py`` checks
the result against a whole parse over many random edits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst

from mplint.parsing import parse_module

# Text smaller than this is parsed whole: the bookkeeping would cost more than it saves.
MIN_CHARS = 2_000


class IncrementalParser:
    """Parses one document version after version."""

    def __init__(self) -> None:
        self.source: str | None = None
        self.module: cst.Module | None = None
        self.starts: list[int] = []  # where each top-level statement's text starts
        self.ends: list[int] = []
        # Positions computed for a top-level statement, by its id (the statement is held,
        # so the id stays its own): (statement, {node: CodeRange}, generated code).
        self.placed: dict[int, tuple[cst.CSTNode, Mapping[cst.CSTNode, Any], str | None]] = {}
        self.reused = 0  # statements kept at the last parse (for tests and benchmarks)
        # The length of each top-level statement's text, by id, as for ``placed``.
        self.lengths: dict[int, tuple[cst.CSTNode, int]] = {}

    def parse(self, source: str) -> cst.Module:
        module = None
        if self.module is not None and self.source is not None and len(source) >= MIN_CHARS:
            try:
                module = self._reparse(self.source, self.module, source)
            except (cst.ParserSyntaxError, RecursionError, ValueError):
                module = None
        if module is None:
            self.reused = 0
            module = parse_module(source)  # errors go to the caller
        self._remember(source, module)
        return module

    def forget_positions(self) -> None:
        """Drop the positions of statements the current module no longer holds."""
        if self.module is None:
            self.placed.clear()
            return
        alive = {id(statement) for statement in self.module.body}
        for key in [key for key in self.placed if key not in alive]:
            del self.placed[key]

    def _remember(self, source: str, module: cst.Module) -> None:
        self.source, self.module = None, None
        if len(source) < MIN_CHARS or not module.has_trailing_newline:
            return
        header = sum(len(module.code_for_node(line)) for line in module.header)
        starts, ends, position = [], [], header
        lengths: dict[int, tuple[cst.CSTNode, int]] = {}
        for statement in module.body:
            starts.append(position)
            known = self.lengths.get(id(statement))
            length = (
                known[1]
                if known is not None and known[0] is statement
                else len(module.code_for_node(statement))
            )
            lengths[id(statement)] = (statement, length)
            position += length
            ends.append(position)
        self.lengths = lengths
        footer = sum(len(module.code_for_node(line)) for line in module.footer)
        if position + footer != len(source):
            return  # the pieces do not add up: parse whole next time
        self.source, self.module, self.starts, self.ends = source, module, starts, ends

    def _reparse(self, old: str, module: cst.Module, new: str) -> cst.Module | None:
        prefix = _common_prefix(old, new)
        if prefix == len(old) == len(new):
            self.reused = len(module.body)
            return module
        suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
        body = module.body
        # Kept in front: statements wholly in the prefix, but for the last of them.
        whole = 0
        while whole < len(body) and self.ends[whole] <= prefix:
            whole += 1
        first = whole - 1  # the first statement parsed again
        if first < 1:
            return None
        # Kept behind: statements that start in the suffix (old coordinates).
        shift = len(new) - len(old)
        last = len(body)  # the first statement kept behind
        while last > first and self.starts[last - 1] >= len(old) - suffix:
            last -= 1
        while last < len(body) and not _clean_edge(old, self.starts[last]):
            last += 1  # its leading lines might belong to the block before: parse it too
        start = self.starts[first]
        end = self.starts[last] + shift if last < len(body) else len(new)
        if not _clean_edge(new, start) or end < start:
            return None
        config = cst.PartialParserConfig(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        piece = parse_module(new[start:end], config)
        if last < len(body) and (piece.footer or not piece.has_trailing_newline):
            return None
        middle = list(piece.body)
        if piece.header:
            if not middle:
                return None
            middle[0] = middle[0].with_changes(
                leading_lines=(*piece.header, *middle[0].leading_lines)
            )
        self.reused = first + (len(body) - last)
        return module.with_changes(
            body=(*body[:first], *middle, *body[last:]),
            footer=module.footer if last < len(body) else piece.footer,
            has_trailing_newline=(
                module.has_trailing_newline if last < len(body) else piece.has_trailing_newline
            ),
        )


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, found by halving (string compares run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle : len(a) - low] == b[len(b) - middle : len(b) - low]:
            low = middle
        else:
            high = middle - 1
    return low


def _clean_edge(text: str, position: int) -> bool:
    """Is ``position`` the start of a line, and is every line from there up to the first
    line of code empty or a comment at column 0? Such lines belong to the statement after
    them in any parse."""
    if position > 0 and text[position - 1] not in "\r\n":
        return False
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end + 1
        line = text[position:end].rstrip("\r\n")
        if line and not line.startswith("#"):
            return not line[0].isspace()
        position = end
    return True
