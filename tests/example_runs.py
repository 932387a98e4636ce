"""Runs of the example programs, shared by the test modules and made once per session.

Each run is keyed by (program, start method, time limit, Python version). The
first test module that needs runs submits all of its runs at once to a small
thread pool (slow ones first: declared hangs wait for their whole time limit);
each test then waits only for its own. A run asked for twice, by two modules,
is made once.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from mplint.example_runner import RunResult, run_program

# The runs mostly wait (for children to start, for declared hangs): more
# threads than cores keeps the machine busy without overloading it.
PARALLEL_RUNS = 4
VERSIONS = ("3.11", "3.12", "3.13")

RunKey = tuple[str, str, float, str]  # program, start method, time limit, version

_pool: ThreadPoolExecutor | None = None
_runs: dict[RunKey, Future[RunResult]] = {}
_lock = threading.Lock()


def python_for(version: str) -> str | None:
    """The interpreter for ``3.X``: this one, a pyenv build, or one on PATH; else None."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    builds = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python"))

    def patch(path: str) -> int:
        match = re.search(rf"{re.escape(version)}\.(\d+)", path)
        return int(match.group(1)) if match else -1

    for candidate in sorted(builds, key=patch, reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which(f"python{version}")


def missing_reason(version: str) -> str:
    return (
        f"CPython {version} is not installed here (looked for this interpreter, "
        f"~/.pyenv/versions/{version}.*/bin/python and python{version} on PATH)"
    )


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS, thread_name_prefix="example-run")
    return _pool


def _submit(key: RunKey) -> Future[RunResult]:
    with _lock:
        future = _runs.get(key)
        if future is None:
            program, method, limit, version = key
            python = python_for(version)
            if python is None:
                raise LookupError(missing_reason(version))
            future = _executor().submit(run_program, Path(program), method, limit, python=python)
            _runs[key] = future
        return future


def prefetch(runs: Iterable[tuple[RunKey, float]]) -> None:
    """Start these runs (each with its expected seconds) now, the longest first.

    Versions that are not installed are left out."""
    expected = dict(runs)
    for key in sorted(expected, key=lambda key: -expected[key]):
        if python_for(key[3]) is not None:
            _submit(key)


def run(program: Path, method: str, limit: float, version: str = VERSIONS[0]) -> RunResult:
    """The result of running ``program`` (made now, or earlier in the session)."""
    return _submit((str(program), method, float(limit), version)).result()


def key(program: Path, method: str, limit: float, version: str = VERSIONS[0]) -> RunKey:
    return (str(program), method, float(limit), version)
