"""MP901 blocking-call-without-timeout: blocking call without a timeout in the parent.

Page: rules/MP901.md (zh-CN: rules/zh-CN/MP901.md) · Fixtures: fixtures/MP901/
· Example: examples/MP901-blocking-call-without-timeout/
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import (
    POOL_KINDS,
    POOL_TASK_METHODS,
    Facts,
    call_argument,
    is_method_call,
)
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import names_in, source_text

messages(
    {
        "MP901": {
            "join": Message(
                en="`{call}` blocks with no timeout: it returns as soon as the child ends, "
                "however it ends, but if the child hangs (a deadlock, a blocking call of its "
                "own) the parent hangs with it. Use `join(timeout)`, then check `is_alive()`: "
                "a child still alive after the timeout is stuck.",
                zh="`{call}` 没有超时地阻塞等待：子进程一结束（不管怎么结束的）它就会返回，但如果"
                "子进程卡住了（死锁，或者它自己在阻塞等待），父进程也会跟着卡住。请使用 "
                "`join(timeout)`，然后检查 `is_alive()`：超时之后还活着的子进程就是卡住了。",
            ),
            "other": Message(
                en="`{call}` blocks with no timeout: if the {other} dies or hangs, the parent "
                "waits for ever. {instead}",
                zh="`{call}` 没有超时地阻塞等待：如果{other}崩溃或卡住，父进程会永远等下去。"
                "{instead}",
            ),
        },
    }
)


@dataclass(frozen=True, slots=True)
class Blocking:
    """A blocking method of one kind of object: where its block flag and timeout go."""

    block: tuple[str, int] | None  # keyword and position of `block`/`blocking`, if any
    timeout: tuple[str, int]  # keyword and position of `timeout`
    other: Phrase
    instead: Phrase


_JOIN = Blocking(
    None,
    ("timeout", 0),
    Phrase("child", "子进程"),
    Phrase(
        "Use `join(timeout)`, then check `is_alive()` or `exitcode`.",
        "请使用 `join(timeout)`，然后检查 `is_alive()` 或 `exitcode`。",
    ),
)
_QUEUE_GET = Blocking(
    ("block", 0),
    ("timeout", 1),
    Phrase("child that should put the item", "应当放入数据的子进程"),
    Phrase(
        "Use `get(timeout=...)` and handle `queue.Empty`.",
        "请使用 `get(timeout=...)` 并处理 `queue.Empty`。",
    ),
)
_RESULT_GET = Blocking(
    None,
    ("timeout", 0),
    Phrase("pool worker", "进程池的工作进程"),
    Phrase(
        "Use `get(timeout=...)`; it raises `multiprocessing.TimeoutError` when time is up.",
        "请使用 `get(timeout=...)`；超时会抛出 `multiprocessing.TimeoutError`。",
    ),
)
_RECV = Blocking(
    None,
    ("", -1),
    Phrase("process at the other end", "管道另一端的进程"),
    Phrase(
        "`recv()` has no timeout: check `conn.poll(timeout)` first.",
        "`recv()` 没有超时参数：请先用 `conn.poll(timeout)` 检查。",
    ),
)
_WAIT = Blocking(
    None,
    ("timeout", 0),
    Phrase("process that should set or notify it", "应当设置或通知它的进程"),
    Phrase("Pass a timeout and check the result.", "请传入超时时间并检查返回值。"),
)
_WAIT_FOR = Blocking(
    None,
    ("timeout", 1),
    Phrase("process that should notify it", "应当通知它的进程"),
    Phrase("Pass a timeout and check the result.", "请传入超时时间并检查返回值。"),
)
_ACQUIRE = Blocking(
    ("block", 0),
    ("timeout", 1),
    Phrase("process holding it", "持有它的进程"),
    Phrase(
        "Use `acquire(timeout=...)` and check its result.",
        "请使用 `acquire(timeout=...)` 并检查返回值。",
    ),
)

BLOCKING: dict[tuple[str, str], Blocking] = {
    (Kind.PROCESS, "join"): _JOIN,
    (Kind.QUEUE, "get"): _QUEUE_GET,
    (Kind.ASYNC_RESULT, "get"): _RESULT_GET,
    (Kind.ASYNC_RESULT, "wait"): _WAIT,
    (Kind.PIPE, "recv"): _RECV,
    (Kind.PIPE, "recv_bytes"): _RECV,
    (Kind.EVENT, "wait"): _WAIT,
    (Kind.CONDITION, "wait"): _WAIT,
    (Kind.CONDITION, "wait_for"): _WAIT_FOR,
    (Kind.BARRIER, "wait"): _WAIT,
    (Kind.LOCK, "acquire"): _ACQUIRE,
    (Kind.SEMAPHORE, "acquire"): _ACQUIRE,
}
METHODS = frozenset(method for _, method in BLOCKING)


def _is_literal(node: cst.BaseExpression, *names: str) -> bool:
    return isinstance(node, cst.Name) and node.value in names


def _blocks_for_ever(call: cst.Call, blocking: Blocking) -> bool:
    """No timeout given (or ``timeout=None``) and blocking not turned off."""
    if any(arg.star for arg in call.args):
        return False
    if blocking.block is not None:
        block = call_argument(call, *blocking.block)
        if block is not None and not _is_literal(block.value, "True"):
            return False
    if blocking.timeout[1] < 0:
        return True
    timeout = call_argument(call, *blocking.timeout)
    return timeout is None or _is_literal(timeout.value, "None")


def _child_side(facts: Facts) -> set[cst.FunctionDef]:
    """Functions that run in a child: those sent there and those they call."""
    reaching = set(facts.child_functions)
    changed = True
    while changed:
        changed = False
        for function, calls in facts.calls_by_function.items():
            if function is None or function not in reaching:
                continue
            for call in calls:
                callee = facts.function_for(call.func)
                if callee is not None and callee not in reaching:
                    reaching.add(callee)
                    changed = True
    return reaching


def _starts_children(facts: Facts) -> bool:
    return any(
        facts.kind_of_call(call) in (Kind.PROCESS, *POOL_KINDS) for call in facts.calls
    ) or bool(facts.process_subclasses)


# Objects that are the other side by themselves: a process, a pool's result.
INHERENT_KINDS = frozenset({Kind.PROCESS, Kind.ASYNC_RESULT})


def _handed_to_children(facts: Facts) -> set[int]:
    """Bindings (by node id) of names passed to a process, pool or executor: in the
    arguments of ``Process(...)``/``Pool(...)`` or of a task sent to a pool."""
    handed: set[int] = set()
    for call in facts.calls:
        sends = facts.kind_of_call(call) in (Kind.PROCESS, *POOL_KINDS)
        func = call.func
        if not sends and isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            sends = facts.kind_of(func.value) in POOL_KINDS
        if not sends:
            continue
        for name in (name for arg in call.args for name in names_in(arg.value)):
            for binding in facts.visible_bindings(name):
                handed.add(id(binding.node))
    return handed


def _shared(facts: Facts, receiver: cst.BaseExpression, handed: set[int]) -> bool:
    """Is the object behind a local name also given to a child (for a pipe: either end)?"""
    if not isinstance(receiver, cst.Name):
        return False
    bindings = facts.visible_bindings(receiver)
    return bool(bindings) and all(id(binding.node) in handed for binding in bindings)


def _polls(facts: Facts, receiver: cst.BaseExpression, function: cst.FunctionDef | None) -> bool:
    """Does the same function call ``poll()`` on the same connection name?"""
    if not isinstance(receiver, cst.Name):
        return False
    return any(
        is_method_call(call, "poll", receiver.value)
        for call in facts.calls_by_function.get(function, [])
    )


# A join() in a child waits for a grandchild, whose own waits are in child_side too.
_WAITS = frozenset({"get", "recv", "recv_bytes", "wait", "wait_for", "acquire"})


def _children_can_hang(facts: Facts, child_side: set[cst.FunctionDef]) -> bool:
    """Does code that runs in a child wait for something with no timeout: a queue, a pipe, a
    lock, an event, its own children? ``join()`` returns when the child ends, however it
    ends; it hangs only when the child hangs, and a child that never waits does not."""
    if not child_side:
        return True  # we do not know what the children run: assume they may wait
    for call in facts.method_calls(*_WAITS):
        function = facts.function_of(call)
        if function not in child_side:
            continue
        func = call.func
        assert isinstance(func, cst.Attribute)
        blocking = BLOCKING.get((facts.kind_of(func.value) or "", func.attr.value))
        if blocking is None:
            if not call.args:
                return True  # `q.get()` on a parameter of unknown kind: it may be a queue
            continue
        if _blocks_for_ever(call, blocking):
            return True
    return False


@check("MP901")
def blocking_call_without_timeout(facts: Facts) -> Iterator[Finding]:
    if not _starts_children(facts):
        return
    child_side: set[cst.FunctionDef] | None = None
    handed: set[int] | None = None
    children_can_hang: bool | None = None
    for call in facts.method_calls(*METHODS):
        func = call.func
        assert isinstance(func, cst.Attribute)
        kind = facts.kind_of(func.value)
        blocking = BLOCKING.get((kind or "", func.attr.value))
        if blocking is None or not _blocks_for_ever(call, blocking):
            continue
        if child_side is None:
            child_side = _child_side(facts)
        function = facts.function_of(call)
        if function is not None and (
            function in child_side or any(a in child_side for a in facts.ancestors(function))
        ):
            continue
        if blocking is _RECV and _polls(facts, func.value, function):
            continue
        if blocking is _JOIN:
            if children_can_hang is None:
                children_can_hang = _children_can_hang(facts, child_side)
            if not children_can_hang:
                continue
        if kind not in INHERENT_KINDS:
            if handed is None:
                handed = _handed_to_children(facts)
            if not _shared(facts, func.value, handed):
                continue  # a queue, pipe or lock no child holds: nobody on the other side
        text = " ".join(source_text(call).split())
        yield Finding(
            "MP901",
            call,
            {
                "call": text if len(text) <= 60 else text[:57] + "...",
                "other": blocking.other,
                "instead": blocking.instead,
            },
            variant="join" if blocking is _JOIN else "other",
        )
