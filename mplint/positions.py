"""Positions only for what is reported.

libcst's PositionProvider regenerates the whole module to place every node, which
costs several times the parse on a large file with one finding. Here only the
top-level statements that hold reported nodes are placed, each as a module of its
own, and shifted to the statement's real line, which the standard library's much
cheaper ``ast`` parser tells. When the two parsers disagree (a syntax ``ast`` of this
Python does not know), the whole module is placed the slow way.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(source: str) -> list[str]:
    """Lines as Python counts them: only CR, LF and CRLF end a line (not form feeds)."""
    return _LINE_BREAK.split(source)


def _whole_module(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def _statement_positions(alone: cst.Module) -> tuple[Mapping[cst.CSTNode, CodeRange], str | None]:
    """The provider's own code generation, without the wrapper's extra walk of the tree
    (half the cost), and the code it generated; the wrapper is the fallback should
    libcst's internals change."""
    provider = PositionProvider()
    try:
        state = PositionProvidingCodegenState(
            default_indent=alone.default_indent,
            default_newline=alone.default_newline,
            provider=provider,
        )
        alone._codegen(state)
        # The provider computes every position eagerly: no value is a lazy one.
        computed = cast(Mapping[cst.CSTNode, CodeRange], provider._computed)
        return computed, "".join(state.tokens)
    except (AttributeError, TypeError):
        return MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider), None


def _unique_line(block: list[str], lines: list[str]) -> int | None:
    """The 1-based line where ``block`` stands in ``lines`` as whole lines, when it stands
    there exactly once; else None."""
    if not block or not block[0]:
        return None
    first, size = block[0], len(block)
    found = [i for i, line in enumerate(lines) if line == first and lines[i : i + size] == block]
    return found[0] + 1 if len(found) == 1 else None


def _first_lines(module: cst.Module, source: str) -> dict[int, int] | None:
    """For each top-level libcst statement (by index), the line ast says it starts on,
    counted at the statement's keyword (``def`` / ``class`` line for definitions)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    statements = tree.body
    lines: dict[int, int] = {}
    cursor = 0
    for index, statement in enumerate(module.body):
        if cursor >= len(statements):
            return None
        lines[index] = statements[cursor].lineno
        cursor += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return lines if cursor == len(statements) else None


def _anchor(statement: cst.BaseStatement) -> cst.CSTNode:
    """The node of a statement that sits on the line ast reports for it."""
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return statement.name
    if isinstance(statement, cst.SimpleStatementLine):
        return statement.body[0]
    return statement


# Positions of a top-level statement within itself, by the statement's id: the
# statement, its nodes' ranges and its generated code (see mplint.incremental).
Placed = dict[int, tuple[cst.CSTNode, Mapping[cst.CSTNode, CodeRange], str | None]]


def positions_for(
    module: cst.Module,
    source: str,
    nodes: Iterable[cst.CSTNode],
    parent: Callable[[cst.CSTNode], cst.CSTNode | None],
    placed_before: Placed | None = None,
) -> Mapping[cst.CSTNode, CodeRange]:
    index_of = {id(statement): i for i, statement in enumerate(module.body)}
    wanted: dict[int, cst.SimpleStatementLine | cst.BaseCompoundStatement] = {}
    placed: dict[cst.CSTNode, CodeRange] = {}
    for node in nodes:
        if node is module:
            lines = source_lines(source)
            placed[module] = CodeRange(CodePosition(1, 0), CodePosition(len(lines), len(lines[-1])))
            continue
        top: cst.CSTNode | None = node
        while top is not None and id(top) not in index_of:
            top = parent(top)
        if top is None:
            return _whole_module(module)
        index = index_of[id(top)]
        wanted[index] = module.body[index]  # top itself, typed as a statement
    if not wanted:
        return placed
    lines = source_lines(source)
    first_lines: dict[int, int] | None = None
    shifts: dict[int, tuple[int, Mapping[cst.CSTNode, CodeRange]]] = {}
    for index, statement in wanted.items():
        before = placed_before.get(id(statement)) if placed_before is not None else None
        if before is not None and before[0] is statement:
            relative, code = before[1], before[2]
        else:
            alone = cst.Module(
                body=[statement],
                default_indent=module.default_indent,
                default_newline=module.default_newline,
            )
            computed, code = _statement_positions(alone)
            relative = {node: where for node, where in computed.items() if node is not alone}
            if placed_before is not None:
                placed_before[id(statement)] = (statement, relative, code)
        anchor = relative.get(_anchor(statement))
        if anchor is None:
            return _whole_module(module)
        # Where the statement stands: found by its own text when that text is unique in
        # the file (cheap), else by ast's line numbers.
        start = relative[statement].start.line if statement in relative else anchor.start.line
        end = relative[statement].end.line if statement in relative else anchor.end.line
        block = source_lines(code)[start - 1 : end] if code is not None else []
        line = _unique_line(block, lines)
        if line is not None:
            shift = line - start
        else:
            if first_lines is None:
                first_lines = _first_lines(module, source)
                if first_lines is None:
                    return _whole_module(module)
            shift = first_lines[index] - anchor.start.line
        shifts[index] = shift, relative
    return _Shifted(placed, list(shifts.values()))


class _Shifted(Mapping[cst.CSTNode, CodeRange]):
    """Positions of the placed statements' nodes, each shifted to its statement's line
    when asked for: a statement holds thousands of nodes, a diagnostic needs one."""

    def __init__(
        self,
        placed: dict[cst.CSTNode, CodeRange],
        pieces: list[tuple[int, Mapping[cst.CSTNode, CodeRange]]],
    ) -> None:
        self.placed = placed
        self.pieces = pieces

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self.placed.get(node)
        if found is not None:
            return found
        for shift, relative in self.pieces:
            where = relative.get(node)
            if where is not None:
                found = self.placed[node] = CodeRange(
                    CodePosition(where.start.line + shift, where.start.column),
                    CodePosition(where.end.line + shift, where.end.column),
                )
                return found
        raise KeyError(node)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        seen = set(self.placed)
        yield from self.placed
        for _, relative in self.pieces:
            yield from (node for node in relative if node not in seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)
