"""The pre-commit hooks, for real: `pre-commit try-repo` against this project.

try-repo clones this repository at HEAD (plus uncommitted changes to tracked files) and
installs mplint from that clone into pre-commit's own environment, from PyPI: about 20 s
a run. On CI the checkout is clean, so what is tested is what is committed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs this project's git checkout"),
]

EXAMPLES = ROOT / "examples"


def example(code: str, side: str) -> str:
    (directory,) = EXAMPLES.glob(f"{code}-*")
    return (directory / f"{side}.py").read_text(encoding="utf-8")


def student_repo(tmp_path: Path, source: str) -> Path:
    repo = tmp_path / "student"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text(source, encoding="utf-8")
    git(repo, "add", "app.py")
    return repo


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    env.pop("PRE_COMMIT", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def output(completed: subprocess.CompletedProcess[str]) -> str:
    return completed.stdout + completed.stderr


def test_mplint_hook_fails_on_the_finding_and_passes_once_fixed(tmp_path: Path) -> None:
    home = tmp_path / "pre-commit-home"
    repo = student_repo(tmp_path, example("MP101", "broken"))

    failed = try_repo(repo, "mplint", home)
    assert failed.returncode == 1, output(failed)
    assert "mplint" in failed.stdout and "Failed" in failed.stdout, output(failed)
    assert "app.py:" in failed.stdout and "MP101" in failed.stdout, output(failed)

    (repo / "app.py").write_text(example("MP101", "fixed"), encoding="utf-8")
    git(repo, "add", "app.py")
    passed = try_repo(repo, "mplint", home)
    assert passed.returncode == 0, output(passed)
    assert "Passed" in passed.stdout, output(passed)


def test_mplint_fix_hook_rewrites_the_file(tmp_path: Path) -> None:
    home = tmp_path / "pre-commit-home"
    broken = example("MP107", "broken")
    assert "args=(5)" in broken
    repo = student_repo(tmp_path, broken)

    fixed = try_repo(repo, "mplint-fix", home)
    # pre-commit fails a hook that modified files, whatever its exit status.
    assert fixed.returncode == 1, output(fixed)
    assert "files were modified by this hook" in fixed.stdout, output(fixed)
    assert "args=(5,)" in (repo / "app.py").read_text(encoding="utf-8")


def test_mplint_hook_lints_notebooks(tmp_path: Path) -> None:
    home = tmp_path / "pre-commit-home"
    repo = student_repo(tmp_path, "")
    cells = [
        ["import multiprocessing as mp\n", "%matplotlib inline"],
        ["def square(x):\n", "    return x * x"],
        ["with mp.get_context('spawn').Pool(2) as pool:\n", "    print(pool.map(square, [1]))"],
    ]
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": str(n), "metadata": {},
             "outputs": [], "source": source}
            for n, source in enumerate(cells)
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    (repo / "analysis.ipynb").write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    git(repo, "add", "analysis.ipynb")

    failed = try_repo(repo, "mplint", home)
    assert failed.returncode == 1, output(failed)
    assert "analysis.ipynb:cell 3:2:11: MP113 " in failed.stdout, output(failed)
