"""MP109 fork-child-falls-through: os.fork() child branch does not exit.

Page: rules/MP109.md (zh-CN: rules/zh-CN/MP109.md) · Fixtures: fixtures/MP109/
· Example: examples/MP109-fork-child-falls-through/
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, bound_names
from mplint.semantic.syntax import contains, names_in

messages(
    {
        "MP109": Message(
            en="The child's branch of `os.fork()` does not end the child: it goes on to run the "
            "code after the `if`, which was meant for the parent. End the branch with "
            "`os._exit(0)` (flush output first).",
            zh="`os.fork()` 的子进程分支没有结束子进程：子进程会接着执行 `if` 之后本应只由父进程"
            "执行的代码。请在分支末尾调用 `os._exit(0)`（先刷新输出）。",
        ),
    }
)


_EXIT_FUNCTIONS = frozenset(
    {
        "os._exit",
        "os.abort",
        "os.execv",
        "os.execve",
        "os.execl",
        "os.execle",
        "os.execlp",
        "os.execlpe",
        "os.execvp",
        "os.execvpe",
        "sys.exit",
    }
)
# Calls known to come back: their module is the standard library and they never exit.
_RETURNING_MODULES = (
    "time.",
    "logging.",
    "json.",
    "shutil.",
    "random.",
    "math.",
    "pathlib.",
    "subprocess.",
    "traceback.",
    "sys.stdout.",
    "sys.stderr.",
)
_BUILTINS = frozenset(dir(builtins)) - {"exit", "quit", "exec", "eval", "__import__", "breakpoint"}
PidTest = Callable[[cst.BaseExpression], bool]


class _Ending:
    """Whether a block of the child always ends the process: True, False (it surely goes on
    past its end) or None (cannot judge: an unknown call, a match statement, ...)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.visiting: list[cst.FunctionDef] = []

    def block(self, body: cst.BaseSuite) -> bool | None:
        # A statement that surely ends the process (`os.execvp(...)`, `os._exit(1)`) ends
        # the block: whatever follows it is dead code.
        if isinstance(body, cst.SimpleStatementSuite):
            if any(self.small(small) is True for small in body.body[:-1]):
                return True
            return self.small(body.body[-1]) if body.body else False
        if not isinstance(body, cst.IndentedBlock) or not body.body:
            return None
        if any(self.statement(statement) is True for statement in body.body[:-1]):
            return True
        return self.statement(body.body[-1])

    def statement(self, statement: cst.BaseStatement) -> bool | None:
        if isinstance(statement, cst.SimpleStatementLine):
            return self.small(statement.body[-1]) if statement.body else False
        if isinstance(statement, cst.If):
            if statement.orelse is None:
                return False
            other = (
                self.statement(statement.orelse)
                if isinstance(statement.orelse, cst.If)
                else self.block(statement.orelse.body)
            )
            return _all(self.block(statement.body), other)
        if isinstance(statement, cst.While):
            if _always_true(statement.test) and not _has_break(statement.body):
                return True
            return False
        if isinstance(statement, cst.For):
            return None if self.block(statement.body) else False
        if isinstance(statement, cst.With):
            return self.block(statement.body)
        if isinstance(statement, cst.Try | cst.TryStar):
            if statement.finalbody is not None and self.block(statement.finalbody.body):
                return True
            main = self.block(
                statement.orelse.body if statement.orelse is not None else statement.body
            )
            return _all(main, *(self.block(h.body) for h in statement.handlers))
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            return False
        return None

    def small(self, statement: cst.BaseSmallStatement) -> bool | None:
        if isinstance(statement, cst.Raise):
            return True
        if isinstance(statement, cst.Return):
            # In the branch itself `return` leaves the forking function; in a function the
            # branch calls, it only comes back to the branch, which then goes on.
            return not self.visiting
        if isinstance(statement, cst.Expr):
            return self.expression(statement.value)
        if isinstance(statement, cst.Assign | cst.AnnAssign | cst.AugAssign):
            value = statement.value
            return self.expression(value) if value is not None else False
        return False  # pass, break, continue, del, global, import, assert

    def expression(self, value: cst.BaseExpression) -> bool | None:
        if isinstance(value, cst.Await):
            return None
        if not isinstance(value, cst.Call):
            return False
        return self.call(value)

    def call(self, call: cst.Call) -> bool | None:
        facts = self.facts
        qualname = facts.resolve(call.func)
        if qualname is not None:
            if qualname in _EXIT_FUNCTIONS or qualname.startswith("os.exec"):
                return True
            if qualname.startswith(_RETURNING_MODULES) or (
                qualname.startswith("os.") and qualname not in ("os.kill", "os.killpg")
            ):
                return False
            return None
        func = call.func
        if isinstance(func, cst.Name) and not facts.visible_bindings(func):
            if func.value in ("exit", "quit") and func.value not in facts.imports:
                return True
            function = facts.function_for(func)
            if function is not None:
                return self.function(function)
            if func.value in _BUILTINS and func.value not in facts.imports:
                return False
            return None
        function = facts.function_for(func)
        if function is not None:
            return self.function(function)
        return None

    def function(self, function: cst.FunctionDef) -> bool | None:
        """Does calling this function of the file end the process?"""
        if function in self.visiting or len(self.visiting) > 8:
            return None
        self.visiting.append(function)
        try:
            return self.block(function.body)
        finally:
            self.visiting.pop()


def _all(*results: bool | None) -> bool | None:
    if any(r is False for r in results):
        return False
    if any(r is None for r in results):
        return None
    return True


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0", "0x0", "0o0", "0b0")
    return False


def _has_break(body: cst.BaseSuite) -> bool:
    # A break of an inner loop leaves that loop, not this one.
    return contains(body, cst.Break, skip=(cst.For, cst.While, cst.FunctionDef))


def _pid_test(test: cst.BaseExpression, is_pid: PidTest) -> str | None:
    """'child' when the test is true in the child (pid == 0, not pid), 'parent' when it is
    true in the parent (pid, pid > 0, pid != 0), else None."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _pid_test(test.expression, is_pid)
        return {"child": "parent", "parent": "child"}.get(inner) if inner else None
    if is_pid(test):
        return "parent"
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        operator = target.operator
        left, right = test.left, target.comparator
        if is_pid(left) and _is_zero(right):
            pass
        elif is_pid(right) and _is_zero(left):
            operator = _MIRRORED.get(type(operator), operator)
        else:
            return None
        if isinstance(operator, cst.Equal | cst.Is):
            return "child"
        if isinstance(operator, cst.NotEqual | cst.IsNot | cst.GreaterThan):
            return "parent"
    return None


_MIRRORED = {cst.GreaterThan: cst.LessThan(), cst.LessThan: cst.GreaterThan()}


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "0"


def _fork_result_tests(facts: Facts, call: cst.Call) -> Iterator[tuple[cst.If, PidTest]]:
    """The ``if`` statements that test this fork's result: ``if os.fork() == 0``,
    ``if (pid := os.fork()) == 0``, or ``pid = os.fork()`` followed (in the same block,
    before ``pid`` is bound again) by ``if pid == 0``."""
    parent = facts.parent(call)
    if isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
        name = parent.target.value
        node: cst.CSTNode = parent
        for ancestor in facts.ancestors(parent):
            if isinstance(ancestor, cst.If) and facts.is_inside(node, ancestor.test):
                yield ancestor, _pid_matcher(name, parent)
                return
            if isinstance(ancestor, cst.BaseStatement):
                return
        return
    for ancestor in facts.ancestors(call):
        if isinstance(ancestor, cst.If):
            if facts.is_inside(call, ancestor.test):
                yield ancestor, lambda node: node is call
            return
        if isinstance(ancestor, cst.BaseSmallStatement):
            break
    assign = facts.parent(call)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return
    target: cst.BaseExpression = assign.targets[0].target
    if isinstance(target, cst.Tuple) and target.elements and facts.resolve(call.func) != "os.fork":
        target = target.elements[0].value  # pid, fd = os.forkpty()
    if not isinstance(target, cst.Name):
        return
    line = facts.parent(assign)
    block = facts.parent(line) if line is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or not isinstance(
        block, cst.IndentedBlock | cst.Module
    ):
        return
    statements = list(block.body)
    position = next((i for i, s in enumerate(statements) if s is line), None)
    if position is None:
        return
    name = target.value
    for statement in statements[position + 1 :]:
        if isinstance(statement, cst.If):
            yield statement, _pid_matcher(name, None)
            return
        if _binds(statement, name):
            return


def _pid_matcher(name: str, walrus: cst.NamedExpr | None) -> PidTest:
    def is_pid(node: cst.BaseExpression) -> bool:
        return (isinstance(node, cst.Name) and node.value == name) or node is walrus

    return is_pid


def _binds(statement: cst.BaseStatement, name: str) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                targets = [small.target]
            if any(name in bound_names(t) for t in targets):
                return True
        return False
    return True  # a compound statement may bind it anywhere: stop looking


def _child_branch(statement: cst.If, is_pid: PidTest) -> cst.If | cst.Else | None:
    """The node that opens the child's branch (an ``if``/``elif`` or an ``else``)."""
    current: cst.If | None = statement
    while current is not None:
        side = _pid_test(current.test, is_pid)
        if side == "child":
            return current
        if side == "parent":
            return current.orelse if isinstance(current.orelse, cst.Else) else None
        current = current.orelse if isinstance(current.orelse, cst.If) else None
    return None


@check("MP109")
def fork_child_falls_through(facts: Facts) -> Iterator[Finding]:
    ending = _Ending(facts)
    for call in facts.calls_to("os.fork", "os.forkpty", "pty.fork"):
        for statement, is_pid in _fork_result_tests(facts, call):
            branch = _child_branch(statement, is_pid)
            if branch is None:
                continue
            if ending.block(branch.body) is not False:
                continue
            other = _parent_branch(statement, branch)
            if other is not None and ending.block(other) is True:
                continue  # the parent's branch exits: what follows the `if` is the child's
            after = _loop_left_by_break(facts, branch.body) or statement
            if not _code_follows(facts, after):
                continue  # the child falls off the end of the script: nothing runs twice
            if after is not statement and _tests_pid_again(facts, after, statement):
                continue  # the pre-fork pattern: the child breaks out to its own code
            yield Finding("MP109", branch)


def _parent_branch(statement: cst.If, branch: cst.If | cst.Else) -> cst.BaseSuite | None:
    """The parent's block beside the child's: the else of ``if pid == 0``, or the body of
    ``if pid:`` whose else is the child's; None when the parent has no block of its own."""
    if isinstance(branch, cst.Else):
        current: cst.If | None = statement
        while current is not None and current.orelse is not branch:
            current = current.orelse if isinstance(current.orelse, cst.If) else None
        return current.body if current is not None else None
    if isinstance(branch.orelse, cst.Else):
        return branch.orelse.body
    return None


def _code_follows(facts: Facts, statement: cst.CSTNode, depth: int = 0) -> bool:
    """True when some code runs after the statement once it ends: a later statement of an
    enclosing block, the next round of a loop, or what follows a call of its function."""
    node = statement
    for ancestor in facts.ancestors(statement):
        if isinstance(ancestor, cst.For | cst.While):
            return True
        if isinstance(ancestor, cst.FunctionDef):
            return _code_follows_calls(facts, ancestor, depth)
        if isinstance(ancestor, cst.IndentedBlock | cst.Module):
            body = list(ancestor.body)
            if any(s is node for s in body) and body[-1] is not node:
                return True
        node = ancestor
    return False


def _code_follows_calls(facts: Facts, function: cst.FunctionDef, depth: int) -> bool:
    """Code runs after a call of the function returns: True unless every call of it in this
    file is a statement of its own after which nothing runs (`main()` as the last line)."""
    if depth > 4:
        return True
    calls = [
        call
        for calls in facts.calls_by_function.values()
        for call in calls
        if facts.function_for(call.func) is function
    ]
    if not calls:
        return True  # called from elsewhere: its caller goes on
    for call in calls:
        statement = facts.parent(call)
        if not isinstance(statement, cst.Expr):
            return True  # its result is used: the caller goes on
        if _code_follows(facts, facts.parent(statement) or statement, depth + 1):
            return True
    return False


def _loop_left_by_break(facts: Facts, body: cst.BaseSuite) -> cst.CSTNode | None:
    """The loop the child's branch leaves with a final `break`, or None."""
    last: cst.CSTNode | None = None
    if isinstance(body, cst.IndentedBlock) and body.body:
        last = body.body[-1]
        if isinstance(last, cst.SimpleStatementLine) and last.body:
            last = last.body[-1]
    elif isinstance(body, cst.SimpleStatementSuite) and body.body:
        last = body.body[-1]
    if not isinstance(last, cst.Break):
        return None
    for ancestor in facts.ancestors(body):
        if isinstance(ancestor, cst.For | cst.While):
            return ancestor
        if isinstance(ancestor, cst.FunctionDef):
            return None
    return None


def _tests_pid_again(facts: Facts, loop: cst.CSTNode, fork_test: cst.If) -> bool:
    """After the loop, an `if` tests the same pid variable again: the code after the loop
    is split between the parent and the children on purpose."""
    names = {n.value for n in names_in(fork_test.test)}
    parent = facts.parent(loop)
    if not isinstance(parent, cst.IndentedBlock | cst.Module):
        return False
    body = list(parent.body)
    index = next((i for i, s in enumerate(body) if s is loop), None)
    if index is None:
        return False
    for later in body[index + 1 :]:
        if isinstance(later, cst.If) and names & {n.value for n in names_in(later.test)}:
            return True
    return False
