"""The progress bar: on a real terminal (a pty) for `check` and `report` over many files,
erased before the results; never when standard error is not a terminal; redrawn at
most every INTERVAL seconds."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from classroom import example

from mplint.progress import INTERVAL, MIN_FILES, Progress

BAR = "mplint ["


def many_files(root: Path, count: int) -> Path:
    """``count`` files, one of them with a finding (MP107 on line 11)."""
    folder = root / f"project{count}"
    folder.mkdir()
    (folder / "pyproject.toml").write_text("")
    (folder / "a_broken.py").write_text(example("MP107"), encoding="utf-8")
    for number in range(count - 1):
        (folder / f"plain_{number:02}.py").write_text(f"value = {number}\n")
    return folder


def run_on_terminal(*args: str, cwd: Path) -> tuple[int, str]:
    """Run mplint with stdout and stderr on one pseudo-terminal, as in a shell; return
    its exit status and everything the terminal received."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "mplint", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    received = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    return process.wait(timeout=60), received.decode("utf-8", "replace")


def screen(received: str) -> list[str]:
    """The lines a terminal shows at the end: carriage return goes back to the start
    of the line, ESC [ K erases from there to the end."""
    lines: list[str] = []
    current = ""
    index = 0
    while index < len(received):
        if received.startswith("\033[K", index):
            index += 3
            continue  # the cursor is at the start: what follows overwrites
        char = received[index]
        index += 1
        if char == "\r":
            if received.startswith("\n", index):
                continue
            current = ""
        elif char == "\n":
            lines.append(current)
            current = ""
        else:
            current += char
    if current:
        lines.append(current)
    return lines


@pytest.mark.parametrize("command", ["check", "report"])
def test_a_bar_on_a_terminal_then_erased(command: str, tmp_path: Path) -> None:
    folder = many_files(tmp_path, MIN_FILES + 2)
    args = [command, folder.name, "--no-cache", "-j", "1"]
    status, received = run_on_terminal(*args, cwd=tmp_path)
    assert BAR in received and f"{MIN_FILES + 2}/{MIN_FILES + 2} files" in received, received
    # Erased before the results: the screen shows only what a plain run prints.
    if command == "check":
        assert status == 1
        finding, summary = screen(received)
        assert finding.startswith(f"{folder.name}/a_broken.py:11:62: MP107 [*] `args=(5)`")
        assert summary == "[*] 1 fixable with --fix"
    else:
        assert status == 0
        assert screen(received) == [
            f"mplint: wrote report.html: 1 repository, {MIN_FILES + 2} Python files, 1 finding"
        ]
    assert not any(BAR in line for line in screen(received))


def test_no_bar_for_a_few_files(tmp_path: Path) -> None:
    folder = many_files(tmp_path, MIN_FILES - 1)
    status, received = run_on_terminal("check", folder.name, "--no-cache", cwd=tmp_path)
    assert status == 1 and "MP107" in received and BAR not in received


def test_no_bar_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    folder = many_files(tmp_path, MIN_FILES + 2)
    for command in ("check", "report"):
        completed = subprocess.run(
            [sys.executable, "-m", "mplint", command, folder.name, "--no-cache", "-j", "1"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert completed.returncode in (0, 1), completed.stderr
        assert completed.stderr == ""
        assert "\r" not in completed.stdout and "\033" not in completed.stdout


def test_redraws_are_throttled() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = Progress(stream, 100, clock=lambda: now[0])
    for _ in range(50):
        progress.advance()  # all at the same moment: drawn once
    assert stream.getvalue().count(BAR) == 1
    now[0] += INTERVAL
    progress.advance()
    assert stream.getvalue().count(BAR) == 2
    for _ in range(49):
        progress.advance()  # the last one is drawn whenever it comes
    assert stream.getvalue().count(BAR) == 3 and stream.getvalue().endswith("100/100 files")
    progress.clear()
    assert stream.getvalue().endswith("\r\033[K")
