"""The real-code corpus's bookkeeping stays well formed (the files themselves
are not in the repository, so only the manifest and the verdicts are tested)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"


def rows(name: str) -> list[dict[str, str]]:
    with (CORPUS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_manifest_pins_every_file() -> None:
    manifest = rows("manifest.tsv")
    assert len(manifest) >= 200
    assert len({row["repo"] for row in manifest}) >= 80
    keys = [(row["repo"], row["path"]) for row in manifest]
    assert len(keys) == len(set(keys))
    for row in manifest:
        assert re.fullmatch(r"[^/\s]+/[^/\s]+", row["repo"]), row
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), row
        assert row["path"] and not row["path"].startswith("/"), row
        assert row["category"] and row["why"], row


def test_verdicts_name_manifest_files_and_known_kinds() -> None:
    files = {(row["repo"], row["path"]) for row in rows("manifest.tsv")}
    verdicts = rows("verdicts.tsv")
    assert verdicts
    for row in verdicts:
        assert (row["repo"], row["path"]) in files, row
        assert row["verdict"] in {"true", "noise", "false"}, row
        assert re.fullmatch(r"MP\d{3}", row["code"]), row
        assert int(row["line"]) > 0 and row["reason"], row


def test_pending_fixtures_are_good_real_files() -> None:
    """A pending fixture is a noise shape mplint still reports; once it is silent it moves
    to fixtures/ (none is pending today: every corpus shape was fixed at the root)."""
    from mplint.engine import lint_source

    for fixture in sorted((CORPUS / "pending_fixtures").glob("MP*/*.py")):
        text = fixture.read_text(encoding="utf-8")
        assert fixture.name.startswith("good_real_"), fixture
        assert "# error:" not in text, fixture
        assert lint_source(text, str(fixture)).diagnostics, f"{fixture} is clean: move it"
