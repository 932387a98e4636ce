"""How process modules are named: the one place that turns an expression into a
canonical qualified name such as ``multiprocessing.Process``.

Drop-in twins (``multiprocess``, ``billiard``, ``torch.multiprocessing``) and
submodule spellings (``multiprocessing.pool.Pool``) are folded onto the public
``multiprocessing`` names, so rules only ever compare against one spelling.
"""

from __future__ import annotations

from mplint.semantic.kinds import Kind

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

# What a constructor makes. Thread kinds (``Kind.is_thread``) are never pickled and
# never a start-method matter.
KIND_BY_CONSTRUCTOR: dict[str, Kind] = {
    "io.open": Kind.OPEN_FILE,
    "codecs.open": Kind.OPEN_FILE,
    "gzip.open": Kind.OPEN_FILE,
    "bz2.open": Kind.OPEN_FILE,
    "lzma.open": Kind.OPEN_FILE,
    "multiprocessing.Process": Kind.PROCESS,
    "multiprocessing.Pool": Kind.POOL,
    "concurrent.futures.ProcessPoolExecutor": Kind.EXECUTOR,
    "multiprocessing.Manager": Kind.MANAGER,
    "multiprocessing.managers.SyncManager": Kind.MANAGER,
    "multiprocessing.managers.BaseManager": Kind.MANAGER,
    "multiprocessing.Queue": Kind.QUEUE,
    "multiprocessing.JoinableQueue": Kind.QUEUE,
    "multiprocessing.SimpleQueue": Kind.QUEUE,
    "multiprocessing.Pipe": Kind.PIPE,
    "multiprocessing.Lock": Kind.LOCK,
    "multiprocessing.RLock": Kind.LOCK,
    "multiprocessing.Semaphore": Kind.SEMAPHORE,
    "multiprocessing.BoundedSemaphore": Kind.SEMAPHORE,
    "multiprocessing.Condition": Kind.CONDITION,
    "multiprocessing.Event": Kind.EVENT,
    "multiprocessing.Barrier": Kind.BARRIER,
    "multiprocessing.Value": Kind.VALUE,
    "multiprocessing.Array": Kind.ARRAY,
    "multiprocessing.RawValue": Kind.RAW_VALUE,
    "multiprocessing.RawArray": Kind.RAW_ARRAY,
    "multiprocessing.pool.ThreadPool": Kind.THREAD_POOL,
    "concurrent.futures.ThreadPoolExecutor": Kind.THREAD_EXECUTOR,
    "threading.Thread": Kind.THREAD,
    "threading.Timer": Kind.THREAD,
    "threading.Lock": Kind.THREAD_LOCK,
    "threading.RLock": Kind.THREAD_LOCK,
    "threading.Semaphore": Kind.THREAD_SEMAPHORE,
    "threading.BoundedSemaphore": Kind.THREAD_SEMAPHORE,
    "threading.Condition": Kind.THREAD_CONDITION,
    "threading.Event": Kind.THREAD_EVENT,
    "threading.Barrier": Kind.THREAD_BARRIER,
    "queue.Queue": Kind.THREAD_QUEUE,
    "queue.LifoQueue": Kind.THREAD_QUEUE,
    "queue.PriorityQueue": Kind.THREAD_QUEUE,
    "queue.SimpleQueue": Kind.THREAD_QUEUE,
}

# Methods of a Manager that make proxies: m.dict() -> "proxy-dict".
MANAGER_PROXY_KINDS: dict[str, Kind] = {
    "dict": Kind.PROXY_DICT,
    "list": Kind.PROXY_LIST,
    "Namespace": Kind.PROXY_NAMESPACE,
    "Queue": Kind.QUEUE,
    "JoinableQueue": Kind.QUEUE,
    "Lock": Kind.LOCK,
    "RLock": Kind.LOCK,
    "Semaphore": Kind.SEMAPHORE,
    "BoundedSemaphore": Kind.SEMAPHORE,
    "Condition": Kind.CONDITION,
    "Event": Kind.EVENT,
    "Barrier": Kind.BARRIER,
    "Value": Kind.PROXY_VALUE,
    "Array": Kind.PROXY_ARRAY,
    "Pool": Kind.POOL,
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


def kind_of_constructor(qualname: str | None) -> Kind | None:
    if qualname is None:
        return None
    return KIND_BY_CONSTRUCTOR.get(qualname)
