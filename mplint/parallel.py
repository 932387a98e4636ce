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
A worker that dies (killed, out of memory) costs nothing but time: the files it left
are linted again here, one by one.
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
        done = pool.lint(pending, results, settings, progress)
    for index, data, _ in pending:
        if index not in done:
            results[index] = lint_source(data, results[index].path, settings)
            _advance(progress)
    if cache is not None:
        for index, _, key in pending:
            if key is not None:
                cache.put(key, results[index])
    return results


def _advance(progress: Progress | None) -> None:
    if progress is not None:
        progress.advance()


class _Pool:
    """Worker processes; whatever goes wrong with them, the files they did not do are
    linted in this process."""

    def __init__(self, executor: Any, warming: Future[None]) -> None:
        self.executor = executor
        self.warming = warming

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
        return cls(executor, warming)

    def lint(
        self,
        pending: list[tuple[int, bytes, str | None]],
        results: list[LintResult],
        settings: Settings,
        progress: Progress | None = None,
    ) -> set[int]:
        """The indexes of the files that were done."""
        from concurrent.futures.process import BrokenProcessPool

        done: set[int] = set()
        try:
            with self.executor as executor:
                self.warming.result()  # a worker that cannot even start shows here
                futures: dict[Future[LintResult], int] = {
                    executor.submit(lint_in_worker, data, results[index].path, settings): index
                    for index, data, _ in pending
                }
                for future, index in futures.items():
                    try:
                        results[index] = future.result()
                        done.add(index)
                        _advance(progress)
                    except BrokenProcessPool:
                        break
                    except Exception as error:  # noqa: BLE001 - one file's failure is that file's error
                        path = results[index].path
                        results[index] = LintResult(
                            path, error=FileError(path, f"cannot lint: internal error: {error!r}")
                        )
                        done.add(index)
                        _advance(progress)
        except (BrokenProcessPool, OSError, RuntimeError):
            pass  # the files not done are linted in this process
        return done
