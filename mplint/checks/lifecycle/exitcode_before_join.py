"""MP206 exitcode-before-join: exitcode read before join().

Page: rules/MP206.md (zh-CN: rules/zh-CN/MP206.md) · Fixtures: fixtures/MP206/
· Example: examples/MP206-exitcode-before-join/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.lifecycle.process_flow import (
    ProcessFlow,
    attribute_of,
    ordering_name,
    process_flow_of,
    rebound_between,
    receiver_uses,
    shared_loop,
)
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP206": Message(
            en="`{name}.exitcode` is read after `start()` with no `join()` before it: it "
            "is None while the child runs, not its exit status. Call `{name}.join()` first.",
            zh="在 `start()` 之后、`join()` 之前读取 `{name}.exitcode`：子进程还在运行时它是 "
            "None，而不是退出状态。请先调用 `{name}.join()`。",
        ),
    }
)


def _checks_for_none(facts: Facts, read: cst.Attribute) -> bool:
    """`p.exitcode is None`, `p.exitcode is not None`: a deliberate "still running?" test."""
    parent = facts.parent(read)
    if isinstance(parent, cst.ComparisonTarget):
        parent = facts.parent(parent)
    if not isinstance(parent, cst.Comparison):
        return False
    operands = [parent.left, *(target.comparator for target in parent.comparisons)]
    return any(isinstance(o, cst.Name) and o.value == "None" for o in operands)


@check("MP206")
def exitcode_before_join(facts: Facts) -> Iterator[Finding]:
    flows = process_flow_of(facts)
    for use in facts.attribute_uses:
        if isinstance(use.value, cst.Name) and use.value.value == "self":
            parent = facts.parent(use)
            if not (
                isinstance(parent, cst.Attribute)
                and parent.value is use
                and parent.attr.value == "exitcode"
            ):
                continue
            receiver: cst.BaseExpression = use
            read = parent
        elif use.attr.value == "exitcode":
            receiver, read = use.value, use
        else:
            continue
        if flow.action_of(facts, read) is not flow.Action.READ:
            continue
        if facts.kind_of(receiver) != Kind.PROCESS or _checks_for_none(facts, read):
            continue
        if _exitcode_too_early(flows, receiver, read):
            yield Finding("MP206", read, {"name": source_text(receiver)})


def _exitcode_too_early(
    flows: ProcessFlow, receiver: cst.BaseExpression, read: cst.Attribute
) -> bool:
    facts = flows.facts
    function = facts.function_of(read)
    read_name = ordering_name(read)
    here = flows.order(read_name)
    uses = receiver_uses(flows, receiver)
    started = False
    for base, method in uses:
        node = attribute_of(facts, base)
        order = flows.order(base)
        if method in ("is_alive", "sentinel") and (
            order < here or shared_loop(facts, read, node) is not None
        ):
            return False  # polled or waited on: the status may well be collected
        if method == "exitcode" and order < here and _checks_for_none(facts, node):
            return False  # `while p.exitcode is None:` polls; `if ... is None:` handles it
        if facts.function_of(base) is not function or order >= here:
            continue
        if method == "join" and not flow.exclusive(facts, node, read):
            return False
        if method == "start" and flow.action_of(facts, node) is flow.Action.CALL:
            if flow.exclusive(facts, node, read):
                continue
            if isinstance(receiver, cst.Name) and rebound_between(flows, receiver, base, read_name):
                continue
            started = True
    return started
