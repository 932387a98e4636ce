"""How process modules are named: the one place that turns an expression into a
canonical qualified name such as ``multiprocessing.Process``.

Drop-in twins (``multiprocess``, ``billiard``, ``torch.multiprocessing``) and
submodule spellings (``multiprocessing.pool.Pool``) are folded onto the public
``multiprocessing`` names, so rules only ever compare against one spelling.
"""

from __future__ import annotations

_TWINS = (
    ("torch.multiprocessing", "multiprocessing"),
    ("multiprocess", "multiprocessing"),
    ("billiard", "multiprocessing"),
)

_SPELLINGS = {
    "multiprocessing.context.Process": "multiprocessing.Process",
    "multiprocessing.context.SpawnProcess": "multiprocessing.Process",
    "multiprocessing.context.ForkProcess": "multiprocessing.Process",
    "multiprocessing.context.ForkServerProcess": "multiprocessing.Process",
    "multiprocessing.process.BaseProcess": "multiprocessing.Process",
    "multiprocessing.pool.Pool": "multiprocessing.Pool",
    "multiprocessing.queues.Queue": "multiprocessing.Queue",
    "multiprocessing.queues.SimpleQueue": "multiprocessing.SimpleQueue",
    "multiprocessing.queues.JoinableQueue": "multiprocessing.JoinableQueue",
    "multiprocessing.connection.Pipe": "multiprocessing.Pipe",
    "multiprocessing.synchronize.Lock": "multiprocessing.Lock",
    "multiprocessing.synchronize.RLock": "multiprocessing.RLock",
    "multiprocessing.synchronize.Semaphore": "multiprocessing.Semaphore",
    "multiprocessing.synchronize.BoundedSemaphore": "multiprocessing.BoundedSemaphore",
    "multiprocessing.synchronize.Condition": "multiprocessing.Condition",
    "multiprocessing.synchronize.Event": "multiprocessing.Event",
    "multiprocessing.synchronize.Barrier": "multiprocessing.Barrier",
    "multiprocessing.sharedctypes.Value": "multiprocessing.Value",
    "multiprocessing.sharedctypes.Array": "multiprocessing.Array",
    "multiprocessing.sharedctypes.RawValue": "multiprocessing.RawValue",
    "multiprocessing.sharedctypes.RawArray": "multiprocessing.RawArray",
    "multiprocessing.dummy.Pool": "multiprocessing.pool.ThreadPool",
    "multiprocessing.dummy.Process": "threading.Thread",
    "multiprocessing.dummy.Queue": "queue.Queue",
    "multiprocessing.dummy.Lock": "threading.Lock",
    "multiprocessing.dummy.RLock": "threading.RLock",
    "multiprocessing.dummy.Event": "threading.Event",
    "multiprocessing.dummy.Condition": "threading.Condition",
    "multiprocessing.dummy.Semaphore": "threading.Semaphore",
    "multiprocessing.dummy.BoundedSemaphore": "threading.BoundedSemaphore",
    "multiprocessing.dummy.Manager": "multiprocessing.dummy.Manager",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures.ThreadPoolExecutor",
    "multiprocessing.managers.SyncManager": "multiprocessing.managers.SyncManager",
}

# What a constructor makes. Kinds starting with "thread" are threads: the
# pickling and start-method rules never fire on them.
KIND_BY_CONSTRUCTOR = {
    "multiprocessing.Process": "process",
    "multiprocessing.Pool": "pool",
    "concurrent.futures.ProcessPoolExecutor": "executor",
    "multiprocessing.Manager": "manager",
    "multiprocessing.managers.SyncManager": "manager",
    "multiprocessing.managers.BaseManager": "manager",
    "multiprocessing.Queue": "queue",
    "multiprocessing.JoinableQueue": "queue",
    "multiprocessing.SimpleQueue": "queue",
    "multiprocessing.Pipe": "pipe",
    "multiprocessing.Lock": "lock",
    "multiprocessing.RLock": "lock",
    "multiprocessing.Semaphore": "semaphore",
    "multiprocessing.BoundedSemaphore": "semaphore",
    "multiprocessing.Condition": "condition",
    "multiprocessing.Event": "event",
    "multiprocessing.Barrier": "barrier",
    "multiprocessing.Value": "value",
    "multiprocessing.Array": "array",
    "multiprocessing.RawValue": "raw-value",
    "multiprocessing.RawArray": "raw-array",
    "multiprocessing.pool.ThreadPool": "thread-pool",
    "concurrent.futures.ThreadPoolExecutor": "thread-executor",
    "threading.Thread": "thread",
    "threading.Timer": "thread",
    "threading.Lock": "thread-lock",
    "threading.RLock": "thread-lock",
    "threading.Semaphore": "thread-semaphore",
    "threading.BoundedSemaphore": "thread-semaphore",
    "threading.Condition": "thread-condition",
    "threading.Event": "thread-event",
    "threading.Barrier": "thread-barrier",
    "queue.Queue": "thread-queue",
    "queue.LifoQueue": "thread-queue",
    "queue.PriorityQueue": "thread-queue",
    "queue.SimpleQueue": "thread-queue",
}

# Methods of a Manager that make proxies: m.dict() -> "proxy-dict".
MANAGER_PROXY_KINDS = {
    "dict": "proxy-dict",
    "list": "proxy-list",
    "Namespace": "proxy-namespace",
    "Queue": "queue",
    "JoinableQueue": "queue",
    "Lock": "lock",
    "RLock": "lock",
    "Semaphore": "semaphore",
    "BoundedSemaphore": "semaphore",
    "Condition": "condition",
    "Event": "event",
    "Barrier": "barrier",
    "Value": "proxy-value",
    "Array": "proxy-array",
    "Pool": "pool",
}

# Names `from multiprocessing import *` brings in that rules care about.
STAR_EXPORTS = frozenset(
    {
        "Process",
        "Pool",
        "Queue",
        "SimpleQueue",
        "JoinableQueue",
        "Pipe",
        "Lock",
        "RLock",
        "Semaphore",
        "BoundedSemaphore",
        "Condition",
        "Event",
        "Barrier",
        "Value",
        "Array",
        "RawValue",
        "RawArray",
        "Manager",
        "get_context",
        "set_start_method",
        "current_process",
        "cpu_count",
        "log_to_stderr",
        "get_logger",
    }
)


def canonical(qualname: str) -> str:
    for twin, real in _TWINS:
        if qualname == twin or qualname.startswith(twin + "."):
            qualname = real + qualname[len(twin) :]
            break
    return _SPELLINGS.get(qualname, qualname)


def is_process_module(qualname: str) -> bool:
    """True for multiprocessing (not its .dummy thread twin) and concurrent.futures."""
    return (
        qualname == "multiprocessing" or qualname.startswith("multiprocessing.")
    ) and not qualname.startswith("multiprocessing.dummy")


def kind_of_constructor(qualname: str | None) -> str | None:
    if qualname is None:
        return None
    return KIND_BY_CONSTRUCTOR.get(qualname)
