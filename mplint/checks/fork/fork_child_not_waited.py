"""MP116 fork-child-not-waited: os.fork() child never waited for (zombie).

Page: rules/MP116.md (zh-CN: rules/zh-CN/MP116.md) · Fixtures: fixtures/MP116/
· Example: examples/MP116-fork-child-not-waited/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, FastVisitor
from mplint.flow import loads_of
from mplint.semantic.syntax import source_text

messages(
    {
        "MP116": Message(
            en="`{call}` starts a child that this program never waits for (no `os.wait()` or "
            "`os.waitpid()`, no `SIGCHLD` handler): every child that finishes stays a zombie "
            "process until the parent exits. Reap it in the parent with "
            "`os.waitpid(pid, 0)`.",
            zh="`{call}` 创建的子进程从来没有被等待（没有 `os.wait()` 或 `os.waitpid()`，也没有 "
            "`SIGCHLD` 处理函数）：每个结束的子进程都会一直是僵尸进程，直到父进程退出。请在父进程中"
            "用 `os.waitpid(pid, 0)` 回收它。",
        ),
    }
)


_WAIT_FUNCTIONS = ("os.wait", "os.waitpid", "os.wait3", "os.wait4", "os.waitid")
_EXITS = frozenset({"os._exit", "sys.exit", "os.abort"})
_LIVES_ON = frozenset({"time.sleep", "signal.pause", "input"})
# Uses of the pid that do not hand it to code that might wait for it.
_HARMLESS_PID_CALLS = frozenset({"print", "str", "repr", "int", "os.kill", "format"})


def _exits(facts: Facts, statement: cst.CSTNode) -> bool:
    """A statement that ends the process: ``os._exit(0)``, ``sys.exit()``, ``raise
    SystemExit``, ``exit()``."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(_exits(facts, small) for small in statement.body)
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        func = statement.value.func
        if facts.resolve(func) in _EXITS or str(facts.resolve(func)).startswith("os.exec"):
            return True
        return (
            isinstance(func, cst.Name)
            and func.value in ("exit", "quit")
            and (func.value not in facts.imports)
        )
    if isinstance(statement, cst.Raise) and statement.exc is not None:
        exc = statement.exc.func if isinstance(statement.exc, cst.Call) else statement.exc
        return isinstance(exc, cst.Name) and exc.value == "SystemExit"
    return False


def _pid_name(facts: Facts, call: cst.Call) -> str | None:
    parent = facts.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
        return parent.target.value
    return None


def _pid_handed_on(facts: Facts, call: cst.Call, name: str) -> bool:
    """The pid may reach code that waits for it: returned, stored, passed to a function."""
    scope = facts.scope_of(call)
    for load in loads_of(facts, name, scope):
        node: cst.CSTNode = load
        parent = facts.parent(node)
        while isinstance(parent, cst.FormattedStringExpression | cst.FormattedString):
            node, parent = parent, facts.parent(parent)
        if isinstance(parent, cst.Comparison | cst.ComparisonTarget | cst.UnaryOperation):
            continue
        if isinstance(parent, cst.If | cst.While) and parent.test is node:
            continue
        if isinstance(parent, cst.Arg):
            called = facts.parent(parent)
            if isinstance(called, cst.Call):
                qualname = facts.resolve(called.func)
                if qualname is None and isinstance(called.func, cst.Name):
                    qualname = called.func.value
                if qualname in _HARMLESS_PID_CALLS:
                    continue
        return True
    return False


def _parent_branch(facts: Facts, statement: cst.If, name: str | None, call: cst.Call):
    """The block the parent runs in ``if pid == 0: ... else: ...`` (or the reverse)."""
    test = statement.test

    def is_pid(node: cst.BaseExpression) -> bool:
        if node is call or (isinstance(node, cst.NamedExpr) and node.value is call):
            return True
        return name is not None and isinstance(node, cst.Name) and node.value == name

    def is_zero(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Integer) and node.value == "0"

    child_first: bool | None = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        child_first = True if is_pid(test.expression) else None
    elif is_pid(test):
        child_first = False
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator = test.comparisons[0].operator
        right = test.comparisons[0].comparator
        if is_pid(test.left) and is_zero(right):
            if isinstance(operator, cst.Equal):
                child_first = True
            elif isinstance(operator, cst.NotEqual | cst.GreaterThan):
                child_first = False
    if child_first is None:
        return None
    if not child_first:
        return statement.body
    orelse = statement.orelse
    return orelse.body if isinstance(orelse, cst.Else) else None


def _fork_test(facts: Facts, call: cst.Call, name: str | None) -> cst.If | None:
    """The ``if`` that tells the parent from the child."""
    statement = facts.statement_of(call)
    parent = facts.parent(call)
    while parent is not None and not isinstance(parent, cst.If):
        if isinstance(parent, cst.BaseSmallStatement):
            break
        parent = facts.parent(parent)
    if isinstance(parent, cst.If):
        return parent
    if name is None:
        return None
    container = facts.parent(facts.parent(statement) or statement)
    body = getattr(container, "body", None)
    if not isinstance(body, tuple | list):
        return None
    following = list(body)
    line = facts.parent(statement) or statement
    if line not in following:
        return None
    for later in following[following.index(line) + 1 :]:
        if isinstance(later, cst.If):
            return later
    return None


def _following_statements(facts: Facts, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The statements that run after the one holding ``node``, up to the end of its
    function or module."""
    child = node
    for ancestor in facts.ancestors(node):
        body = getattr(ancestor, "body", None)
        if isinstance(ancestor, cst.IndentedBlock | cst.Module) and isinstance(body, tuple | list):
            if child in body:
                yield from body[body.index(child) + 1 :]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return
        child = ancestor


class _LivesOn(FastVisitor):
    def __init__(self, facts: Facts) -> None:
        super().__init__()
        self.facts = facts
        self.found = False

    def visit_While(self, node: cst.While) -> bool:
        self.found = True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        qualname = self.facts.resolve(node.func)
        if qualname in _LIVES_ON or (
            isinstance(node.func, cst.Attribute) and node.func.attr.value == "serve_forever"
        ):
            self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _parent_lives_on(facts: Facts, call: cst.Call, test: cst.If | None) -> bool:
    """The parent goes on running after the fork: it forks in a loop, or waits, sleeps or
    serves afterwards."""
    function = facts.function_of(call)
    scope = function if function is not None else facts.module
    if flow.loops_between(facts, call, scope):
        return True
    if function is not None:
        for caller in facts.calls:
            if facts.function_for(caller.func) is function and flow.loops_between(
                facts, caller, facts.scope_of(caller)
            ):
                return True
    visitor = _LivesOn(facts)
    for statement in _following_statements(facts, test or facts.statement_of(call)):
        statement.visit(visitor)
        if visitor.found:
            return True
    return False


@check("MP116")
def fork_child_not_waited(facts: Facts) -> Iterator[Finding]:
    forks = list(facts.calls_to("os.fork"))
    if not forks or "SIGCHLD" in facts.name_nodes:
        return
    if any(True for _ in facts.calls_to(*_WAIT_FUNCTIONS)):
        return
    for call in forks:
        name = _pid_name(facts, call)
        if name is not None and _pid_handed_on(facts, call, name):
            continue
        test = _fork_test(facts, call, name)
        if test is not None:
            branch = _parent_branch(facts, test, name, call)
            if branch is not None and any(_exits(facts, s) for s in branch.body):
                continue  # the parent leaves at once: init adopts and reaps the child
        if not _parent_lives_on(facts, call, test):
            continue
        yield Finding("MP116", call, {"call": source_text(call)})
