"""MP601 unflushed-exit: child prints then os._exit() without flushing.

Page: rules/MP601.md (zh-CN: rules/zh-CN/MP601.md) · Fixtures: fixtures/MP601/
· Example: examples/MP601-unflushed-exit/
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, call_argument

messages(
    {
        "MP601": Message(
            en="This child prints to stdout and then ends with `os._exit()` without flushing: "
            "whatever is still in the buffer is discarded (all of it when stdout is a file or "
            "a pipe). Call `sys.stdout.flush()` before `os._exit()`, or print with "
            "`flush=True`.",
            zh="这个子进程向标准输出打印后没有刷新缓冲区就调用了 `os._exit()`：缓冲区里的内容会被"
            "丢弃（标准输出是文件或管道时会全部丢失）。请在 `os._exit()` 之前调用 "
            "`sys.stdout.flush()`，或在 `print()` 时传入 `flush=True`。",
        ),
    }
)


def _to_stdout(facts: Facts, call: cst.Call) -> bool:
    file = call_argument(call, "file")
    return file is None or facts.resolve(file.value) == "sys.stdout"


def _flushes(call: cst.Call) -> bool:
    flush = call_argument(call, "flush")
    return (
        flush is not None
        and not (isinstance(flush.value, cst.Name) and flush.value.value in ("False", "None"))
        and not (isinstance(flush.value, cst.Integer) and flush.value.value == "0")
    )


def _output_event(facts: Facts, call: cst.Call, depth: int = 0) -> str | None:
    """ "dirty" when the call leaves text in stdout's buffer, "flush" when it empties it,
    else None. Functions of this file called here count by their own last event."""
    func = call.func
    if facts.builtin_name(func) == "print":
        if not _to_stdout(facts, call):
            return None
        return "flush" if _flushes(call) else "dirty"
    qualname = facts.resolve(func)
    if qualname in ("sys.stdout.flush", "sys.stdout.close"):
        return "flush"
    if qualname == "sys.stdout.write":
        return "dirty"
    if depth == 0:
        helper = facts.function_for(func)
        if helper is not None:
            state = None
            for inner in facts.calls_by_function.get(helper, ()):
                state = _output_event(facts, inner, depth + 1) or state
            return state
    return None


def _unflushed_exits(facts: Facts, calls: Iterable[cst.Call]) -> Iterator[cst.Call]:
    """The ``os._exit()`` calls reached with unflushed stdout text, in one body's calls
    (source order)."""
    ordered = list(calls)
    for index, call in enumerate(ordered):
        if facts.resolve(call.func) != "os._exit":
            continue
        state = None
        for earlier in ordered[:index]:
            if flow.exclusive(facts, earlier, call) or flow.is_inside(facts, call, earlier):
                continue
            if _in_fork_failure_branch(facts, earlier):
                continue  # never runs
            state = _output_event(facts, earlier) or state
        if state == "dirty":
            yield call


def _fork_child_blocks(facts: Facts) -> Iterator[cst.BaseSuite]:
    """The branches that run in the child after ``pid = os.fork()`` (or ``if os.fork() == 0``)."""
    for fork in facts.calls_to("os.fork"):
        parent = facts.parent(fork)
        tests: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
        target = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
        if isinstance(target, cst.Name):
            scope = facts.scope_of(target)
            for load in flow.loads_of(facts, target.value, scope):
                tests.append((load, load))
        else:
            tests.append((fork, fork))
        for expression, _ in tests:
            block = _child_branch(facts, expression)
            if block is not None:
                yield block


def _child_branch(facts: Facts, value: cst.BaseExpression) -> cst.BaseSuite | None:
    """For a pid expression used as an if test: the branch the child (pid 0) takes."""
    test: cst.CSTNode = value
    parent = facts.parent(value)
    child_is_body: bool | None = None
    if isinstance(parent, cst.If) and parent.test is value:
        child_is_body = False  # if pid: parent
    elif isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        test, child_is_body = parent, True
    elif isinstance(parent, cst.Comparison) and len(parent.comparisons) == 1:
        target = parent.comparisons[0]
        other = target.comparator if parent.left is value else parent.left
        if not (isinstance(other, cst.Integer) and other.value == "0"):
            return None
        if isinstance(target.operator, cst.Equal | cst.Is):
            child_is_body = True
        elif isinstance(target.operator, cst.NotEqual | cst.IsNot):
            child_is_body = False
        elif isinstance(target.operator, cst.GreaterThan) and parent.left is value:
            child_is_body = False
        else:
            return None
        test = parent
    if child_is_body is None:
        return None
    statement = facts.parent(test)
    if not isinstance(statement, cst.If) or statement.test is not test:
        return None
    if child_is_body:
        return statement.body
    return statement.orelse.body if isinstance(statement.orelse, cst.Else) else None


def _fork_pid_test(facts: Facts, test: cst.BaseExpression) -> tuple[str, str] | None:
    """(name, "zero" | "positive" | "negative") for ``pid == 0``, ``not pid``, ``pid > 0``,
    ``pid < 0``, ``pid == -1`` where ``pid`` is bound to ``os.fork()``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        name = test.expression
        return (
            (name.value, "zero")
            if isinstance(name, cst.Name) and _is_fork_pid(facts, name)
            else None
        )
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    name, target = test.left, test.comparisons[0]
    if not isinstance(name, cst.Name) or not _is_fork_pid(facts, name):
        return None
    value = target.comparator
    number = (
        -int(value.expression.value)
        if isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        else int(value.value)
        if isinstance(value, cst.Integer)
        else None
    )
    operator = target.operator
    label = None
    if number == 0 and isinstance(operator, cst.Equal | cst.Is):
        label = "zero"
    elif number == 0 and isinstance(operator, cst.GreaterThan):
        label = "positive"
    elif number == 0 and isinstance(operator, cst.LessThan):
        label = "negative"
    elif number == -1 and isinstance(operator, cst.Equal):
        label = "negative"
    return (name.value, label) if label is not None else None


def _is_fork_pid(facts: Facts, node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Name):
        return False
    bindings = facts.visible_bindings(node)
    return bool(bindings) and all(
        isinstance(b.value, cst.Call) and facts.resolve(b.value.func) == "os.fork" for b in bindings
    )


def _in_fork_failure_branch(facts: Facts, call: cst.Call) -> bool:
    """True when the call sits in a branch that runs only when ``os.fork()`` returned a
    negative pid, which it never does (it raises OSError): the body of ``if pid < 0``,
    or the final ``else`` of a chain that already tested ``pid == 0`` and ``pid > 0``."""
    for ancestor in facts.ancestors(call):
        if not isinstance(ancestor, cst.If):
            continue
        if flow.is_inside(facts, call, ancestor.body):
            test = _fork_pid_test(facts, ancestor.test)
            if test is not None and test[1] == "negative":
                return True
            continue
        final = ancestor.orelse
        if not (isinstance(final, cst.Else) and flow.is_inside(facts, call, final.body)):
            continue
        seen: dict[str, set[str]] = {}
        link: cst.CSTNode | None = ancestor
        while isinstance(link, cst.If):
            test = _fork_pid_test(facts, link.test)
            if test is not None:
                seen.setdefault(test[0], set()).add(test[1])
            parent = facts.parent(link)
            link = parent if isinstance(parent, cst.If) and parent.orelse is link else None
        if any({"zero", "positive"} <= labels for labels in seen.values()):
            return True
    return False


@check("MP601")
def unflushed_exit(facts: Facts) -> Iterator[Finding]:
    seen: set[int] = set()
    for function in {use.function for use in facts.child_uses}:
        for call in _unflushed_exits(facts, facts.calls_by_function.get(function, ())):
            if id(call) not in seen:
                seen.add(id(call))
                yield Finding("MP601", call)
    for block in _fork_child_blocks(facts):
        owner = facts.function_of(block)
        calls = [
            c for c in facts.calls_by_function.get(owner, ()) if flow.is_inside(facts, c, block)
        ]
        for call in _unflushed_exits(facts, calls):
            if _in_fork_failure_branch(facts, call):
                continue  # os.fork() raises OSError: a "pid < 0" branch never runs
            if id(call) not in seen:
                seen.add(id(call))
                yield Finding("MP601", call)
