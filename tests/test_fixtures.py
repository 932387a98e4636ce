"""Every fixture: bad files fire on exactly the marked lines, good files stay silent;
through the engine and through real flake8."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, expected_findings, fixture_codes, fixture_files

from mplint.checks import REGISTRY
from mplint.config import Settings
from mplint.engine import lint_source

FILES = fixture_files()


def lint_fixture(path: Path) -> set[tuple[int, str]]:
    settings = Settings(extend_select=tuple(fixture_codes(path)))
    result = lint_source(path.read_bytes(), str(path), settings)
    assert result.error is None, result.error
    assert not result.internal_errors, result.internal_errors
    return {(d.line, d.code) for d in result.diagnostics}


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_findings_are_exactly_the_marked_lines(path: Path) -> None:
    expected = expected_findings(path)
    if path.name.startswith("bad"):
        assert any(code == path.parent.name for _, code in expected), (
            "a bad fixture marks at least one finding of its own rule"
        )
    else:
        assert path.name.startswith("good"), "fixture names start with bad or good"
        assert not expected, "a good fixture marks no finding"
    assert lint_fixture(path) == expected


def implemented_codes() -> set[str]:
    return {code for check in REGISTRY for code in check.codes}


@pytest.mark.parametrize("code", sorted(implemented_codes()))
def test_every_implemented_rule_has_bad_and_good_fixtures(code: str) -> None:
    folder = FIXTURES / code
    assert list(folder.glob("bad*.py")), f"{code} has no bad fixture"
    assert list(folder.glob("good*.py")), f"{code} has no good fixture"


FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>MP\d{3}) ")


def test_flake8_reports_exactly_what_mplint_reports() -> None:
    """Real flake8 in a subprocess, over every fixture in one run."""
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "MP", "--jobs", "2", str(FIXTURES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert completed.returncode in (0, 1), completed.stderr
    reported: dict[str, set[tuple[int, str]]] = {}
    for line in completed.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match, f"unexpected flake8 output: {line}"
        path = Path(match["path"]).resolve()
        code = match["code"]
        if code.startswith("MP9") and path.parent.name != code:
            continue  # --select MP names the opt-in family too; fixtures expect it only at home
        reported.setdefault(str(path), set()).add((int(match["line"]), code))
    for path in FILES:
        assert reported.get(str(path.resolve()), set()) == lint_fixture(path), path
