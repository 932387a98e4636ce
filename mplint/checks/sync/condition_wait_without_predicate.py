"""MP407 condition-wait-without-predicate: Condition.wait() outside a while loop.

Page: rules/MP407.md (zh-CN: rules/zh-CN/MP407.md) · Fixtures: fixtures/MP407/
· Example: examples/MP407-condition-wait-without-predicate/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.sync.primitive_calls import (
    CONDITION_KINDS,
    function_boundary,
    method_name,
    receiver_of,
)
from mplint.facts import Facts
from mplint.semantic.syntax import source_text

messages(
    {
        "MP407": Message(
            en="`{cond}.wait()` is not in a `while` loop that re-checks the condition: a "
            "notify sent before the wait is lost and the waiter hangs, and a wake-up does not "
            "mean the state changed. Use `{cond}.wait_for(predicate)` or "
            "`while not ready: {cond}.wait()`.",
            zh="`{cond}.wait()` 不在重新检查条件的 `while` 循环中：在 `wait()` 之前发出的 `notify()` "
            "会丢失，等待方永远挂起；被唤醒也不代表状态已改变。请使用 "
            "`{cond}.wait_for(predicate)` 或 `while not ready: {cond}.wait()`。",
        ),
    }
)


@check("MP407")
def condition_wait_without_predicate(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        receiver = receiver_of(call)
        if method_name(call) != "wait" or receiver is None:
            continue
        if facts.kind_through_parameters(receiver) not in CONDITION_KINDS:
            continue
        if isinstance(facts.scope_of(call), cst.Lambda):
            continue
        in_while = False
        for ancestor in facts.ancestors(call):
            if function_boundary(ancestor):
                break
            if isinstance(ancestor, cst.While):
                in_while = True
                break
        if not in_while:
            yield Finding("MP407", call, {"cond": source_text(receiver)})
