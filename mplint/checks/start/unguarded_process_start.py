"""MP101 unguarded-process-start: process, pool, executor or manager started at import time.

Page: rules/MP101.md (zh-CN: rules/zh-CN/MP101.md) · Fixtures: fixtures/MP101/
· Example: examples/MP101-unguarded-process-start/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import (
    Facts,
    FastVisitor,
    dotted_name,
)
from mplint.semantic.kinds import Kind

messages(
    {
        "MP101": Message(
            en='{what} runs at import time, outside `if __name__ == "__main__":`; under '
            "spawn/forkserver every child re-imports this module and fails with "
            "'RuntimeError: ... bootstrapping phase'. Move it under the main guard.",
            zh='{what}在模块导入时就会执行，没有放在 `if __name__ == "__main__":` 入口保护之下；'
            "在 spawn/forkserver 启动方式下每个子进程都会重新导入本模块，报 "
            "'RuntimeError: ... bootstrapping phase'。请把它移到入口保护之下。",
        ),
    }
)


# What MP101 found running at import time (zh phrases end with a space after code).
_MANAGER = Phrase("`Manager()` (it starts a server process)", "`Manager()`（它会启动一个服务进程）")
_POOL = Phrase("`Pool()` (it starts its worker processes)", "`Pool()`（它会启动工作进程）")
_PROCESS_START = Phrase("`start()` of a process", "进程的 `start()` ")
_MANAGER_START = Phrase("`start()` of a manager", "Manager 的 `start()` ")
_EXECUTOR_TASK = Phrase(
    "`{method}()` on a ProcessPoolExecutor", "ProcessPoolExecutor 的 `{method}()` "
)
_STARTER_FUNCTION = Phrase(
    "`{function}()`, which starts processes,", "会启动进程的 `{function}()` "
)


def _starts_processes(facts: Facts, call: cst.Call) -> Phrase | None:
    """What a call starts when it runs, or None: a Pool or Manager starts its processes
    when made; a Process on start(); an executor on its first task."""
    qualname = facts.resolve(call.func)
    if qualname == "multiprocessing.Manager":
        return _MANAGER
    kind = facts.kind_of_call(call)
    if kind == Kind.POOL:
        return _POOL
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method not in ("start", "submit", "map"):
        return None
    receiver = facts.kind_of(func.value)
    if method == "start" and receiver == Kind.PROCESS:
        return _PROCESS_START
    if method == "start" and receiver == Kind.MANAGER:
        return _MANAGER_START
    if receiver == Kind.EXECUTOR and method in ("submit", "map"):
        return _EXECUTOR_TASK.format(method=method)
    return None


def _may_spawn_for(facts: Facts, call: cst.Call) -> bool:
    target = call.func.value if isinstance(call.func, cst.Attribute) else call.func
    return facts.may_spawn(target)


@check("MP101")
def unguarded_process_start(facts: Facts) -> Iterator[Finding]:
    if facts.pinned_start_method == "fork":
        return
    starters = facts.functions_reaching(
        lambda call: _starts_processes(facts, call) is not None and _may_spawn_for(facts, call)
    )
    flagged: list[tuple[cst.CSTNode, Phrase]] = []
    for call in facts.calls:
        if not facts.runs_at_import(call):
            continue
        what = _starts_processes(facts, call)
        if what is not None and _may_spawn_for(facts, call):
            flagged.append((call, what))
            continue
        # f() or Cls() (its __init__) or a decorated f (its wrapper) that starts processes
        if any(callee in starters for callee in facts.callees(call)):
            name = dotted_name(call.func) or "call"
            flagged.append((call, _STARTER_FUNCTION.format(function=name)))
    # torch DataLoader workers, joblib's multiprocessing backend (checks/third_party.py).
    from mplint.checks.third_party import library_starts

    flagged.extend(
        (node, what)
        for node, what in library_starts(facts)
        if not any(node is call for call, _ in flagged)
    )
    fix = _guard_module_code(facts, [call for call, _ in flagged]) if flagged else None
    for start, what in flagged:
        yield Finding("MP101", start, {"what": what}, fix=fix)


def _top_level_statement(facts: Facts, node: cst.CSTNode) -> cst.CSTNode | None:
    child = node
    for ancestor in facts.ancestors(node):
        if ancestor is facts.module:
            return child
        child = ancestor
    return None


def _stays_at_top_level(statement: cst.CSTNode) -> bool:
    """Definitions and imports stay where they are; only the code that runs moves."""
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return True
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _makes_process(facts: Facts, statement: cst.CSTNode) -> bool:
    """``p = Process(...)`` or ``ps = [Process(...) for ...]``: made just before the code
    that starts it, it moves with it."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Assign | cst.AnnAssign):
        return False
    value = small.value
    if isinstance(value, cst.ListComp):
        value = value.elt
    return isinstance(value, cst.Call) and facts.kind_of_call(value) == Kind.PROCESS


class _NamesRunAtDefinition(FastVisitor):
    """Names a def or class reads when it is defined: decorators, defaults, annotations,
    bases and class bodies; not function bodies, which run later."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            decorator.visit(self)
        node.params.visit(self)
        if node.returns is not None:
            node.returns.visit(self)
        return False


def _names_in(node: cst.CSTNode) -> set[str]:
    class Names(FastVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def visit_Name(self, name: cst.Name) -> None:
            self.names.add(name.value)

    finder = Names()
    node.visit(finder)
    return finder.names


def _blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


# What a block holds: libcst types a block's body as BaseStatement, which has no
# leading_lines; these two are its only kinds.
_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _guard_module_code(facts: Facts, flagged: list[cst.CSTNode]) -> FixPlan | None:
    """Move the module-level code that runs, from the first statement that starts
    processes (and the `p = Process(...)` lines just before it) to the end, under a new
    main guard at the end of the module. Definitions and imports stay in place; the body
    of an existing main guard in that span joins the new one; comments move with their
    statements."""
    module = facts.module
    body = list(module.body)
    indexes: list[int] = []
    for call in flagged:
        statement = _top_level_statement(facts, call)
        index = next((i for i, s in enumerate(body) if s is statement), None)
        if index is None or _stays_at_top_level(body[index]):
            return None
        indexes.append(index)
    first = min(indexes)
    while first > 0 and _makes_process(facts, body[first - 1]):
        first -= 1
    kept: list[_Statement] = body[:first]
    moved: list[_Statement] = []
    for statement in body[first:]:
        if _stays_at_top_level(statement):
            kept.append(statement)
        elif statement in facts.main_guards and isinstance(statement, cst.If):
            if statement.orelse is not None or not isinstance(statement.body, cst.IndentedBlock):
                return None
            inner = [s for s in statement.body.body if isinstance(s, _Statement)]
            if inner:
                lines = [*statement.leading_lines, *inner[0].leading_lines]
                inner[0] = inner[0].with_changes(leading_lines=lines)
            moved.extend(inner)
        else:
            moved.append(statement)
    if not moved:
        return None
    # A def or class left in place that reads a moved name when it is defined would now
    # run before that name exists.
    moved_names = set().union(*(_names_in(m) for m in moved))
    for statement in body[first:]:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            reader = _NamesRunAtDefinition()
            statement.visit(reader)
            if reader.names & moved_names:
                return None
    # A blank line at module level renders its indentation once it is nested: drop it.
    moved = [
        s.with_changes(
            leading_lines=[
                line.with_changes(indent=False) if _blank(line) else line
                for line in s.leading_lines
            ]
        )
        for s in moved
    ]
    lines = list(moved[0].leading_lines)
    while lines and _blank(lines[0]):
        lines.pop(0)
    moved[0] = moved[0].with_changes(leading_lines=lines)
    after_definition = bool(kept) and isinstance(kept[-1], cst.FunctionDef | cst.ClassDef)
    guard = cst.If(
        test=cst.parse_expression('__name__ == "__main__"'),
        body=cst.IndentedBlock(body=moved),
        leading_lines=[cst.EmptyLine()] * (2 if after_definition else 1) if kept else [],
    )
    fixed = module.with_changes(body=[*kept, guard])
    return FixPlan(
        'Move the code that starts processes under `if __name__ == "__main__":`',
        Applicability.UNSAFE,
        (Replace(module, lambda: fixed.code),),
    )
