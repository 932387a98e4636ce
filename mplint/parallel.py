"""Many files at once: ``mplint check --jobs N``.

The parent reads every file and runs the cheap steps itself: decoding and the
prefilter (about 1% of ``ast.parse``), then the cache. Only the files that earn a
libcst parse (about 5% of real code) are sent to worker processes, with their bytes,
so a worker never reads a file that changed since its cache key was computed.

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
from typing import TYPE_CHECKING

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


def lint_in_worker(data: bytes, path: str, settings: Settings) -> LintResult:
    """The task run in a worker: one file's whole pipeline."""
    return lint_source(data, path, settings)


def lint_files(
    paths: Iterable[Path],
    settings: Settings,
    *,
    jobs: int | None = None,
    cache: Cache | None = None,
) -> list[LintResult]:
    """Every Python file under ``paths``, linted; results in the order of the walk."""
    results: list[LintResult] = []
    pending: list[tuple[int, bytes, str | None]] = []  # (index, bytes, cache key)
    for path in iter_python_files(paths, settings):
        name = str(path)
        data = read_source(path)
        if isinstance(data, FileError):
            results.append(LintResult(name, error=data))
            continue
        text = decode_source(data, name)
        enabled = settings.enabled_for(name)
        if isinstance(text, FileError) or not enabled or not might_use_processes(text):
            # What lint_source does for these is as cheap as this test: do it here.
            results.append(lint_source(data, name, settings))
            continue
        key = cache.key(data, enabled) if cache is not None else None
        cached = cache.get(key, name) if cache is not None and key is not None else None
        results.append(cached or LintResult(name))
        if cached is None:
            pending.append((len(results) - 1, data, key))

    jobs = default_jobs() if jobs is None else max(1, jobs)
    # Largest files first, so that no worker is left with a big one at the end.
    pending.sort(key=lambda item: len(item[1]), reverse=True)
    done: set[int] = set()
    if jobs > 1 and len(pending) > 1:
        done = _lint_in_pool(pending, results, settings, min(jobs, len(pending)))
    for index, data, _ in pending:
        if index not in done:
            results[index] = lint_source(data, results[index].path, settings)
    if cache is not None:
        for index, _, key in pending:
            if key is not None:
                cache.put(key, results[index])
    return results


def _lint_in_pool(
    pending: list[tuple[int, bytes, str | None]],
    results: list[LintResult],
    settings: Settings,
    workers: int,
) -> set[int]:
    """Lint in worker processes; the indexes of the files that were done."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    done: set[int] = set()
    context = multiprocessing.get_context(start_method())
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as executor:
            futures: dict[Future[LintResult], int] = {
                executor.submit(lint_in_worker, data, results[index].path, settings): index
                for index, data, _ in pending
            }
            for future, index in futures.items():
                try:
                    results[index] = future.result()
                    done.add(index)
                except BrokenProcessPool:
                    break
                except Exception as error:  # noqa: BLE001 - one file's failure is that file's error
                    path = results[index].path
                    results[index] = LintResult(
                        path, error=FileError(path, f"cannot lint: internal error: {error!r}")
                    )
                    done.add(index)
    except (BrokenProcessPool, OSError):
        pass  # the files not done are linted in this process
    return done
