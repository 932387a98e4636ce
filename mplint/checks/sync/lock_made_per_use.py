"""MP410 lock-made-per-use: lock created where it is used: guards nothing.

Page: rules/MP410.md (zh-CN: rules/zh-CN/MP410.md) · Fixtures: fixtures/MP410/
· Example: examples/MP410-lock-made-per-use/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts
from mplint.semantic.syntax import source_text

messages(
    {
        "MP410": {
            "with_new_lock": Message(
                en="`with {call}:` makes a new lock each time it runs: every process and every "
                "call gets a lock of its own, so it guards nothing. Create one lock in the "
                "parent and pass it to the processes.",
                zh="`with {call}:` 每次执行都新建一把锁：每个进程、每次调用都拿到自己的一把锁，"
                "什么也保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
            "thrown_away": Message(
                en="`{call}` makes a lock that is used once and thrown away: every process and "
                "every call gets a lock of its own, so it guards nothing. Create one lock in the "
                "parent and pass it to the processes.",
                zh="`{call}` 新建的锁用一次就被丢弃：每个进程、每次调用都拿到自己的一把锁，什么也"
                "保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
            "made_in_child": Message(
                en="`{name}` is made inside `{function}()`, which runs in a child process: each "
                "process (and each call) gets a lock of its own, so it guards nothing. Create "
                "one lock in the parent and pass it to the processes.",
                zh="`{name}` 在子进程运行的 `{function}()` 内部创建：每个进程（每次调用）都拿到"
                "自己的一把锁，什么也保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
        },
    }
)


_LOCK_CONSTRUCTORS = frozenset(
    {
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Semaphore",
        "multiprocessing.BoundedSemaphore",
    }
)


def _lock_constructor(facts: Facts, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and facts.resolve(node.func) in _LOCK_CONSTRUCTORS


def _only_used_locally(facts: Facts, name: str, function: cst.FunctionDef) -> bool:
    """Every read of the lock is ``with lock:`` or ``lock.acquire()/release()`` in the
    function itself: it never leaves the function."""
    loads = flow.loads_of(facts, name, function)
    if not loads:
        return False
    for load in loads:
        if facts.function_of(load) is not function:
            return False
        parent = facts.parent(load)
        if isinstance(parent, cst.WithItem) and parent.item is load:
            continue
        if isinstance(parent, cst.Attribute) and parent.value is load:
            call = facts.parent(parent)
            if (
                isinstance(call, cst.Call)
                and call.func is parent
                and parent.attr.value
                in (
                    "acquire",
                    "release",
                )
            ):
                continue
        return False
    return True


@check("MP410")
def lock_made_per_use(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        if not _lock_constructor(facts, call):
            continue
        parent = facts.parent(call)
        if isinstance(parent, cst.WithItem) and parent.item is call:
            yield Finding(
                "MP410",
                call,
                {"call": source_text(call)},
                variant="with_new_lock",
            )
        elif isinstance(parent, cst.Attribute) and parent.value is call:
            yield Finding(
                "MP410",
                call,
                {"call": source_text(call)},
                variant="thrown_away",
            )
    reach = facts.child_reachable
    for (scope, name), bindings in facts.bindings.items():
        if not isinstance(scope, cst.FunctionDef) or scope not in reach or len(bindings) != 1:
            continue
        binding = bindings[0]
        if binding.value is None or binding.unpack_index is not None:
            continue
        if not _lock_constructor(facts, binding.value) or isinstance(binding.node, cst.WithItem):
            continue
        if name in facts.globals_declared.get(scope, set()):
            continue
        if _only_used_locally(facts, name, scope):
            yield Finding(
                "MP410",
                binding.value,
                {"name": name, "function": scope.name.value},
                variant="made_in_child",
            )
