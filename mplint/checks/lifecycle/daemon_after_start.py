"""MP203 daemon-after-start: daemon flag set after start().

Page: rules/MP203.md (zh-CN: rules/zh-CN/MP203.md) · Fixtures: fixtures/MP203/
· Example: examples/MP203-daemon-after-start/
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
)
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP203": Message(
            en="`{name}.daemon` is set after `{name}.start()`: it raises 'AssertionError: "
            "process has already started'. Pass `daemon=` to the constructor or set it "
            "before `start()`.",
            zh="在 `{name}.start()` 之后才设置 `{name}.daemon`：会报 'AssertionError: "
            "process has already started'。请在构造时传 `daemon=`，或在 `start()` 之前设置。",
        ),
    }
)


@check("MP203")
def daemon_after_start(facts: Facts) -> Iterator[Finding]:
    flows = process_flow_of(facts)
    for use in facts.attribute_uses:
        if use.attr.value != "daemon" or flow.action_of(facts, use) is not flow.Action.STORE:
            continue
        receiver: cst.BaseExpression = use.value
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            continue  # `self.daemon = ...` inside a subclass: before its start()
        if facts.kind_of(receiver) != Kind.PROCESS:
            continue
        yield from _daemon_after_start(flows, receiver, use)
    # self.x.daemon = ... after self.x.start() in the same method
    for use in facts.attribute_uses:
        if not isinstance(use.value, cst.Name) or use.value.value != "self":
            continue
        store = facts.parent(use)
        if not (
            isinstance(store, cst.Attribute)
            and store.value is use
            and store.attr.value == "daemon"
            and flow.action_of(facts, store) is flow.Action.STORE
        ):
            continue
        if facts.kind_of(use) != Kind.PROCESS:
            continue
        yield from _daemon_after_start(flows, use, store)


def _daemon_after_start(
    flows: ProcessFlow,
    receiver: cst.BaseExpression,
    store: cst.Attribute,
) -> Iterator[Finding]:
    facts = flows.facts
    store_name = ordering_name(store)
    function = facts.function_of(store)
    for base, method in receiver_uses(flows, receiver):
        if method != "start" or facts.function_of(base) is not function:
            continue
        start = attribute_of(facts, base)
        if flow.action_of(facts, start) is not flow.Action.CALL:
            continue
        if flows.order(base) >= flows.order(store_name):
            continue
        if flow.exclusive(facts, start, store):
            continue
        if isinstance(receiver, cst.Name) and rebound_between(flows, receiver, base, store_name):
            continue
        if isinstance(receiver, cst.Attribute) and _self_rebound_between(
            flows, receiver, base, store_name
        ):
            continue
        yield Finding("MP203", store, {"name": source_text(receiver)})
        return


def _self_rebound_between(
    flows: ProcessFlow, receiver: cst.Attribute, first: cst.Name, second: cst.Name
) -> bool:
    facts = flows.facts
    low, high = flows.order(first), flows.order(second)
    for binding in facts.self_attribute_bindings:
        if binding.name != f"self.{receiver.attr.value}":
            continue
        node = binding.node
        target = None
        if isinstance(node, cst.Assign):
            for item in node.targets:
                if isinstance(item.target, cst.Attribute):
                    target = item.target
        elif isinstance(node, cst.AnnAssign | cst.NamedExpr) and isinstance(
            node.target, cst.Attribute
        ):
            target = node.target
        if target is not None and isinstance(target.value, cst.Name):
            if low < flows.order(target.value) < high:
                return True
    return False
