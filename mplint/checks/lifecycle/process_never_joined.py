"""MP201 process-never-joined: unjoined process: crashes under spawn, results read too early, zombies in a loop.

Page: rules/MP201.md (zh-CN: rules/zh-CN/MP201.md) · Fixtures: fixtures/MP201/
· Example: examples/MP201-process-never-joined/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.lifecycle.process_flow import (
    Started,
    process_flow_of,
    shown_name,
)
from mplint.checks.lifecycle.unjoined_harm import Harm, harm_of
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import NESTED_SCOPES, contains

messages(
    {
        "MP201": {
            "crash": Message(
                en="`{name}` is given the {what} `{given}` and never joined: under spawn or "
                "forkserver (macOS, and Linux from Python 3.14), when the parent reaches its "
                "end first it deletes the semaphores behind `{given}`, and the child dies with "
                "'FileNotFoundError: [Errno 2] No such file or directory' before doing any "
                "work. Keep the process and call `join()` on it before the parent ends.",
                zh="`{name}` 拿到了{what} `{given}`，却从未被 `join()`：以 spawn 或 forkserver 方式"
                "启动时（macOS，以及 Python 3.14 起的 Linux），父进程若先运行到结尾，就会删除 "
                "`{given}` 背后的信号量，子进程还没开始工作就以 'FileNotFoundError: [Errno 2] "
                "No such file or directory' 崩溃。请保留这个进程，并在父进程结束前对它调用 "
                "`join()`。",
            ),
            "proxy": Message(
                en="`{name}` is given the manager proxy `{given}` and never joined: under every "
                "start method, when the parent reaches its end first the manager shuts down "
                "and the child's use of `{given}` fails with FileNotFoundError or "
                "ConnectionResetError. Keep the process and call `join()` on it before the "
                "parent ends.",
                zh="`{name}` 拿到了管理器代理对象 `{given}`，却从未被 `join()`：无论哪种启动方式，"
                "父进程若先运行到结尾，管理器就会关闭，子进程使用 `{given}` 时会报 "
                "FileNotFoundError 或 ConnectionResetError。请保留这个进程，并在父进程结束前"
                "对它调用 `join()`。",
            ),
            "read": Message(
                en="`{name}` {problem}, yet the parent then reads `{given}`, which the child "
                "writes: it reads before the child has finished and sees partial or old data, "
                "under every start method. Call `join()` on every process before reading what "
                "it produced.",
                zh="`{name}` {problem}，父进程却随后读取子进程要写入的 `{given}`：它会在子进程"
                "完成之前读取，看到不完整或过时的数据，任何启动方式都一样。请先对每个进程调用 "
                "`join()`，再读取它们的结果。",
            ),
            "loop": Message(
                en="`{name}` is started over and over by a long-running loop and never "
                "joined: each child's exit status is lost, and a finished child stays a zombie "
                "until the next `start()` reaps it (fork and spawn; forkserver's children "
                "belong to the fork server). Keep the processes and join them, or use a pool.",
                zh="`{name}` 在一个长时间运行的循环里被反复启动，却从未被 `join()`：每个子进程的"
                "退出状态都会丢失，结束的子进程会一直是僵尸进程，直到下一次 `start()` 把它"
                "回收（fork 和 spawn；forkserver 的子进程由 forkserver 服务进程负责回收）。请保留这些进程"
                "并用 `join()` 等待它们，或改用进程池。",
            ),
        },
    }
)


def _only_last_joined(facts: Facts, item: Started) -> bool:
    """`for ...: p = Process(...); p.start()` and then `p.join()` after the loop: only
    the process of the last round is joined."""
    receiver = item.receiver
    if not isinstance(receiver, cst.Name) or item.fate.contained or item.fate.escaped:
        return False
    loop = flow.innermost_loop(facts, item.start, comprehensions=False)
    if loop is None or not isinstance(loop, cst.For):
        return False
    bindings = facts.visible_bindings(receiver)
    made_here = [
        b
        for b in bindings
        if isinstance(b.value, cst.Call)
        and facts.kind_of_call(b.value) == Kind.PROCESS
        and flow.is_inside(facts, b.node, loop.body)
    ]
    if len(made_here) != 1 or len(bindings) != 1:
        return False
    if any(flow.is_inside(facts, join, loop) for join in item.fate.joins):
        return False
    if any(facts.function_of(join) is not facts.function_of(loop) for join in item.fate.joins):
        return False
    return not contains(loop.body, (cst.Break, cst.Return, cst.Raise), skip=NESTED_SCOPES)


@check("MP201")
def process_never_joined(facts: Facts) -> Iterator[Finding]:
    """A started process that is never joined, reported only for the harm it really does
    (see ``checks/lifecycle/unjoined_harm.py``). Page: rules/MP201.md; fixtures: fixtures/MP201/;
    example: examples/MP201-process-never-joined/."""
    flows = process_flow_of(facts)
    if flows.active_children_used:
        return  # multiprocessing.active_children() reaps finished children
    for item in flows.started:
        fate = item.fate
        if fate.escaped or fate.reaped or fate.stops or flows.daemonic(item) is not False:
            continue
        if isinstance(item.receiver, cst.Call):
            cls = flows.subclass_of(item.receiver)
            if cls is not None or facts.resolve(item.receiver.func) != "multiprocessing.Process":
                continue  # a subclass may keep itself somewhere
        if fate.joined and not _only_last_joined(facts, item):
            continue
        harm = harm_of(flows, item, only_last_joined=fate.joined)
        if harm is not None:
            params = _unjoined_message(item, harm, fate.joined)
            yield Finding("MP201", item.start, params, variant=harm.variant)


_ONLY_LAST_JOINED = Phrase(
    "is joined only for the loop's last round (the `join()` is after the loop)",
    "只在循环的最后一轮被 `join()`（`join()` 在循环之后）",
)
_NEVER_JOINED = Phrase("is never joined", "从未被 `join()`")


def _unjoined_message(item: Started, harm: Harm, only_last: bool) -> dict[str, str | Phrase]:
    """The message parameters of one MP201 finding."""
    params: dict[str, str | Phrase] = {"name": shown_name(item.receiver), **harm.params}
    if harm.variant == "read":
        params["problem"] = _ONLY_LAST_JOINED if only_last else _NEVER_JOINED
    return params
