"""MP204 daemon-has-children: daemonic process creates processes.

Page: rules/MP204.md (zh-CN: rules/zh-CN/MP204.md) · Fixtures: fixtures/MP204/
· Example: examples/MP204-daemon-has-children/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.lifecycle.process_flow import ProcessFlow, process_flow_of
from mplint.facts import Facts
from mplint.semantic.kinds import Via

messages(
    {
        "MP204": Message(
            en="{who} runs `{function}`, which starts processes of its own: it fails with "
            "'AssertionError: daemonic processes are not allowed to have children'. Use a "
            "non-daemonic Process that joins its children, or hand all tasks to one pool.",
            zh="{who}运行的 `{function}` 会自己再创建进程：会报 'AssertionError: daemonic "
            "processes are not allowed to have children'。请改用非守护的 Process 并用 `join()` 等待"
            "它的子进程，或把所有任务交给同一个进程池。",
        ),
    }
)


_POOL_WORKER = Phrase(
    "A `multiprocessing.Pool` worker (always daemonic)",
    "`multiprocessing.Pool` 的工作进程（总是守护进程）",
)
_DAEMON = Phrase("A daemonic process", "守护进程")


@check("MP204")
def daemon_has_children(facts: Facts) -> Iterator[Finding]:
    flows = process_flow_of(facts)
    makers = flows.child_makers
    if not makers:
        return
    reported: set[int] = set()
    for use in facts.child_uses:
        if use.function not in makers or id(use.call) in reported:
            continue
        if use.via in (Via.POOL, Via.INITIALIZER) and use.daemonic:
            who = _POOL_WORKER
        elif (
            use.via == Via.PROCESS
            and isinstance(use.call, cst.Call)
            and _made_daemonic(flows, use.call)
        ):
            who = _DAEMON
        else:
            continue
        reported.add(id(use.call))
        yield Finding(
            "MP204",
            use.call,
            {"who": who, "function": use.function.name.value},
        )
    # Process subclasses whose instances are daemonic and whose run() makes processes.
    for item in flows.started:
        for call in item.creations or ():
            cls = flows.subclass_of(call)
            if cls is None or id(call) in reported:
                continue
            run = flows.target_of(call)
            if run is None or run not in makers or flows.daemonic(item) is not True:
                continue
            reported.add(id(call))
            yield Finding(
                "MP204",
                call,
                {"who": _DAEMON, "function": f"{cls.name.value}.run"},
            )


def _made_daemonic(flows: ProcessFlow, call: cst.Call) -> bool:
    """`Process(..., daemon=True)`, or `p = Process(...)` with `p.daemon = True`."""
    for item in flows.started:
        if item.creations and any(c is call for c in item.creations):
            return flows.daemonic(item) is True
    return flows.creation_daemonic(call) is True
