"""MP115 join-before-start: join()/close() before start(), or close() too early.

Page: rules/MP115.md (zh-CN: rules/zh-CN/MP115.md) · Fixtures: fixtures/MP115/
· Example: examples/MP115-join-before-start/
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, Scope, is_method_call
from mplint.flow import exclusive, loads_of, uses_of
from mplint.names import kind_of_constructor
from mplint.semantic.syntax import nodes_in, source_text

JOIN_BEFORE_START = "join-before-start"
CLOSED_BEFORE_START = "close-before-start"
CLOSED_WHILE_RUNNING = "close-while-running"


messages(
    {
        "MP115": {
            JOIN_BEFORE_START: Message(
                en="`{call}` runs before the process is started: it raises `AssertionError: "
                "can only join a started process` and no child ever runs. Start every process "
                "first, then join them.",
                zh="`{call}` 在进程启动之前执行：会报 `AssertionError: can only join a started "
                "process`，一个子进程都不会运行。请先启动所有进程，再逐个 `join()`。",
            ),
            CLOSED_BEFORE_START: Message(
                en="`{call}` closes the process before it is started: the `start()` that "
                "follows raises `ValueError: process object is closed`. Start and join the "
                "process first, and close it last.",
                zh="`{call}` 在进程启动之前就把它关闭了：后面的 `start()` 会报 "
                "`ValueError: process object is closed`。请先启动并 `join()` 这个进程，最后再关闭。",
            ),
            CLOSED_WHILE_RUNNING: Message(
                en="`{call}` comes right after `start()` with no `join()`: the child is almost "
                "surely still running, so it raises `ValueError: Cannot close a process while "
                "it is still running`. Call `join()` first, then `close()`.",
                zh="`{call}` 紧跟在 `start()` 之后，中间没有 `join()`：子进程几乎肯定还在运行，"
                "所以会报 `ValueError: Cannot close a process while it is still running`。"
                "请先 `join()`，再 `close()`。",
            ),
        },
    }
)


# Uses of a started process after which close() may be safe: the parent waited for it, or
# looked at whether it is still running.
_WAITING = frozenset({"join", "is_alive", "exitcode", "sentinel", "terminate", "kill"})


class _SourceOrder:
    """Where a node starts in the source, as the path of child positions from the module
    down to it: paths compare in source order. Made from the parent links for the few
    nodes a check asks about, instead of numbering every node of the file."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.positions: dict[int, dict[int, int]] = {}
        self.paths: dict[int, tuple[int, ...]] = {}

    def path(self, node: cst.CSTNode) -> tuple[int, ...]:
        chain: list[cst.CSTNode] = []
        current: cst.CSTNode | None = node
        while current is not None and id(current) not in self.paths:
            chain.append(current)
            current = self.facts.parent(current)
        path = self.paths[id(current)] if current is not None else ()
        for child in reversed(chain):
            parent = self.facts.parent(child)
            if parent is not None:
                children = self.positions.get(id(parent))
                if children is None:
                    children = {id(c): i for i, c in enumerate(parent.children)}
                    self.positions[id(parent)] = children
                path = (*path, children.get(id(child), -1))
            self.paths[id(child)] = path
        return path


@dataclass(frozen=True, slots=True)
class _Event:
    order: tuple[int, ...]
    method: str  # "start", "join", "close", another attribute, or "" for an escape
    node: cst.CSTNode


def _variable_events(
    facts: Facts, name: str, scope: Scope, order: _SourceOrder
) -> list[_Event] | None:
    """What is done to a process held by one name, in source order; None when it is used
    in a nested scope (which may run at any time)."""
    events: list[_Event] = []
    receivers: set[int] = set()
    for use in uses_of(facts, name, scope):
        if facts.scope_of(use.attribute) is not scope:
            return None
        receivers.add(id(use.attribute.value))
        events.append(_Event(order.path(use.attribute), use.name, use.attribute))
    for load in loads_of(facts, name, scope):
        if facts.scope_of(load) is not scope:
            return None
        if id(load) not in receivers:
            events.append(_Event(order.path(load), "", load))
    return sorted(events, key=lambda event: event.order)


def _called(facts: Facts, event: _Event) -> cst.Call | None:
    parent = facts.parent(event.node)
    if isinstance(parent, cst.Call) and parent.func is event.node:
        return parent
    return None


def _makes_process(facts: Facts, call: cst.Call) -> bool:
    """A new, unstarted Process: its class called directly (not a function that may
    return a started one)."""
    func = call.func
    if isinstance(func, cst.Name) and func.value in facts.process_subclasses:
        return not facts.visible_bindings(func)
    return kind_of_constructor(facts.resolve(func)) == "process"


def _single_process_names(facts: Facts) -> Iterator[tuple[str, Scope, cst.CSTNode]]:
    """Names bound once, to a new Process, in their scope."""
    for (scope, name), bindings in facts.bindings.items():
        if len(bindings) != 1:
            continue
        binding = bindings[0]
        if (
            isinstance(binding.node, cst.Assign)
            and binding.unpack_index is None
            and isinstance(binding.value, cst.Call)
            and _makes_process(facts, binding.value)
        ):
            yield name, scope, binding.node


def _sleeps_between(
    facts: Facts, scope: Scope, first: cst.CSTNode, second: cst.CSTNode, order: _SourceOrder
) -> bool:
    """A ``time.sleep()`` between two nodes of one scope: the parent gives the child
    time to finish; whether that is enough is a guess, so the check stays silent."""
    return any(
        order.path(first) < order.path(call) < order.path(second)
        and facts.resolve(call.func) == "time.sleep"
        for call in facts.calls_by_scope.get(scope, ())
    )


def _order_problems(
    facts: Facts,
    events: list[_Event],
    binding: cst.CSTNode,
    scope: Scope,
    order: _SourceOrder,
) -> Iterator[tuple[cst.Call, str]]:
    """The first join()/close() that comes too early, for one process."""
    started: _Event | None = None
    waited = False
    for index, event in enumerate(events):
        call = _called(facts, event)
        if event.method == "" or (event.method == "start" and call is None):
            return  # handed on: something else may start or join it
        if event.method == "start":
            started, waited = event, False
            continue
        if call is None or event.method not in ("join", "close"):
            waited = waited or event.method in _WAITING
            continue
        binding_loops = set(map(id, flow.loops_between(facts, binding, scope)))
        if any(id(loop) not in binding_loops for loop in flow.loops_between(facts, call, scope)):
            return  # a later round of the loop may come after a start
        if started is None:
            if event.method == "join":
                yield call, JOIN_BEFORE_START
                return
            later = [e for e in events[index + 1 :] if e.method == "start"]
            if later and _called(facts, later[0]) is not None:
                yield call, CLOSED_BEFORE_START
            return
        if event.method == "join":
            waited = True
            continue
        if (
            not waited
            and not exclusive(facts, started.node, call)
            and not _sleeps_between(facts, scope, started.node, call, order)
        ):
            yield call, CLOSED_WHILE_RUNNING
        return


def _loop_method_calls(
    facts: Facts, loop: cst.For, scope: Scope
) -> dict[str, list[cst.Call]] | None:
    """``v.method()`` calls on the loop variable in a ``for v in ...:`` body; None when the
    variable is used in any other way."""
    if not isinstance(loop.target, cst.Name):
        return None
    variable = loop.target.value
    found: dict[str, list[cst.Call]] = {}
    # The names in the loop's body, found by a walk of it: cheaper than a walk up from
    # every use of the variable in the file.
    in_body = {id(name) for name in nodes_in(loop.body, cst.Name) if name.value == variable}
    for name in facts.name_nodes.get(variable, ()):
        if name is loop.target or id(name) not in in_body:
            continue
        attribute = facts.parent(name)
        call = facts.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        if not (
            isinstance(attribute, cst.Attribute)
            and attribute.value is name
            and isinstance(call, cst.Call)
            and call.func is attribute
        ):
            return None
        if facts.scope_of(call) is not scope:
            return None
        found.setdefault(attribute.attr.value, []).append(call)
    return found


def _list_problems(
    facts: Facts, name: str, scope: Scope, order: _SourceOrder
) -> Iterator[tuple[cst.Call, str]]:
    """``for p in procs: p.join()`` before ``for p in procs: p.start()``, and
    ``for p in procs: p.close()`` right after the loop that started them."""
    loops: list[tuple[cst.For, dict[str, list[cst.Call]]]] = []
    for load in loads_of(facts, name, scope):
        parent = facts.parent(load)
        if facts.scope_of(load) is not scope:
            return
        if isinstance(parent, cst.For) and parent.iter is load:
            calls = _loop_method_calls(facts, parent, scope)
            if calls is None or facts.kind_of(parent.target) != "process":
                return
            loops.append((parent, calls))
            continue
        grand = facts.parent(parent) if parent is not None else None
        if not (isinstance(grand, cst.Call) and is_method_call(grand, "append", name)):
            return  # the list is handed on or read: its processes may be started elsewhere
    if not loops:
        return
    first_start = min(
        (order.path(call) for call in facts.calls_by_scope.get(scope, ()) if _is_start(call)),
        default=None,
    )
    started = False
    for index, (_, calls) in enumerate(loops):
        if "start" in calls:
            if "join" in calls or "close" in calls:
                return  # started and stopped in one loop: another rule's business
            started = True
            continue
        if "join" in calls and not started:
            join = calls["join"][0]
            if first_start is not None and first_start < order.path(join):
                return
            if any("start" in later for _, later in loops[index + 1 :]):
                yield join, JOIN_BEFORE_START
            return
        if "close" in calls and started:
            yield calls["close"][0], CLOSED_WHILE_RUNNING
            return
        if set(calls) & _WAITING:
            return


def _is_start(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "start"


def _iterated(facts: Facts, name: cst.Name) -> bool:
    parent = facts.parent(name)
    return isinstance(parent, cst.For) and parent.iter is name


@check("MP115")
def join_before_start(facts: Facts) -> Iterator[Finding]:
    if "join" not in facts.name_nodes and "close" not in facts.name_nodes:
        return
    singles = list(_single_process_names(facts))
    lists = [
        (scope, name)
        for (scope, name), bindings in facts.bindings.items()
        if all(isinstance(b.value, cst.List | cst.ListComp) for b in bindings)
        and any(_iterated(facts, n) for n in facts.name_nodes.get(name, ()))
    ]
    if not singles and not lists:
        return
    order = _SourceOrder(facts)
    for name, scope, binding in singles:
        events = _variable_events(facts, name, scope, order)
        if events is None:
            continue
        for call, variant in _order_problems(facts, events, binding, scope, order):
            yield Finding("MP115", call, {"call": source_text(call)}, variant=variant)
    for scope, name in lists:
        for call, variant in _list_problems(facts, name, scope, order):
            yield Finding("MP115", call, {"call": source_text(call)}, variant=variant)
