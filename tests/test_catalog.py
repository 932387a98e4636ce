"""The catalogue, the messages and the registered checks describe the same rules, and every
rule has all its pieces: checker, both pages, fixtures and a runnable example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mplint.catalog import RULES
from mplint.checks import MESSAGES, REGISTRY
from mplint.scaffold import MARKER

CODES = sorted(RULES)
MIN_FIXTURES = 3


def registered_codes() -> set[str]:
    return {code for registered in REGISTRY for code in registered.codes}


def test_catalogue_messages_and_checks_hold_the_same_codes() -> None:
    assert set(RULES) == set(MESSAGES) == registered_codes()


def test_each_check_is_named_after_its_rule() -> None:
    """A rule's check reads as its name: MP201 process-never-joined is process_never_joined()."""
    for registered in REGISTRY:
        if len(registered.codes) == 1:
            (code,) = registered.codes
            assert registered.run.__name__ == RULES[code].name.replace("-", "_"), code


def test_each_rule_has_a_module_named_after_it_that_names_its_pieces() -> None:
    """MP201 process-never-joined lives in ``mplint/checks/<family>/process_never_joined.py``,
    whose docstring names its page, fixtures and example. (``third_party`` reports some rules
    a second time, for children that a library starts.)"""
    for registered in REGISTRY:
        run = registered.run
        if run.__module__ == "mplint.checks.third_party":
            continue
        (code,) = registered.codes
        rule = RULES[code]
        package, family, module = run.__module__.rsplit(".", 2)
        assert (package, module) == ("mplint.checks", run.__name__), code
        doc = sys.modules[run.__module__].__doc__ or ""
        for piece in (f"rules/{code}.md", f"fixtures/{code}/", f"examples/{code}-{rule.name}/"):
            assert piece in doc, f"{run.__module__} does not name {piece}"


def missing_pieces(root: Path, code: str) -> list[str]:
    """What a rule still lacks, all at once, so that a scaffolded rule reads as a to-do list."""
    name = RULES[code].name
    missing = []
    for page in (root / "rules" / f"{code}.md", root / "rules" / "zh-CN" / f"{code}.md"):
        if not page.is_file():
            missing.append(f"page {page.relative_to(root)}")
        elif MARKER in page.read_text(encoding="utf-8"):
            missing.append(f"page {page.relative_to(root)} still has {MARKER}")
    fixtures = root / "fixtures" / code
    for kind in ("bad", "good"):
        found = sorted(fixtures.glob(f"{kind}_*.py"))
        if len(found) < MIN_FIXTURES:
            missing.append(f"{MIN_FIXTURES - len(found)} more {kind} fixture(s) in fixtures/{code}")
        missing += [
            f"fixture {path.relative_to(root)} still has {MARKER}"
            for path in found
            if MARKER in path.read_text(encoding="utf-8")
        ]
    example = root / "examples" / f"{code}-{name}"
    for part in ("broken.py", "fixed.py", "example.toml"):
        path = example / part
        if not path.is_file():
            missing.append(f"example {path.relative_to(root)}")
        elif MARKER in path.read_text(encoding="utf-8"):
            missing.append(f"example {path.relative_to(root)} still has {MARKER}")
    for variant, message in MESSAGES.get(code, {}).items():
        if MARKER in message.en + message.zh:
            missing.append(f"the message {code} {variant!r} still has {MARKER}")
    return missing


@pytest.mark.parametrize("code", CODES)
def test_rule_is_complete(code: str) -> None:
    assert missing_pieces(ROOT, code) == []


def test_scaffold_lays_out_a_rule_that_the_completeness_test_reports(tmp_path: Path) -> None:
    for part in ("mplint/checks", "rules/zh-CN", "fixtures", "examples"):
        (tmp_path / part).mkdir(parents=True)
    (tmp_path / "mplint" / "checks" / "__init__.py").write_text("", encoding="utf-8")
    catalog = (ROOT / "mplint" / "catalog.py").read_text(encoding="utf-8")
    (tmp_path / "mplint" / "catalog.py").write_text(catalog, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "mplint.scaffold", "MP199", "queue-closed-twice"]
        + ["--summary", "a queue closed twice", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    created = {line.split()[-1] for line in completed.stdout.splitlines() if "created" in line}
    assert "examples/MP199-queue-closed-twice/example.toml" in created
    assert "rules/zh-CN/MP199.md" in created
    assert 'Rule("MP199", "queue-closed-twice"' in (tmp_path / "mplint" / "catalog.py").read_text(
        encoding="utf-8"
    )
    checks = tmp_path / "mplint" / "checks"
    module = (checks / "start" / "queue_closed_twice.py").read_text(encoding="utf-8")
    compile(module, "queue_closed_twice.py", "exec")
    assert "def queue_closed_twice(" in module
    assert "Page: rules/MP199.md" in module
    family = (checks / "start" / "__init__.py").read_text(encoding="utf-8")
    assert "from mplint.checks.start import queue_closed_twice" in family
    assert "from mplint.checks import start" in (checks / "__init__.py").read_text(encoding="utf-8")
    # The scaffold's placeholders are reported as missing pieces, one by one.
    RULES_BACKUP = dict(RULES)
    try:
        RULES["MP199"] = RULES["MP101"].__class__("MP199", "queue-closed-twice", "x")
        missing = missing_pieces(tmp_path, "MP199")
    finally:
        RULES.clear()
        RULES.update(RULES_BACKUP)
    assert any("rules/MP199.md still has" in item for item in missing)
    assert any("2 more bad fixture(s)" in item for item in missing)
    assert any("example.toml still has" in item for item in missing)
