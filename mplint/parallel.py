"""Many files at once: ``mplint check --jobs N``.

The parent reads every file and runs the cheap steps itself: decoding and the
prefilter (about 1% of ``ast.parse``), then the cache. Only the files that pass it
(about 4% of real code) are sent to worker processes, with their bytes, so a worker
never reads a file that changed since its cache key was computed. The workers are
started as soon as the second such file turns up, and import libcst while the parent
reads on; a run with one file to lint (a student at the terminal, a warm cache) starts
none.

mplint is itself a multiprocessing program and is held to its own rules: the start
method is chosen explicitly with ``get_context`` (fork where the platform has it and
this process runs no other thread, so the workers inherit the loaded libcst and
start at once; spawn otherwise), the pool is a ``with`` block, every task's result is
read, and the task function is a module-level function given picklable arguments.
A worker that dies (killed, out of memory, a crash in libcst's native parser) costs the
files it was linting, never the run: each of those is linted again alone, in a new
worker, and is reported as that file's error if it kills that one too. They are never
linted in this process, which would die the same way. The other files go on in a new
pool. Only a pool that cannot start at all leaves its files to this process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mplint.cache import Cache
from mplint.config import Settings
from mplint.diagnostic import FileError
from mplint.engine import (
    LintResult,
    decode_source,
    iter_python_files,
    lint_source,
    might_use_processes,
    read_source,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from mplint.progress import Progress

# multiprocessing and concurrent.futures are imported only when a pool is started: a
# run on a few files never starts one.


def default_jobs() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def start_method() -> str:
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def warm_up() -> None:
    """Each worker's first step, while the parent still reads and filters files: import
    what linting needs, then set it aside from garbage collection (it lives as long as
    the worker)."""
    import gc

    import mplint.checks
    import mplint.facts
    import mplint.positions  # noqa: F401

    gc.freeze()


def start_worker(parent: int) -> None:
    """The pool's initializer: signals as a worker takes them (``mplint.interrupts``),
    then ``warm_up``."""
    from mplint.interrupts import prepare_worker

    prepare_worker(parent)
    warm_up()


def started() -> None:
    """A task that only makes the pool start its workers."""


def lint_in_worker(data: bytes, path: str, settings: Settings) -> LintResult:
    """The task run in a worker: one file's whole pipeline."""
    return lint_source(data, path, settings)


def lint_files(
    paths: Iterable[Path],
    settings: Settings,
    *,
    jobs: int | None = None,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> list[LintResult]:
    """Every Python file under ``paths``, linted; results in the order of the walk.
    ``progress`` advances by one as each file is done."""
    jobs = default_jobs() if jobs is None else max(1, jobs)
    results: list[LintResult] = []
    pending: list[tuple[int, bytes, str | None]] = []  # (index, bytes, cache key)
    pool: _Pool | None = None
    for path in iter_python_files(paths, settings):
        name = str(path)
        data = read_source(path)
        if isinstance(data, FileError):
            results.append(LintResult(name, error=data))
            _advance(progress)
            continue
        text = decode_source(data, name)
        if isinstance(text, FileError):
            results.append(LintResult(name, error=text))
            _advance(progress)
            continue
        enabled = settings.enabled_for(name)
        if not enabled or not might_use_processes(text, name):
            results.append(LintResult(name))  # what lint_source would say, without the work
            _advance(progress)
            continue
        key = cache.key(data, enabled) if cache is not None else None
        cached = cache.get(key, name, data) if cache is not None and key is not None else None
        results.append(cached or LintResult(name))
        if cached is not None:
            _advance(progress)
        else:
            pending.append((len(results) - 1, data, key))
            if len(pending) == 2 and jobs > 1:
                # Two files to lint: start the workers now, so that they import libcst
                # while this process reads the rest.
                pool = _Pool.start(jobs)

    # Largest files first, so that no worker is left with a big one at the end.
    pending.sort(key=lambda item: len(item[1]), reverse=True)
    done: set[int] = set()
    if pool is not None:
        done = _lint_in_workers(pool, pending, results, settings, jobs, progress)
    for index, data, _ in pending:
        if index not in done:
            results[index] = lint_source(data, results[index].path, settings)
            _advance(progress)
    if cache is not None:
        for index, _, key in pending:
            if key is not None and not _worker_died(results[index]):
                cache.put(key, results[index])
    return results


def _advance(progress: Progress | None) -> None:
    if progress is not None:
        progress.advance()


WORKER_DIED = (
    "cannot lint: the process linting this file died (a crash in libcst's parser, or out of memory)"
)


def _worker_died(result: LintResult) -> bool:
    """Such a result is not cached: the crash may depend on the machine (its memory, its
    stack size) and not on the file alone."""
    return result.error is not None and result.error.message == WORKER_DIED


def _lint_in_workers(
    pool: _Pool,
    pending: list[tuple[int, bytes, str | None]],
    results: list[LintResult],
    settings: Settings,
    jobs: int,
    progress: Progress | None = None,
) -> set[int]:
    """The indexes of the files done (or found to kill their worker) in worker processes;
    the rest are left to this process only when no pool would start."""
    done: set[int] = set()
    current: _Pool | None = pool
    while current is not None:
        suspects = current.lint(
            [p for p in pending if p[0] not in done], results, settings, done, progress
        )
        if suspects is None:
            break  # every file done, or the pool would not run: the rest are done here
        for item in suspects:  # each alone, in a worker of its own
            alone = _Pool.start(1)
            if alone is not None:
                alone.lint([item], results, settings, done, progress)
            if item[0] not in done:
                path = results[item[0]].path
                results[item[0]] = LintResult(path, error=FileError(path, WORKER_DIED))
                done.add(item[0])
                _advance(progress)
        if all(index in done for index, _, _ in pending):
            break
        current = _Pool.start(jobs)
    return done


class _Pool:
    """Worker processes."""

    def __init__(self, executor: Any, warming: Future[None], workers: int) -> None:
        self.executor = executor
        self.warming = warming
        self.workers = workers

    @classmethod
    def start(cls, workers: int) -> _Pool | None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context(start_method())
        try:
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=start_worker,
                initargs=(os.getpid(),),
            )
            warming = executor.submit(started)
        except OSError:
            return None
        return cls(executor, warming, workers)

    def lint(
        self,
        pending: list[tuple[int, bytes, str | None]],
        results: list[LintResult],
        settings: Settings,
        done: set[int],
        progress: Progress | None = None,
    ) -> list[tuple[int, bytes, str | None]] | None:
        """Lints ``pending``, adding the indexes of the files done to ``done``. When a
        worker dies: the files that were in the workers' hands then (the one that killed
        it is among them); else None. Only a few files at a time are handed out, so
        that they are few."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        in_hand: dict[Future[LintResult], tuple[int, bytes, str | None]] = {}
        queue = iter(pending)
        try:
            with self.executor as executor:
                self.warming.result()  # a worker that cannot even start shows here
                while True:
                    for item in queue:
                        index, data, _ = item
                        path = results[index].path
                        in_hand[executor.submit(lint_in_worker, data, path, settings)] = item
                        if len(in_hand) >= 2 * self.workers:
                            break
                    if not in_hand:
                        return None
                    finished, _ = wait(in_hand, return_when=FIRST_COMPLETED)
                    died = False
                    for future in finished:
                        index = in_hand[future][0]
                        try:
                            results[index] = future.result()
                        except BrokenProcessPool:
                            died = True
                            continue
                        except Exception as error:  # noqa: BLE001 - that file's error
                            path = results[index].path
                            message = f"cannot lint: internal error: {error!r}"
                            results[index] = LintResult(path, error=FileError(path, message))
                        done.add(index)
                        _advance(progress)
                        del in_hand[future]
                    if died:
                        return list(in_hand.values())
        except (BrokenProcessPool, OSError, RuntimeError):
            if in_hand:
                return [item for item in in_hand.values() if item[0] not in done]
        return None  # the pool would not run: the files not done are linted here
