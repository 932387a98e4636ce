"""Calls on queues, pipes, locks and conditions, shared by the MP4xx rules: the receiver
and method of a call, the kinds of thread primitives, the gets and puts of a queue, and
the queue methods run on a parameter.

Objects that arrive as parameters (``def work(q): q.put(...)`` run by
``Process(target=work, args=(queue,))``) are recognised through
``Facts.kind_through_parameters``: what every call site of this file passes.
"""

from __future__ import annotations

import libcst as cst

from mplint.facts import Facts, dotted_name
from mplint.semantic.api import method_api
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

CONDITION_KINDS = frozenset({Kind.CONDITION, Kind.THREAD_CONDITION})
THREAD_PRIMITIVES = frozenset(
    {
        Kind.THREAD_LOCK,
        Kind.THREAD_SEMAPHORE,
        Kind.THREAD_CONDITION,
        Kind.THREAD_EVENT,
        Kind.THREAD_QUEUE,
        Kind.THREAD_BARRIER,
    }
)


def receiver_of(call: cst.Call) -> cst.BaseExpression | None:
    func = call.func
    return func.value if type(func) is cst.Attribute else None


def method_name(call: cst.Call) -> str | None:
    func = call.func
    return func.attr.value if type(func) is cst.Attribute else None


def same_dotted_name(first: cst.BaseExpression, second: cst.BaseExpression) -> bool:
    a, b = dotted_name(first), dotted_name(second)
    return a is not None and a == b


def function_boundary(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef)


def calls_in(facts: Facts, node: cst.CSTNode) -> list[cst.Call]:
    """Calls of the same function as ``node`` (or module level)."""
    return facts.calls_by_function.get(facts.function_of(node), [])


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def line_code(line: cst.SimpleStatementLine) -> str:
    """The text of a statement line as it stands in the file, without comments around it."""
    bare = line.with_changes(leading_lines=(), trailing_whitespace=cst.TrailingWhitespace())
    return source_text(bare).rstrip("\r\n")


def queue_methods_on_parameters(
    facts: Facts, process_call: cst.Call
) -> list[tuple[cst.BaseExpression, set[str]]]:
    """For a Process call: (argument passed, queue methods the target calls on it)."""
    target = facts.task_argument(process_call)
    function = facts.function_for(target.value) if target is not None else None
    if function is None:
        return []
    site = next((s for s in facts.call_sites.get(function, ()) if s.call is process_call), None)
    if site is None:
        return []
    params = function.params
    found = []
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        argument = site.argument_for(param)
        if argument is None:
            continue
        methods = set()
        for call in facts.calls_by_function.get(function, ()):
            receiver = receiver_of(call)
            if isinstance(receiver, cst.Name) and receiver.value == param.name.value:
                bindings = facts.visible_bindings(receiver)
                if len(bindings) == 1 and bindings[0].node is param:
                    methods.add(method_name(call) or "")
        found.append((argument, methods))
    return found


GETS = frozenset({"get", "get_nowait"})
PUTS = frozenset({"put", "put_nowait"})


def rebound_by_global(facts: Facts, name: str) -> bool:
    return any(name in names for names in facts.globals_declared.values())


def waits_without_timeout(call: cst.Call) -> bool:
    """A get()/put() that waits without a timeout: the one a stale size check misleads."""
    method = method_name(call)
    if method not in ("get", "put"):
        return False
    api = method_api(Kind.QUEUE, method)
    assert api is not None
    block = api.argument(call, "block")
    if block is not None and (
        block.star or not (isinstance(block.value, cst.Name) and block.value.value == "True")
    ):
        return False
    timeout = api.argument(call, "timeout")
    return timeout is None or (not timeout.star and is_none(timeout.value))


KIND_NAMES = {
    Kind.LOCK: "Lock",
    Kind.SEMAPHORE: "Semaphore",
    Kind.CONDITION: "Condition",
    Kind.EVENT: "Event",
    Kind.BARRIER: "Barrier",
    Kind.QUEUE: "Queue",
    Kind.VALUE: "Value",
    Kind.ARRAY: "Array",
    Kind.RAW_VALUE: "RawValue",
    Kind.RAW_ARRAY: "RawArray",
}
