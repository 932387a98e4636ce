"""The speed goals of the README, measured side by side in one run (see run.py)."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent

# A student's first script with a pool and one process started at import time (MP101).
STUDENT_30 = '''\
"""Homework 3: sum the squares of a list with a pool of worker processes."""

import multiprocessing
import time


def square(n):
    time.sleep(0.01)
    return n * n


def run(numbers):
    pool = multiprocessing.Pool(4)
    results = pool.map(square, numbers)
    pool.close()
    pool.join()
    return sum(results)


def report(total):
    print(f"The total is {total}")


numbers = list(range(100))
worker = multiprocessing.Process(target=report, args=(len(numbers),))
worker.start()
worker.join()

if __name__ == "__main__":
    report(run(numbers))
'''


@dataclass
class Goal:
    name: str
    measured: str
    ratio: float
    limit: float

    @property
    def holds(self) -> bool:
        return self.ratio <= self.limit


def wall(command: list[str], cwd: str | None = None) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed: {completed.stderr.decode()[-300:]}")
    return elapsed


def stdlib_files() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        str(p) for p in stdlib.rglob("*.py") if "site-packages" not in p.relative_to(stdlib).parts
    )


def compile_mplint() -> None:
    import mplint

    package = Path(mplint.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=False)


def goal_stdlib(repeat: int) -> tuple[Goal, str]:
    files = stdlib_files()
    ruff = [str(BIN / "ruff"), "check", "--select", "ALL", "--no-cache", "--exit-zero"]
    ruff += ["--output-format", "concise", "--quiet", *files]
    mplint = [str(BIN / "mplint"), "check", "--no-cache", "--exit-zero", *files]
    ruffs, mplints = [], []
    for _ in range(repeat):
        ruffs.append(wall(ruff))
        mplints.append(wall(mplint))
    ratios = [m / r for m, r in zip(mplints, ruffs, strict=True)]
    r, m = statistics.median(ruffs), statistics.median(mplints)
    detail = (
        f"{len(files)} files; ruff {r:.2f} s, mplint {m:.2f} s (medians of {repeat}; "
        f"each run: {', '.join(f'{x:.2f}' for x in ratios)})"
    )
    goal = Goal("standard library: mplint check / ruff check --select ALL, wall", detail, 0, 2.0)
    goal.ratio = statistics.median(ratios)
    return (
        goal,
        f"| `ruff check --select ALL --output-format concise` | {len(files)} | {r:.2f} |\n"
        + (f"| `mplint check` | {len(files)} | {m:.2f} |"),
    )


def goal_startup(repeat: int) -> tuple[Goal, str]:
    with tempfile.TemporaryDirectory(prefix="mplint-startup-") as folder:
        script = Path(folder) / "homework.py"
        script.write_text(STUDENT_30, encoding="utf-8")
        runs: dict[str, list[float]] = {
            "python -c pass": [],
            "import libcst": [],
            "mplint": [],
            "warm": [],
        }
        command = [str(BIN / "mplint"), "check", script.name]
        for _ in range(repeat * 2):
            runs["python -c pass"].append(wall([sys.executable, "-c", "pass"]))
            runs["import libcst"].append(wall([sys.executable, "-c", "import libcst"]))
            shutil.rmtree(Path(folder) / ".mplint_cache", ignore_errors=True)
            runs["mplint"].append(wall(command, cwd=folder))  # the first run: no cache
            runs["warm"].append(wall(command, cwd=folder))  # the next: the cached result
    ms = {name: statistics.median(values) * 1000 for name, values in runs.items()}
    detail = (
        f"{ms['mplint']:.0f} ms (median of {repeat * 2}, min {min(runs['mplint']) * 1000:.0f}); "
        f"beside it python -c pass {ms['python -c pass']:.0f} ms, "
        f"python -c 'import libcst' {ms['import libcst']:.0f} ms, "
        f"mplint again (cached) {ms['warm']:.0f} ms"
    )
    goal = Goal("start-up: mplint check, one 30-line script, ms / 120 ms", detail, 0, 1.0)
    goal.ratio = ms["mplint"] / 120
    return goal, ""


def goals_editor(edits: int) -> list[Goal]:
    sys.path.insert(0, str(HERE))
    import lsp_latency

    goals = []
    for name, text, checks in (
        ("student script, 300 lines", lsp_latency.student_script(300), "student"),
        ("typing.py + one finding", lsp_latency.typing_script(), "typing"),
    ):
        latencies, found = asyncio.run(lsp_latency.measure(text, edits))
        p50 = lsp_latency.percentile(latencies, 50) * 1000
        p95 = lsp_latency.percentile(latencies, 95) * 1000
        parse = lsp_latency.parse_time(text) * 1000
        detail = (
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, {found} findings, libcst parse {parse:.0f} ms"
        )
        if checks == "student":
            goals.append(Goal(f"editor, {name}: p50 / 40 ms", detail, p50 / 40, 1.0))
            goals.append(Goal(f"editor, {name}: p95 / 80 ms", detail, p95 / 80, 1.0))
        else:
            goals.append(Goal(f"editor, {name}: p95 / libcst parse", detail, p95 / parse, 1.5))
    return goals


def load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def run_goals(repeat: int, edits: int) -> int:
    compile_mplint()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"Machine: {platform.machine()}, {cores} cores, {platform.platform(terse=True)}, "
        f"Python {platform.python_version()}; load average before: {load()}"
    )
    found: list[Goal] = []
    stdlib, _ = goal_stdlib(repeat)
    found.append(stdlib)
    startup, _ = goal_startup(repeat)
    found.append(startup)
    found.extend(goals_editor(edits))
    print(f"Load average after: {load()}\n")
    print("| goal | measured | ratio | limit | holds |")
    print("| --- | --- | ---: | ---: | --- |")
    for goal in found:
        verdict = "yes" if goal.holds else "**no**"
        print(
            f"| {goal.name} | {goal.measured} | {goal.ratio:.2f} | {goal.limit:.1f} | {verdict} |"
        )
    return 0 if all(goal.holds for goal in found) else 1
