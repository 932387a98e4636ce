"""The guides' snippets do what the guides say, on each of CPython 3.11, 3.12 and 3.13.

(Error texts the rule pages quote are checked in ``test_quoted_errors.py``.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import example_runs
import pytest
from conftest import ROOT

VERSIONS = example_runs.VERSIONS
# A loaded 2-core machine can take seconds to start an interpreter and its pool workers:
# the Ctrl+C test waits for the workers themselves, up to this long, not for a fixed delay.
WORKERS_START_LIMIT = 60.0
SETTLE = 0.5  # after the workers are seen working, a margin (the tasks sleep 5 s)


def interpreter(version: str) -> str:
    python = example_runs.python_for(version)
    if python is None:
        pytest.skip(example_runs.missing_reason(version))
    return python


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def snippets(name: str) -> list[str]:
    text = (ROOT / "rules" / "guides" / f"{name}.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def run_snippet(version: str, source: str) -> str:
    python = interpreter(version)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "demo.py"
        script.write_text(source, encoding="utf-8")
        completed = subprocess.run(
            [python, str(script)], capture_output=True, text=True, env=_environment(), timeout=120
        )
    return completed.stdout  # a pipe, as in `python demo.py | cat`


@pytest.mark.parametrize("version", VERSIONS)
def test_guides_show_what_they_claim(version: str) -> None:
    timed = run_snippet(version, snippets("join-timeout")[0]).splitlines()
    assert timed == [
        "join(timeout=1) returned None; alive: True; exitcode: None",
        "join() returned; alive: False; exitcode: 0",
    ]
    reimported = run_snippet(version, snippets("spawn-reimports")[0]).splitlines()
    assert [line.split(" in process")[0] for line in reimported] == [
        "loading the data set",
        "loading the data set",
        "working",
    ]
    assert reimported[1].split()[-1] == reimported[2].split()[-1]  # the child's own pid
    assert run_snippet(version, snippets("fork-duplicated-output")[0]) == "before fork\n" * 2


# -- Ctrl+C ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _ignores_sigint(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    match = re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, flags=re.MULTILINE)
    return bool(match and int(match.group(1), 16) & (1 << (signal.SIGINT - 1)))


def _sleeping(pid: int) -> bool:
    """Is the process in ``time.sleep()``? Where the kernel does not tell (``wchan`` hidden),
    say yes and rely on the children having started and on ``SETTLE``."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text().strip()
    except OSError:
        return True
    return wchan in ("", "0") or "nanosleep" in wchan


def pool_workers_up(count: int, *, ignoring_sigint: bool) -> Callable[[int], bool]:
    """Ready when the parent has ``count`` children, each in ``time.sleep()`` of a task (so
    the parent is inside ``pool.map()``), and, for a pool whose initializer ignores Ctrl+C,
    each of them has run it."""

    def ready(pid: int) -> bool:
        workers = _children(pid)
        if len(workers) < count or not all(_sleeping(worker) for worker in workers):
            return False
        return not ignoring_sigint or all(_ignores_sigint(worker) for worker in workers)

    return ready


HANG_LIMIT = 30  # seconds after Ctrl+C before the run counts as hung


def press_ctrl_c(
    version: str, source: str, ready: Callable[[int], bool]
) -> subprocess.CompletedProcess[str]:
    """Run a script in its own process group and, once ``ready(pid)`` and a moment more,
    send SIGINT to the whole group, as a terminal does on Ctrl+C."""
    python = interpreter(version)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "demo.py"
        script.write_text(source, encoding="utf-8")
        process = subprocess.Popen(
            [python, str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(),
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            deadline = time.monotonic() + WORKERS_START_LIMIT
            while not ready(process.pid):
                if process.poll() is not None or time.monotonic() > deadline:
                    os.killpg(process.pid, signal.SIGKILL)
                    stdout, stderr = process.communicate()
                    pytest.fail(
                        f"the pool workers were not up after {WORKERS_START_LIMIT:g} s "
                        f"(exit code {process.returncode}):\n{stdout}\n{stderr}"
                    )
                time.sleep(0.05)
            time.sleep(SETTLE)
            os.killpg(process.pid, signal.SIGINT)
            try:
                stdout, stderr = process.communicate(timeout=HANG_LIMIT)
            except subprocess.TimeoutExpired:
                # A pool interrupted by Ctrl+C can hang (the guide says so): report it as
                # "no exit code" and let the caller decide.
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                return subprocess.CompletedProcess(process.args, None, stdout, stderr)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("version", VERSIONS)
def test_ctrl_c_guide(version: str) -> None:
    broken, fixed = snippets("ctrl-c")
    # The interrupted pool sometimes hangs instead of exiting; what it prints when it does
    # exit is what this checks, so a hung run is tried again (three hangs in a row fail).
    for _ in range(3):
        interrupted = press_ctrl_c(version, broken, pool_workers_up(2, ignoring_sigint=False))
        if interrupted.returncode is not None:
            break
    assert interrupted.returncode == -2 and interrupted.stdout == ""
    # The parent's traceback, from inside pool.map() ...
    tracebacks = interrupted.stderr.split("Traceback (most recent call last):")[1:]
    assert any(
        "pool.map(work" in text and "\nKeyboardInterrupt\n" in text for text in tracebacks
    ), interrupted.stderr
    # ... and the workers were interrupted too: each begins its report with its name. The
    # rest of a worker's traceback may be cut off, as the guide says ("up to one traceback
    # per worker"): the `with` block's terminate() kills the workers while they print.
    assert "Process ForkPoolWorker-" in interrupted.stderr, interrupted.stderr
    handled = press_ctrl_c(version, fixed, pool_workers_up(2, ignoring_sigint=True))
    assert handled.returncode == 0, handled.stderr
    assert handled.stdout == "interrupted: stopping the workers\n"
    assert "Traceback" not in handled.stderr


def test_a_process_that_ignores_ctrl_c_is_seen_as_such() -> None:
    """What the wait for the pool workers relies on: started, sleeping, ignoring SIGINT."""
    import sys

    script = "import signal, sys, time\n{}print('up', flush=True)\ntime.sleep(60)\n"
    ignoring = "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    for source, ignores in ((script.format(ignoring), True), (script.format(""), False)):
        child = subprocess.Popen([sys.executable, "-c", source], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline() == "up\n"
            assert _ignores_sigint(child.pid) is ignores
            deadline = time.monotonic() + 10  # from print() to time.sleep(): a moment
            while not _sleeping(child.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _sleeping(child.pid)
            assert child.pid in _children(os.getpid())
        finally:
            child.kill()
            child.communicate()


# -- Orphans --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_orphans_guide(version: str) -> None:
    orphaned, watching = snippets("orphans")
    # The parent kills itself; the orphan keeps the pipe open until it finishes.
    assert ", parent pid now " in run_snippet(version, orphaned)
    main_block = orphaned[orphaned.index('if __name__ == "__main__":') :]
    stopped = run_snippet(version, f"import os\n{watching}\n\n{main_block}")
    assert stopped == "parent gone: stopping\n"
