"""When does a stale `empty()`/`full()` answer hurt? MP404's question.

`q.empty()` and `q.full()` describe the queue at one instant. The answer goes wrong in
two ways that matter:

- another consumer (or producer) acts between the check and the `get()` (`put()`): the
  item the check saw is gone (the room is taken) and the blocking call waits for ever;
- a loop that stops reading when the queue looks empty while producers still run stops
  too early: items still in a producer's feeder thread are never read.

With one consumer checking `empty()` (one producer checking `full()`) nobody can take the
item (the room) in between, and a drain after the producers were joined, or after every
expected item was taken, sees a queue that no longer changes: both are silent.
"""

from __future__ import annotations

import libcst as cst

import mplint.flow as flow
from mplint.checks.sync.primitive_calls import (
    GETS,
    PUTS,
    calls_in,
    method_name,
    queue_methods_on_parameters,
    receiver_of,
    waits_without_timeout,
)
from mplint.facts import Facts
from mplint.semantic.syntax import names_in


def stale_answer_harms(
    facts: Facts,
    check: cst.Call,
    statement: cst.If | cst.While | cst.For,
    queue: cst.BaseExpression,
    action: cst.Call,
) -> bool:
    """Whether the stale answer of ``check`` (deciding ``statement``) can block or lose
    data, given the blocking ``action`` (a get or put on ``queue``) it guards."""

    getting = method_name(action) == "get"
    if isinstance(statement, cst.While) and getting:
        return _drain_may_stop_early(facts, check, queue)
    return _several_sides(facts, check, queue, getting)


def _child_function_of(facts: Facts, node: cst.CSTNode) -> cst.FunctionDef | None:
    function = facts.function_of(node)
    return function if function is not None and function in facts.child_functions else None


def _processes_running(facts: Facts, function: cst.FunctionDef) -> int:
    """How many processes run a child function: 2 stands for "more than one"."""
    count = 0
    for use in facts.child_uses:
        if use.function is not function:
            continue
        if use.via != "process" and use.via != "run":
            return 2  # a pool or executor: several workers
        if use.via == "run":
            cls = use.call
            name = cls.name.value if isinstance(cls, cst.ClassDef) else None
            made = [
                c
                for c in facts.calls
                if name is not None and isinstance(c.func, cst.Name) and c.func.value == name
            ]
            count += sum(2 if flow.in_loop_within(facts, c) else 1 for c in made)
            continue
        count += 2 if flow.in_loop_within(facts, use.call) else 1
    return count


def _children_using(facts: Facts, queue: cst.BaseExpression, methods: frozenset[str]) -> str:
    """Whether processes made in the queue's own function call one of ``methods`` on it:
    "yes", "no", or "unknown" (handed to code that is not followed)."""

    if not isinstance(queue, cst.Name):
        return "unknown"
    answer = "no"
    for call in facts.calls:
        if facts.kind_of_call(call) != "process":
            continue
        passed = [
            (argument, used)
            for argument, used in queue_methods_on_parameters(facts, call)
            if isinstance(argument, cst.Name) and argument.value == queue.value
        ]
        mentions = any(isinstance(n, cst.Name) and n.value == queue.value for n in names_in(call))
        if mentions and not passed:
            answer = "unknown"
        for _argument, used in passed:
            if used & methods:
                return "yes"
            if not used:
                answer = "unknown"
    return answer


def _several_sides(facts: Facts, check: cst.Call, queue: cst.BaseExpression, getting: bool) -> bool:
    """Another consumer (producer) can act between the check and the get (put)."""

    methods = GETS if getting else PUTS
    child = _child_function_of(facts, check)
    if child is not None:
        return _processes_running(facts, child) > 1
    if (function := facts.function_of(check)) is not None and facts.class_of(function):
        return True  # a method of some class: who else uses the queue is not known
    return _children_using(facts, queue, frozenset(methods)) != "no"


def _drain_may_stop_early(facts: Facts, check: cst.Call, queue: cst.BaseExpression) -> bool:
    """`while not q.empty(): q.get()`: stops too early unless no producer can still run.
    In a child, the parent or another child may still be putting: always."""

    if not isinstance(queue, cst.Name):
        return True
    if _collected_before(facts, check, queue):
        return False
    if _child_function_of(facts, check) is not None:
        return True
    return _children_using(facts, queue, frozenset(PUTS)) != "no"


def _collected_before(facts: Facts, check: cst.Call, queue: cst.Name) -> bool:
    """Every expected item was already taken: a blocking `q.get()` earlier in the same
    function, in a counted `for` loop or a sentinel-ended `while` loop."""

    for call in calls_in(facts, check):
        if call is check:
            return False
        receiver = receiver_of(call)
        if not (
            method_name(call) == "get"
            and waits_without_timeout(call)
            and isinstance(receiver, cst.Name)
            and receiver.value == queue.value
        ):
            continue
        for ancestor in facts.ancestors(call):
            if isinstance(ancestor, cst.FunctionDef | cst.Module):
                break
            if isinstance(ancestor, cst.For | cst.CompFor):
                return not flow.is_inside(facts, check, ancestor)
            if isinstance(ancestor, cst.While) and flow.is_inside(facts, call, ancestor.test):
                return not flow.is_inside(facts, check, ancestor)
            if (
                isinstance(ancestor, cst.If)
                and flow.is_inside(facts, call, ancestor.test)
                and _breaks(ancestor.body)
            ):
                loop = next(
                    (a for a in facts.ancestors(ancestor) if isinstance(a, cst.While)), None
                )
                # `while True: if q.get() is None: break`: the loop ends on a sentinel
                return loop is not None and not flow.is_inside(facts, check, loop)
            if isinstance(ancestor, cst.While) and _sentinel_ends(facts, call, ancestor):
                # `while True: item = q.get(); if item is None: break`
                return not flow.is_inside(facts, check, ancestor)
            if isinstance(ancestor, cst.ListComp | cst.GeneratorExp):
                return True
    return False


def _sentinel_ends(facts: Facts, get: cst.Call, loop: cst.While) -> bool:
    """`item = q.get()` in the loop's body, and an `if` of that body that tests `item` and
    breaks: the loop ends when the sentinel arrives."""
    assign = facts.parent(get)
    if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1):
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name) or not isinstance(loop.body, cst.IndentedBlock):
        return False
    for statement in loop.body.body:
        if (
            isinstance(statement, cst.If)
            and _breaks(statement.body)
            and any(
                isinstance(node, cst.Name) and node.value == target.value
                for node in names_in(statement.test)
            )
        ):
            return True
    return False


def _breaks(body: cst.BaseSuite) -> bool:
    """The block leaves its loop with `break` (not one of a nested loop)."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            return True
        if isinstance(node, cst.For | cst.While | cst.FunctionDef | cst.ClassDef):
            continue
        stack.extend(node.children)
    return False
