"""The project's own promises: the README's commands, CI, and mplint linting itself."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_starts_with_the_demo_and_the_test_command() -> None:
    demo, tests = readme_commands()[:2]
    assert "pip install ." in demo and "mplint check examples/" in demo
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


def test_mplint_lints_itself_clean() -> None:
    fixed = sorted(str(p) for p in (ROOT / "examples").glob("*/fixed.py"))
    completed = subprocess.run(
        [sys.executable, "-m", "mplint", "check", "mplint", "benchmarks", *fixed],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
