"""MP411 notify-without-lock: notify()/wait() without holding the condition.

Page: rules/MP411.md (zh-CN: rules/zh-CN/MP411.md) · Fixtures: fixtures/MP411/
· Example: examples/MP411-notify-without-lock/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.sync.primitive_calls import CONDITION_KINDS, calls_in, method_name, receiver_of
from mplint.facts import Facts, call_argument, dotted_name
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP411": Message(
            en="`{call}` is called without holding the condition: it raises '{error}'. Call it "
            "inside `with {cond}:`.",
            zh="调用 `{call}` 时没有持有该条件变量的锁：会报 '{error}'。请在 `with {cond}:` 中调用。",
        ),
    }
)


_NEEDS_LOCK = {"notify": "notify", "notify_all": "notify", "wait": "wait", "wait_for": "wait"}


def _condition_error(kind: str | None, method: str) -> str:
    if kind == Kind.THREAD_CONDITION:
        return f"RuntimeError: cannot {_NEEDS_LOCK[method]} on un-acquired lock"
    if _NEEDS_LOCK[method] == "wait":
        return "AssertionError: must acquire() condition before using wait()"
    return "AssertionError: lock is not owned"


def _condition_lock_texts(facts: Facts, cond: cst.BaseExpression) -> set[str]:
    """The condition's own text, and the lock it was built on (``Condition(lock)``)."""
    texts = {source_text(cond)}
    for origin in facts.origins(cond, through_parameters=True) or []:
        argument = call_argument(origin, "lock", 0)
        if argument is not None and dotted_name(argument.value) is not None:
            texts.add(source_text(argument.value))
    return texts


def _holds(facts: Facts, call: cst.Call, texts: set[str]) -> bool:
    for item in flow.enclosing_with_items(facts, call):
        if source_text(item.item) in texts:
            return True
    for other in calls_in(facts, call):
        receiver = receiver_of(other)
        if (
            method_name(other) == "acquire"
            and receiver is not None
            and source_text(receiver) in texts
        ):
            return True
    return False


def _callers_may_hold(facts: Facts, function: cst.FunctionDef | None) -> bool:
    """A helper may be called with the condition held: stay silent unless this function
    runs in a child or every call of it is outside any ``with`` block."""
    if function is None or function in facts.child_functions:
        return False
    callers = [call for call in facts.calls if facts.function_for(call.func) is function]
    if not callers:
        return True
    return any(flow.enclosing_with_items(facts, caller) for caller in callers) or any(
        method_name(other) == "acquire" for caller in callers for other in calls_in(facts, caller)
    )


@check("MP411")
def notify_without_lock(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        method = method_name(call)
        receiver = receiver_of(call)
        if method not in _NEEDS_LOCK or receiver is None or dotted_name(receiver) is None:
            continue
        kind = facts.kind_through_parameters(receiver)
        if kind not in CONDITION_KINDS or isinstance(facts.scope_of(call), cst.Lambda):
            continue  # a lambda runs wherever its caller is: maybe with the lock held
        if _holds(facts, call, _condition_lock_texts(facts, receiver)):
            continue
        if _callers_may_hold(facts, facts.function_of(call)):
            continue
        yield Finding(
            "MP411",
            call,
            {
                "call": f"{source_text(receiver)}.{method}()",
                "cond": source_text(receiver),
                "error": _condition_error(kind, method),
            },
        )
