"""The results cache (.mplint_cache) and linting in several processes (--jobs)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mplint import parallel
from mplint.cache import CACHE_DIR_NAME, Cache
from mplint.cli import main
from mplint.config import Settings
from mplint.parallel import lint_files

BROKEN = (
    "import multiprocessing\n"
    "def work(q):\n"
    "    q.put(1)\n"
    "multiprocessing.Process(target=work, args=(1)).start()\n"
)


def project(root: Path, files: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        (root / f"job{n}.py").write_text(BROKEN + f"# {n}\n")
    (root / "plain.py").write_text("print('no processes here')\n")
    return root


def entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME).rglob("*.json"))


def as_tuples(results: list) -> list:
    return [(r.path, r.error, r.diagnostics) for r in results]


def test_second_run_is_served_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    first_cache = Cache(tmp_path, Settings())
    first = lint_files([root], Settings(), jobs=1, cache=first_cache)
    assert first_cache.misses == 3 and first_cache.hits == 0
    assert len(entries(tmp_path)) == 3  # only files past the prefilter are stored
    second_cache = Cache(tmp_path, Settings())
    second = lint_files([root], Settings(), jobs=1, cache=second_cache)
    assert second_cache.hits == 3 and second_cache.misses == 0
    assert as_tuples(second) == as_tuples(first)
    assert any(d.fix is not None for r in second for d in r.diagnostics)  # fixes survive
    assert (tmp_path / CACHE_DIR_NAME / ".gitignore").read_text().splitlines()[-1] == "*"


def test_key_follows_content_settings_and_enabled_codes(tmp_path: Path) -> None:
    cache = Cache(tmp_path, Settings())
    data = BROKEN.encode()
    key = cache.key(data, frozenset({"MP101"}))
    assert key == Cache(tmp_path, Settings()).key(data, frozenset({"MP101"}))
    assert key != cache.key(data + b"\n", frozenset({"MP101"}))
    assert key != cache.key(data, frozenset({"MP101", "MP107"}))
    assert key != Cache(tmp_path, Settings(lang="zh-CN")).key(data, frozenset({"MP101"}))
    assert key != Cache(tmp_path, Settings(start_method="fork")).key(data, frozenset({"MP101"}))


@pytest.mark.parametrize(
    "damage",
    [b"", b"{", b"\xff\xfe not json", b"[]", b'{"parsed": true}', b'{"error": 5}', b"null"],
)
def test_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, damage: bytes) -> None:
    root = project(tmp_path / "p", files=1)
    expected = as_tuples(lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings())))
    (entry,) = entries(tmp_path)
    entry.write_bytes(damage)
    cache = Cache(tmp_path, Settings())
    assert as_tuples(lint_files([root], Settings(), jobs=1, cache=cache)) == expected
    assert cache.misses == 1
    json.loads(entry.read_text())  # whole again


def test_wrong_shape_entry_is_ignored(tmp_path: Path) -> None:
    root = project(tmp_path / "p", files=1)
    expected = as_tuples(lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings())))
    (entry,) = entries(tmp_path)
    data = json.loads(entry.read_text())
    data["diagnostics"][0]["range"] = [1, 2]
    data["diagnostics"][0]["severity"] = "catastrophic"
    entry.write_text(json.dumps(data))
    assert as_tuples(lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings()))) == (
        expected
    )


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry appears whole or not at all: a write that fails half way leaves neither
    the entry nor its temporary file, and the run goes on without a cache."""
    root = project(tmp_path / "p", files=2)
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(source: str, target: str) -> None:
        renames.append((str(source), str(target)))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", replace)
    cache = Cache(tmp_path, Settings())
    results = lint_files([root], Settings(), jobs=1, cache=cache)
    assert all(r.diagnostics for r in results if r.path.endswith("job0.py"))
    assert len(renames) == 1 and not cache.writable  # turned off after the first failure
    assert Path(renames[0][0]).name.startswith(".tmp-")
    assert not entries(tmp_path) and not list((tmp_path / CACHE_DIR_NAME).rglob(".tmp-*"))
    monkeypatch.setattr(os, "replace", real_replace)
    lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings()))
    assert len(entries(tmp_path)) == 2


def test_internal_errors_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mplint.engine import LintResult

    root = project(tmp_path / "p", files=1)
    real = parallel.lint_source

    def failing(*args: object, **kwargs: object) -> LintResult:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.internal_errors.append(("check_x", "Traceback ..."))
        return result

    monkeypatch.setattr(parallel, "lint_source", failing)
    lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings()))
    assert not entries(tmp_path)


def test_cli_cache_at_project_root_and_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "repo")
    (root / "pyproject.toml").write_text("[tool.mplint]\nignore = ['MP201']\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["check", "--no-cache", str(root)]) == 1
    assert not (root / CACHE_DIR_NAME).exists() and not (elsewhere / CACHE_DIR_NAME).exists()
    cold = capsys.readouterr().out
    assert main(["check", str(root)]) == 1
    assert capsys.readouterr().out == cold
    assert len(entries(root)) == 3 and not (elsewhere / CACHE_DIR_NAME).exists()
    assert main(["check", str(root)]) == 1
    assert capsys.readouterr().out == cold


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_jobs_give_the_same_results_on_fork_and_spawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    root = project(tmp_path / "p", files=4)
    (root / "broken.py").write_text("import multiprocessing\ndef f(:\n")
    serial = as_tuples(lint_files([root], Settings(), jobs=1))
    monkeypatch.setattr(parallel, "start_method", lambda: method)
    assert as_tuples(lint_files([root], Settings(), jobs=3)) == serial
    assert sum(1 for path, error, _ in serial if error is not None) == 1


def test_a_dead_worker_is_that_files_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-task (out of memory, say), again when the file is tried alone:
    the file is reported, never linted in this process (which would die the same way).
    tests/test_input_guard.py has the real thing: a worker that libcst's parser kills."""
    root = project(tmp_path / "p", files=3)
    serial = lint_files([root], Settings(), jobs=1)
    monkeypatch.setattr(parallel, "lint_in_worker", _die)
    monkeypatch.setattr(parallel, "start_method", lambda: "fork")
    died = lint_files([root], Settings(), jobs=2)
    assert [r.path for r in died] == [r.path for r in serial]
    linted = [r for r in serial if r.parsed]
    assert len(linted) >= 2
    for result in died:
        if result.path in {r.path for r in linted}:
            assert result.error is not None and result.error.message == parallel.WORKER_DIED


def _die(data: bytes, path: str, settings: Settings) -> None:
    os._exit(9)


def test_jobs_flag_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--jobs", "0", "."])
    assert "at least 1" in capsys.readouterr().err


def test_mplint_is_clean_under_its_own_rules() -> None:
    """mplint starts processes itself: its own code must pass every rule, opt-in ones too,
    whatever the start method."""
    package = Path(__file__).resolve().parent.parent / "mplint"
    for method in ("fork", "spawn"):
        settings = Settings(select=("ALL",), start_method=method)
        results = lint_files([package], settings, jobs=1)
        assert [(r.path, d.code) for r in results for d in r.diagnostics] == []
