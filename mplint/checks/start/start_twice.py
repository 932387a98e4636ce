"""MP111 start-twice: start() called twice, or its None result used.

Page: rules/MP111.md (zh-CN: rules/zh-CN/MP111.md) · Fixtures: fixtures/MP111/
· Example: examples/MP111-start-twice/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, dotted_name
from mplint.flow import (
    dominates,
    exclusive,
    source_before,
    unconditional_within,
    uses_of,
)
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import contains

messages(
    {
        "MP111": {
            "result_used": Message(
                en="The result of `{name}.start()` is used, but `start()` returns None; it "
                "neither waits for the child nor gives back its result. Call `start()` on its "
                "own line; to get a value back use a pool, an executor or a queue.",
                zh="使用了 `{name}.start()` 的返回值，但 `start()` 返回 None，它既不等待子进程，"
                "也不返回子进程的结果。请单独一行调用 `start()`；要拿回结果请用进程池、执行器或"
                "队列。",
            ),
            "in_a_loop": Message(
                en="`{name}.start()` is called in a loop on the same Process object, and a "
                "process can be started only once: the second round raises 'AssertionError: "
                "cannot start a process twice'. Create a new Process object for each run.",
                zh="同一个 Process 对象的 `{name}.start()` 在循环里被调用，而一个进程只能启动"
                "一次，第二轮会报 'AssertionError: cannot start a process twice'。请每次运行都"
                "创建一个新的 Process 对象。",
            ),
            "again": Message(
                en="`{name}.start()` is called again on the same Process object, and a process "
                "can be started only once: this raises 'AssertionError: cannot start a process "
                "twice'. Create a new Process object for each run.",
                zh="同一个 Process 对象的 `{name}.start()` 被再次调用，而一个进程只能启动一次，"
                "这里会报 'AssertionError: cannot start a process twice'。请每次运行都创建一个"
                "新的 Process 对象。",
            ),
        },
    }
)


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)


def _result_used(facts: Facts, call: cst.Call) -> bool:
    """``r = p.start()``, ``p.start().join()``, ``x = [p.start() for p in ps]``; not a bare
    statement, a lambda's body, ``return p.start()`` (a wrapper handing on start()), nor a
    comprehension whose list is thrown away."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Expr | cst.Lambda | cst.Return):
        return False
    if isinstance(parent, _COMPREHENSIONS) and parent.elt is call:
        holder = facts.parent(parent)
        if isinstance(holder, cst.Arg):  # list(p.start() for p in ps)
            holder = facts.parent(facts.parent(holder) or holder)
        return not isinstance(holder, cst.Expr)
    return True


def _bound_by_comprehension(facts: Facts, name: cst.Name) -> bool:
    for ancestor in facts.ancestors(name):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, cst.CompFor):
            for target in _target_names(ancestor.target):
                if target == name.value:
                    return True
    return False


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)


def _retry_handler(facts: Facts, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """The second start sits in an except handler of a try whose body holds the first:
    a retry after a failed start(), which is allowed."""
    for ancestor in facts.ancestors(second):
        if isinstance(ancestor, cst.ExceptHandler | cst.ExceptStarHandler):
            attempt = facts.parent(ancestor)
            if isinstance(attempt, cst.Try | cst.TryStar) and any(
                a is attempt.body for a in facts.ancestors(first)
            ):
                return True
    return False


def _loop_restarts(facts: Facts, start: cst.Call, scope: cst.CSTNode, variable: str) -> bool:
    """The start sits in a for loop of its scope, the object is not bound anew inside the
    loop, and nothing leaves the loop early: every round starts the same object again."""
    child: cst.CSTNode = start
    loop: cst.For | None = None
    for ancestor in facts.ancestors(start):
        if ancestor is scope or isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            break
        if isinstance(ancestor, cst.CompFor | cst.While):
            return False
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            loop = ancestor
            break
        child = ancestor
    if loop is None or not unconditional_within(facts, start, loop.body):
        return False  # `if i == 0: p.start()` in the loop starts it once
    for binding in facts.bindings.get((scope, variable), []):  # type: ignore[arg-type]
        if binding.node is loop or any(a is loop for a in facts.ancestors(binding.node)):
            return False
    return not contains(loop.body, (cst.Break, cst.Return, cst.Raise))


@check("MP111")
def start_twice(facts: Facts) -> Iterator[Finding]:
    starts = [
        call
        for call in facts.method_calls("start", kinds=(Kind.PROCESS,))
        if isinstance(call.func, cst.Attribute)
    ]
    for call in starts:
        if isinstance(call.func, cst.Attribute) and _result_used(facts, call):
            name = dotted_name(call.func.value) or "process"
            yield Finding("MP111", call, {"name": name}, variant="result_used")
    yield from _started_twice(facts, starts)


def _started_twice(facts: Facts, starts: list[cst.Call]) -> Iterator[Finding]:
    by_variable: dict[tuple[int, str], list[cst.Call]] = {}
    for call in starts:
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        if not isinstance(receiver, cst.Name) or _bound_by_comprehension(facts, receiver):
            continue
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            continue
        scope = bindings[0].scope
        if facts.scope_of(call) is not scope:
            continue  # a start in a nested function or lambda: not on the same path
        by_variable.setdefault((id(scope), receiver.value), []).append(call)
    for (_, variable), calls in by_variable.items():
        scope = facts.scope_of(calls[0])
        flagged = False
        for call in calls:
            if _loop_restarts(facts, call, scope, variable):
                yield Finding("MP111", call, {"name": variable}, variant="in_a_loop")
                flagged = True
        if flagged:
            continue
        uses = {id(u.attribute): u for u in uses_of(facts, variable, scope)}
        ordered = sorted(calls, key=lambda c: uses[id(c.func)].order if id(c.func) in uses else 0)
        for index, second in enumerate(ordered):
            for first in ordered[:index]:
                if (
                    not exclusive(facts, first, second)
                    and dominates(facts, first, second)
                    and not _retry_handler(facts, first, second)
                    and not _rebound_between(facts, scope, variable, first, second)
                ):
                    yield Finding("MP111", second, {"name": variable}, variant="again")
                    break


def _rebound_between(
    facts: Facts, scope: cst.CSTNode, variable: str, first: cst.CSTNode, second: cst.CSTNode
) -> bool:
    for binding in facts.bindings.get((scope, variable), []):  # type: ignore[arg-type]
        if source_before(facts, first, binding.node) and source_before(facts, binding.node, second):
            return True
        # A binding in a loop that encloses both may run between two rounds; be lenient.
    return False
