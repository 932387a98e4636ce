"""MP402 join-before-drain: process joined before its queue is drained.

Page: rules/MP402.md (zh-CN: rules/zh-CN/MP402.md) · Fixtures: fixtures/MP402/
· Example: examples/MP402-join-before-drain/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.sync.payload import may_overfill
from mplint.checks.sync.primitive_calls import (
    GETS,
    PUTS,
    method_name,
    queue_methods_on_parameters,
    receiver_of,
)
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP402": Message(
            en="`{process}.join()` waits for a process that puts items on `{queue}` before "
            "this code takes them off: once the data outgrows the pipe buffer the child cannot "
            "exit and both processes hang. Get the items first, then join.",
            zh="`{process}.join()` 等待一个往 `{queue}` 放数据的进程，而本段代码在 `join()` 之后才取"
            "数据：数据一旦超过管道缓冲区，子进程无法退出，两个进程互相等待而卡死。请先取完数据，"
            "再调用 `join()`。",
        ),
    }
)


_PIPE_QUEUES = frozenset(
    {"multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue"}
)


def _process_calls(
    facts: Facts, node: cst.BaseExpression, depth: int = 0, lists: frozenset[str] = frozenset()
) -> list[cst.Call]:
    """The ``Process(...)`` calls a name holds: ``p``, or a loop variable over a list of them.
    ``lists``: the lists being expanded (a loop over one of them adds nothing new)."""
    if depth > 4:
        return []
    if isinstance(node, cst.Call):
        return [node] if facts.kind_of_call(node) == Kind.PROCESS else []
    if not isinstance(node, cst.Name):
        return []
    found: list[cst.Call] = []
    for binding in facts.visible_bindings(node):
        statement = binding.node
        if isinstance(statement, cst.For) and binding.value is None:
            if not isinstance(statement.target, cst.Name):
                return []
            if isinstance(statement.iter, cst.Name) and statement.iter.value in lists:
                continue
            inner = _process_elements(facts, statement.iter, depth + 1, lists)
        elif binding.value is not None and binding.unpack_index is None:
            inner = _process_calls(facts, binding.value, depth + 1, lists)
        else:
            return []
        if not inner:
            return []
        found.extend(c for c in inner if all(c is not f for f in found))
    return found


def _process_elements(
    facts: Facts, node: cst.BaseExpression, depth: int, lists: frozenset[str]
) -> list[cst.Call]:
    if isinstance(node, cst.List | cst.Tuple):
        found = []
        for element in node.elements:
            inner = _process_calls(facts, element.value, depth + 1, lists)
            if not inner:
                return []
            found.extend(inner)
        return found
    if isinstance(node, cst.ListComp | cst.GeneratorExp):
        return _process_calls(facts, node.elt, depth + 1, lists)
    if isinstance(node, cst.Name):
        binding = facts.only_binding(node)
        if binding is None or binding.value is None:
            return []
        value = binding.value
        if isinstance(value, cst.List) and not value.elements:
            found = []
            for call in facts.calls:
                receiver = receiver_of(call)
                if (
                    method_name(call) == "append"
                    and isinstance(receiver, cst.Name)
                    and receiver.value == node.value
                    and facts.scope_of(call) is binding.scope
                    and call.args
                ):
                    inner = _process_calls(
                        facts, call.args[0].value, depth + 1, lists | {node.value}
                    )
                    if not inner:
                        return []
                    found.extend(inner)
            return found
        return _process_elements(facts, value, depth + 1, lists)
    return []


def _same_variable(facts: Facts, first: cst.Name, second: cst.BaseExpression) -> bool:
    if not isinstance(second, cst.Name) or first.value != second.value:
        return False
    a, b = facts.visible_bindings(first), facts.visible_bindings(second)
    return bool(a) and bool(b) and a[0] is b[0]


def _is_pipe_queue(facts: Facts, name: cst.Name) -> bool:
    bindings = facts.visible_bindings(name)
    return bool(bindings) and all(
        isinstance(b.value, cst.Call)
        and b.unpack_index is None
        and facts.resolve(b.value.func) in _PIPE_QUEUES
        for b in bindings
    )


def _drain_kind(facts: Facts, call: cst.Call, queue: cst.Name) -> str | None:
    """ "drain" when the call takes items off the queue (here, or in a child it makes);
    "unknown" when it hands the queue to code we cannot follow; None otherwise."""
    receiver = receiver_of(call)
    if receiver is not None and _same_variable(facts, queue, receiver):
        return "drain" if method_name(call) in GETS else None
    passes = any(_same_variable(facts, queue, arg.value) for arg in call.args) or (
        facts.kind_of_call(call) == Kind.PROCESS
        and any(
            isinstance(argument, cst.Tuple | cst.List)
            and any(_same_variable(facts, queue, e.value) for e in argument.elements)
            for argument in (a.value for a in call.args)
        )
    )
    if not passes:
        return None
    if facts.kind_of_call(call) == Kind.PROCESS:
        for argument, methods in queue_methods_on_parameters(facts, call):
            if _same_variable(facts, queue, argument):
                if methods & GETS:
                    return "drain"
                if methods <= (PUTS | {"close", "join_thread", "cancel_join_thread"}):
                    return None
        return "unknown"
    return "unknown"


@check("MP402")
def join_before_drain(facts: Facts) -> Iterator[Finding]:
    order = {id(call): index for index, call in enumerate(facts.calls)}
    for join in facts.calls:
        if method_name(join) != "join" or join.args:
            continue
        receiver = receiver_of(join)
        if receiver is None:
            continue
        processes = _process_calls(facts, receiver)
        scope = facts.scope_of(join)
        reported = False
        for process in processes:
            if reported or facts.scope_of(process) is not scope:
                continue
            for argument, methods in queue_methods_on_parameters(facts, process):
                if not isinstance(argument, cst.Name) or not methods & PUTS:
                    continue
                if not _is_pipe_queue(facts, argument):
                    continue
                if not may_overfill(facts, process, argument):
                    continue  # one small put cannot fill the pipe
                if _join_comes_first(facts, order, process, join, argument, scope):
                    yield Finding(
                        "MP402",
                        join,
                        {"process": source_text(receiver), "queue": argument.value},
                    )
                    reported = True
                    break


def _join_comes_first(
    facts: Facts,
    order: dict[int, int],
    process: cst.Call,
    join: cst.Call,
    queue: cst.Name,
    scope: cst.CSTNode,
) -> bool:
    start, end = order[id(process)], order[id(join)]
    drained_after = False
    # A child that puts in a loop outlasts a parent that takes a fixed few items first.
    puts_repeat = _puts_repeat(facts, process, queue)
    single_takes = 0
    for call in facts.calls:
        index = order[id(call)]
        if index <= start or call is process or facts.scope_of(call) is not scope:
            continue
        kind = _drain_kind(facts, call, queue)
        if kind is None:
            continue
        if kind == "drain" and facts.kind_of_call(call) == Kind.PROCESS:
            # A reader process drains from its start(), not from its creation.
            starts = [
                order[id(other)]
                for other in facts.calls
                if method_name(other) == "start"
                and receiver_of(other) is not None
                and any(p is call for p in _process_calls(facts, receiver_of(other)))  # type: ignore[arg-type]
            ]
            if not starts:
                return False
            index = min(starts)
        if index < end:
            if puts_repeat and kind == "drain" and _takes_once(facts, call, queue):
                single_takes += 1
                continue
            return False  # drained (or maybe drained) before the join
        if kind == "unknown":
            continue
        if not flow.exclusive(facts, join, call):
            drained_after = True
    return drained_after or single_takes > 0


def _puts_repeat(facts: Facts, process: cst.Call, queue: cst.Name) -> bool:
    """The child's function puts to this queue inside a loop."""
    target = facts.task_argument(process)
    function = facts.function_for(target.value) if target is not None else None
    site = (
        next((s for s in facts.call_sites.get(function, ()) if s.call is process), None)
        if function is not None
        else None
    )
    if function is None or site is None:
        return False
    params = function.params
    names = {
        param.name.value
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]
        if (argument := site.argument_for(param)) is not None
        and _same_variable(facts, queue, argument)
    }
    return any(
        method_name(call) in PUTS
        and isinstance(receiver := receiver_of(call), cst.Name)
        and receiver.value in names
        and flow.in_loop(facts, call)
        for call in facts.calls_by_function.get(function, ())
    )


def _takes_once(facts: Facts, call: cst.Call, queue: cst.Name) -> bool:
    """``q.get()`` of this very queue, run once (not in a loop or comprehension)."""
    receiver = receiver_of(call)
    return (
        receiver is not None
        and _same_variable(facts, queue, receiver)
        and method_name(call) in GETS
        and not flow.in_loop(facts, call)
    )
