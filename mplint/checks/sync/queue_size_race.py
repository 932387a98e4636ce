"""MP404 queue-size-race: empty()/full()/qsize() used to decide get or put.

Page: rules/MP404.md (zh-CN: rules/zh-CN/MP404.md) · Fixtures: fixtures/MP404/
· Example: examples/MP404-queue-size-race/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.sync.primitive_calls import (
    calls_in,
    function_boundary,
    method_name,
    receiver_of,
    same_dotted_name,
    waits_without_timeout,
)
from mplint.checks.sync.staleness import stale_answer_harms
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP404": {
            "several": Message(
                en="`{call}` decides whether to call `{action}`, but between the check and the "
                "call another process can {verb}, so `{action}` can block for ever. Use a "
                "sentinel value, or `{action_timeout}` with `except {exception}`.",
                zh="`{call}` 被用来决定是否调用 `{action}`，但在检查和调用之间，另一个进程可能"
                "{verb}，于是 `{action}` 可能永远阻塞。请使用哨兵值，或用 `{action_timeout}` "
                "加 `except {exception}`。",
            ),
            "drain": Message(
                en="`{call}` decides when to stop reading while producers may still be putting: "
                "the loop ends as soon as the queue looks empty, and items still on their way "
                "are never read. End the loop on a sentinel value that each producer puts last.",
                zh="`{call}` 决定什么时候停止读取，而生产者可能还在往队列里放数据：队列一看起来"
                "为空循环就结束，还在路上的数据永远不会被读到。请让每个生产者最后放一个哨兵值，"
                "读到哨兵值再结束循环。",
            ),
            "qsize": Message(
                en="`{call}` decides whether to call `{action}`: `qsize()` raises "
                "NotImplementedError on macOS, and its answer is stale at once. Use a sentinel "
                "value, or `get(timeout=...)` with `except queue.Empty`.",
                zh="`{call}` 被用来决定是否调用 `{action}`：macOS 上 `qsize()` 会抛出 "
                "NotImplementedError，而且它的结果立刻就会过时。请使用哨兵值，或用 "
                "`get(timeout=...)` 加 `except queue.Empty`。",
            ),
        },
    }
)


_TAKE_FIRST = Phrase("take the item", "先把这个数据取走")
_FILL_FIRST = Phrase("fill the free slot", "先占掉空位")


@check("MP404")
def queue_size_race(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        method = method_name(call)
        receiver = receiver_of(call)
        if method not in ("empty", "full", "qsize") or receiver is None:
            continue
        statement = flow.deciding_statement(facts, call)
        branches = flow.decided_regions(facts, call)
        if (
            statement is None
            or not branches
            or facts.kind_through_parameters(receiver) != Kind.QUEUE
        ):
            continue
        if _after_join(facts, call):
            continue  # the producers have finished: the queue no longer changes under us
        actions = [
            other
            for other in calls_in(facts, call)
            if waits_without_timeout(other)
            and same_dotted_name(receiver_of(other) or other, receiver)
            and any(facts.is_inside(other, branch) for branch in branches)
        ]
        if actions:
            if method != "qsize" and not stale_answer_harms(
                facts, call, statement, receiver, actions[0]
            ):
                continue  # one consumer (producer), or a queue that no longer changes
            getting = method_name(actions[0]) == "get"
            shown = source_text(receiver)
            params: dict[str, str | Phrase] = {
                "call": source_text(call),
                "action": f"{shown}.get()" if getting else f"{shown}.put(...)",
                "action_timeout": f"{shown}.get(timeout=...)"
                if getting
                else f"{shown}.put(..., timeout=...)",
            }
            if method == "qsize":
                variant = "qsize"
            elif isinstance(statement, cst.While) and getting:
                variant = "drain"
            else:
                variant = "several"
                params["verb"] = _TAKE_FIRST if getting else _FILL_FIRST
                params["exception"] = "queue.Empty" if getting else "queue.Full"
            yield Finding("MP404", call, params, variant=variant)


def _after_join(facts: Facts, call: cst.Call) -> bool:
    """True when a ``join()`` (no timeout) runs before the call in its function, with no
    ``start()`` after it, and the call is not in a loop around that join."""
    joined = False
    for other in calls_in(facts, call):
        if other is call:
            return joined
        method = method_name(other)
        if method == "join" and not other.args and not _inside_loop_of(facts, call, other):
            joined = True
        elif method == "start":
            joined = False
    return False


def _inside_loop_of(facts: Facts, call: cst.Call, other: cst.Call) -> bool:
    """True when a loop holds both calls (the join may come after on the next round)."""
    for ancestor in facts.ancestors(call):
        if function_boundary(ancestor):
            return False
        if isinstance(ancestor, cst.For | cst.While) and flow.is_inside(facts, other, ancestor):
            if flow.is_inside(facts, other, ancestor.body):
                return True
    return False
