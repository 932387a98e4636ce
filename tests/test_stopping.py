"""Ctrl-C and SIGTERM: the real ``mplint`` command, real signals, real processes.

What is promised: SIGINT or SIGTERM stops the ``--jobs`` workers and the programs of
``mplint example --run``, removes the temporary files, prints one line and exits 130 or
143; nothing mplint started outlives it holding its standard output open, even when
only the main process is signalled (``kill PID``) or is killed outright.

Processes are found through /proc (Linux), so the tests need no extra package.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MPLINT = [sys.executable, "-m", "mplint"]
# Enough files for a pool that is still busy when the signal comes (the test never waits
# for it to finish).
BODY = "import multiprocessing\n" + "".join(
    f"def g{i}(a):\n    return [a + {i} for _ in range(3)]\n" for i in range(300)
)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, pgrp, ... (None: gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has ended


def processes() -> Iterator[tuple[int, list[str]]]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and fields[0] not in ("Z", "X"):
                yield int(entry), fields


def group_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[2]) if fields is not None else None


def children(pid: int) -> list[int]:
    return [child for child, fields in processes() if fields[1] == str(pid)]


def group_members(group: int) -> list[int]:
    return [member for member, fields in processes() if fields[2] == str(group)]


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(0.02)


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    # A session of its own: the test can send "Ctrl-C" to the group, and kill whatever a
    # regression leaves behind.
    return subprocess.Popen(
        [*MPLINT, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], seconds: float) -> tuple[str, str]:
    """Wait for the process to end AND for its stdout and stderr to reach end-of-file
    (which they do not while a leftover worker holds them open)."""
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"mplint's output did not end within {seconds:g} s of the signal "
            f"(mplint itself {'ended' if process.poll() is not None else 'still runs'})"
        ) from None


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Process groups and pids to kill after the test, whatever it found."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def busy_project(root: Path) -> Path:
    source = root / "src"
    source.mkdir()
    for number in range(150):
        (source / f"m{number:03d}.py").write_text(BODY, encoding="utf-8")
    return source


def start_pool_run(tmp_path: Path, leftovers: list[int]) -> tuple[subprocess.Popen[str], list[int]]:
    busy_project(tmp_path)
    process = start(["check", "--no-cache", "-j", "2", "src"], tmp_path)
    leftovers.append(process.pid)
    wait_for(lambda: len(children(process.pid)) >= 2, 30, "two workers")
    workers = children(process.pid)
    leftovers.extend(workers)
    time.sleep(0.3)  # the workers are linting now
    return process, workers


# -- D7: SIGTERM (or SIGKILL) to the main process alone ----------------------------------


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_signal_to_the_main_process_stops_the_workers(
    tmp_path: Path, leftovers: list[int], signal_number: int
) -> None:
    process, workers = start_pool_run(tmp_path, leftovers)
    os.kill(process.pid, signal_number)  # the main process only, as `kill PID` does
    out, err = finish(process, 10)
    wait_for(lambda: not any(alive(pid) for pid in workers), 5, "the workers to end")
    if signal_number == signal.SIGTERM:
        assert process.returncode == 143
        assert err.splitlines() == ["mplint: stopped by SIGTERM"]
    else:
        assert process.returncode == -signal.SIGKILL


def start_hanging_example(
    tmp_path: Path, leftovers: list[int]
) -> tuple[subprocess.Popen[str], int]:
    """``mplint example MP402 --run``: its broken program deadlocks until a 6 s timeout."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    process = start(["example", "MP402", "--run"], tmp_path, env)
    leftovers.append(process.pid)

    def example_group() -> int | None:
        # The programs run in sessions of their own: a child whose group is itself.
        groups = [c for c in children(process.pid) if group_of(c) == c]
        return groups[0] if groups else None

    wait_for(example_group, 30, "the example's programs")
    group = example_group()
    assert group is not None
    leftovers.append(group)
    wait_for(lambda: len(group_members(group)) >= 2, 30, "the broken program's child")
    return process, group


def test_sigterm_to_example_run_stops_the_example(tmp_path: Path, leftovers: list[int]) -> None:
    process, group = start_hanging_example(tmp_path, leftovers)
    members = group_members(group)
    began = time.monotonic()
    os.kill(process.pid, signal.SIGTERM)
    out, err = finish(process, 10)
    assert time.monotonic() - began < 4, "mplint waited for the example's own timeout"
    assert process.returncode == 143
    assert err.splitlines() == ["mplint: stopped by SIGTERM"]
    wait_for(lambda: not any(alive(pid) for pid in members), 5, "the example's processes")
    assert not group_members(group)
    assert not list((tmp_path / "tmp").iterdir()), "temporary files left"


# -- D19: Ctrl-C (SIGINT to the whole process group) ---------------------------------------


@pytest.mark.parametrize("command", ["check", "example"])
def test_ctrl_c_prints_one_line_and_exits_130(
    tmp_path: Path, leftovers: list[int], command: str
) -> None:
    if command == "check":
        process, stopped = start_pool_run(tmp_path, leftovers)
    else:
        process, group = start_hanging_example(tmp_path, leftovers)
        stopped = group_members(group)
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    out, err = finish(process, 10)
    assert "Traceback" not in err
    assert err.splitlines() == ["mplint: stopped by Ctrl-C (SIGINT)"]
    assert process.returncode == 130
    wait_for(lambda: not any(alive(pid) for pid in stopped), 5, "mplint's processes")
