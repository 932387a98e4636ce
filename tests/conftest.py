from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mplint.user_key import KEY_DIR_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECTED_ERROR = re.compile(r"#\s*error:\s*(MP\d{3}(?:\s*,\s*MP\d{3})*)")


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("MP*/*.py"))


def expected_findings(path: Path) -> set[tuple[int, str]]:
    """Each expected finding is written on its own line as `# error: MP101`."""
    found = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = EXPECTED_ERROR.search(line)
        if match:
            for code in re.split(r"\s*,\s*", match.group(1)):
                found.add((number, code))
    return found


def fixture_codes(path: Path) -> list[str]:
    """Codes checked on a fixture: every default rule, plus its own folder's opt-in rule."""
    return ["MP", path.parent.name]


@pytest.fixture(autouse=True, scope="session")
def private_cache_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The cache's key (mplint.user_key) goes to a temporary folder, never the real
    ~/.cache/mplint: for this process and every mplint command the tests run."""
    saved = os.environ.get(KEY_DIR_VARIABLE)
    os.environ[KEY_DIR_VARIABLE] = str(tmp_path_factory.mktemp("user-cache") / "mplint")
    yield
    if saved is None:
        del os.environ[KEY_DIR_VARIABLE]
    else:
        os.environ[KEY_DIR_VARIABLE] = saved
