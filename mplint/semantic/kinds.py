"""What an object is: one ``Kind`` for each library object the rules care about.

``Kind`` is a ``StrEnum``: a member equals its old string (``Kind.POOL == "pool"``),
so tables keyed by the strings keep working while they move over.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    PROCESS = "process"
    POOL = "pool"
    EXECUTOR = "executor"
    MANAGER = "manager"
    PROXY_DICT = "proxy-dict"
    PROXY_LIST = "proxy-list"
    PROXY_NAMESPACE = "proxy-namespace"
    PROXY_VALUE = "proxy-value"
    PROXY_ARRAY = "proxy-array"
    QUEUE = "queue"
    PIPE = "pipe"  # Pipe() itself and either of its two connections
    LOCK = "lock"  # Lock and RLock: both block a process that waits for a holder that died
    SEMAPHORE = "semaphore"
    CONDITION = "condition"
    EVENT = "event"
    BARRIER = "barrier"
    VALUE = "value"
    ARRAY = "array"
    RAW_VALUE = "raw-value"
    RAW_ARRAY = "raw-array"
    ASYNC_RESULT = "async-result"
    # Threads and their primitives: never pickled, never a start-method matter.
    THREAD = "thread"
    THREAD_POOL = "thread-pool"
    THREAD_EXECUTOR = "thread-executor"
    THREAD_LOCK = "thread-lock"
    THREAD_SEMAPHORE = "thread-semaphore"
    THREAD_CONDITION = "thread-condition"
    THREAD_EVENT = "thread-event"
    THREAD_BARRIER = "thread-barrier"
    THREAD_QUEUE = "thread-queue"
    # A file object (open(), io.open(), gzip.open(), ...): cannot be pickled to a child.
    OPEN_FILE = "open-file"

    @property
    def is_thread(self) -> bool:
        """A thread or a threading/queue primitive: it lives in one process only."""
        return self in _THREAD_KINDS

    @property
    def is_proxy(self) -> bool:
        return self in _PROXY_KINDS

    @property
    def is_process_lock(self) -> bool:
        """A multiprocessing primitive a process can hold and die holding."""
        return self in PROCESS_LOCK_KINDS

    @property
    def is_task_runner(self) -> bool:
        """A process pool or a process executor: it runs tasks in worker processes."""
        return self in POOL_KINDS

    @property
    def makes_children(self) -> bool:
        return self in CHILD_MAKING_KINDS

    @property
    def is_shared_memory(self) -> bool:
        return self in SHARED_MEMORY_KINDS


class Via(StrEnum):
    """How a function of this file comes to run in another process."""

    PROCESS = "process"  # Process(target=f)
    POOL = "pool"  # pool.map(f, ...) and the other task methods
    EXECUTOR = "executor"  # executor.submit(f, ...)
    INITIALIZER = "initializer"  # Pool(initializer=f), ProcessPoolExecutor(initializer=f)
    RUN = "run"  # the run() of a Process subclass


_THREAD_KINDS = frozenset(k for k in Kind if k.value == "thread" or k.value.startswith("thread-"))
_PROXY_KINDS = frozenset(k for k in Kind if k.value.startswith("proxy-"))
PROCESS_LOCK_KINDS = frozenset({Kind.LOCK, Kind.SEMAPHORE, Kind.CONDITION})
POOL_KINDS = frozenset({Kind.POOL, Kind.EXECUTOR})
CHILD_MAKING_KINDS = frozenset({Kind.PROCESS, Kind.POOL, Kind.EXECUTOR, Kind.MANAGER})
SHARED_MEMORY_KINDS = frozenset({Kind.VALUE, Kind.ARRAY, Kind.RAW_VALUE, Kind.RAW_ARRAY})
