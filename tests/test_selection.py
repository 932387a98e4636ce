"""Rule selection through the real front ends: MP901 is opt-in, --select/--ignore/
--extend-select and [tool.mplint] pick codes, and flake8 applies its own selection."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = """\
import multiprocessing as mp


def work(tasks):
    print(tasks.get())


worker = mp.Process(target=work, args=(mp.Queue(),))
worker.start()
worker.join()

if __name__ == "__main__":
    with mp.Manager() as manager:
        shared = manager.dict()
    print(shared["x"])
"""
# MP101 on line 9 (start at import time), MP901 on line 10 (join without timeout of a
# child that waits on its queue with no timeout),
# MP503 on line 15 (proxy used after its manager's with block).
FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>MP\d{3}) ", re.M)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with the sample and its own (empty) [tool.mplint], so no settings
    from above it apply."""
    (tmp_path / "sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.mplint]\n", encoding="utf-8")
    return tmp_path


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def mplint(cwd: Path, *flags: str) -> tuple[set[tuple[int, str]], subprocess.CompletedProcess[str]]:
    completed = run(cwd, "-m", "mplint", "check", *flags, "sample.py")
    assert completed.returncode in (0, 1), completed.stderr
    found = {(int(m["line"]), m["code"]) for m in FINDING.finditer(completed.stdout)}
    return found, completed


def flake8(cwd: Path, *flags: str) -> set[tuple[int, str]]:
    completed = run(cwd, "-m", "flake8", "--isolated", *flags, "sample.py")
    assert completed.returncode in (0, 1), completed.stderr
    return {(int(m["line"]), m["code"]) for m in FINDING.finditer(completed.stdout)}


MP101 = (9, "MP101")
MP901 = (10, "MP901")
MP503 = (15, "MP503")


def test_the_sample_holds_the_three_pitfalls(project: Path) -> None:
    found, _ = mplint(project, "--select", "MP,MP9")
    assert {MP101, MP901, MP503} <= found


def test_mp901_is_off_by_default(project: Path) -> None:
    found, completed = mplint(project)
    assert completed.returncode == 1
    assert MP101 in found and MP503 in found
    assert not any(code.startswith("MP9") for _, code in found)


def test_select_mp_does_not_turn_on_opt_in_rules(project: Path) -> None:
    found, _ = mplint(project, "--select", "MP")
    assert MP101 in found and MP503 in found
    assert MP901 not in found


@pytest.mark.parametrize(
    "flags",
    [("--select", "MP9"), ("--select", "MP901"), ("--extend-select", "MP901")],
    ids=["select-MP9", "select-MP901", "extend-select-MP901"],
)
def test_naming_the_family_or_code_turns_mp901_on(project: Path, flags: tuple[str, str]) -> None:
    found, completed = mplint(project, *flags)
    assert MP901 in found
    assert completed.returncode == 1


def test_select_mp9_keeps_only_mp9(project: Path) -> None:
    found, _ = mplint(project, "--select", "MP9")
    assert found == {MP901}


def test_extend_select_keeps_the_default_rules(project: Path) -> None:
    found, _ = mplint(project, "--extend-select", "MP901")
    assert {MP101, MP901, MP503} <= found


def test_extend_select_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mplint]\nextend-select = ["MP9"]\n', encoding="utf-8"
    )
    found, _ = mplint(project)
    assert {MP101, MP901, MP503} <= found


def test_ignore_a_family(project: Path) -> None:
    found, _ = mplint(project, "--ignore", "MP1")
    assert MP503 in found
    assert not any(code.startswith("MP1") for _, code in found)


def test_select_one_code(project: Path) -> None:
    found, _ = mplint(project, "--select", "MP101")
    assert found == {MP101}


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
@pytest.mark.parametrize("code", ["MP999", "XYZ1"])
def test_unknown_code_is_a_usage_error(project: Path, flag: str, code: str) -> None:
    completed = run(project, "-m", "mplint", "check", flag, code, "sample.py")
    assert completed.returncode == 2
    assert code in completed.stderr
    assert "matches no mplint code" in completed.stderr
    assert not FINDING.search(completed.stdout)


def test_unknown_code_in_pyproject_is_a_usage_error(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mplint]\nextend-select = ["MP999"]\n', encoding="utf-8"
    )
    completed = run(project, "-m", "mplint", "check", "sample.py")
    assert completed.returncode == 2
    assert "MP999" in completed.stderr and "pyproject.toml" in completed.stderr


# -- flake8 applies its own selection: MP901 sits on its default ignore list ----------


def test_flake8_default_leaves_mp901_out(project: Path) -> None:
    found = flake8(project)
    assert MP101 in found and MP503 in found
    assert MP901 not in found


def test_flake8_select_mp_names_mp901(project: Path) -> None:
    # flake8 itself counts `--select MP` as naming MP901 explicitly, so it shows.
    found = flake8(project, "--select", "MP")
    assert {MP101, MP901, MP503} <= found


def test_flake8_extend_select_mp9(project: Path) -> None:
    found = flake8(project, "--extend-select", "MP9")
    assert {MP101, MP901, MP503} <= found


def test_flake8_select_one_code(project: Path) -> None:
    assert flake8(project, "--select", "MP101") == {MP101}


def test_flake8_ignore_a_family(project: Path) -> None:
    found = flake8(project, "--select", "MP", "--ignore", "MP1")
    assert MP503 in found
    assert not any(code.startswith("MP1") for _, code in found)
