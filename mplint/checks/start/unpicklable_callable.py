"""MP103 unpicklable-callable: lambda, nested function or local-class method as task.

Page: rules/MP103.md (zh-CN: rules/zh-CN/MP103.md) · Fixtures: fixtures/MP103/
· Example: examples/MP103-unpicklable-callable/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.pickling_errors import pickling_error
from mplint.checks.start.callable_pickling import why_not_picklable
from mplint.facts import (
    POOL_KINDS,
    POOL_TASK_METHODS,
    Facts,
)
from mplint.semantic.kinds import Kind

messages(
    {
        "MP103": Message(
            en="{what} is sent to another process by pickling, and it cannot be pickled: "
            "{when} fails with {error}. Use a function defined at module level.",
            zh="{what}要被 pickle 序列化后发送给另一个进程，但它无法被序列化：{when}会报 "
            "{error}。请改用在模块顶层定义的函数。",
        ),
    }
)
_WHEN = {
    "pool": Phrase(
        "every pool task is pickled, under every start method, so it", "进程池在任何启动方式下"
    ),
    "spawn": Phrase(
        "under spawn/forkserver `start()`", "在 spawn/forkserver 启动方式下 `start()` "
    ),
}


@check("MP103")
def unpicklable_callable(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = facts.kind_of_call(call)
        candidates: list[tuple[cst.BaseExpression, str]] = []
        task = facts.task_argument(call)
        if task is None:
            continue
        # A Process that is dropped unused is never started, so never pickled.
        if kind == Kind.PROCESS and facts.may_spawn(call.func) and not facts.result_dropped(call):
            candidates.append((task.value, "spawn"))
        if kind in POOL_KINDS and facts.may_spawn(call.func):
            candidates.append((task.value, "spawn"))
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            if facts.kind_of(func.value) in POOL_KINDS:
                candidates.append((task.value, "pool"))
        for node, when in candidates:
            what = why_not_picklable(facts, node)
            if what is not None:
                yield Finding(
                    "MP103",
                    node,
                    {"what": what, "when": _WHEN[when], "error": pickling_error(facts, node)},
                )
