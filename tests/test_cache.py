"""The results cache (.mplint_cache) and linting in several processes (--jobs)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import mplint.cache
from mplint import parallel
from mplint.cache import CACHE_DIR_NAME, FORMAT_VERSION, Cache
from mplint.cache_pruning import prune
from mplint.cli import main
from mplint.config import Settings, load_settings
from mplint.engine import LintResult
from mplint.parallel import lint_files
from mplint.user_key import KEY_DIR_VARIABLE, user_key

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


def payload(entry: Path) -> Any:
    """An entry's JSON, after its signature line."""
    return json.loads(entry.read_bytes().partition(b"\n")[2])


def forge(
    cache_root: Path,
    root: Path,
    data: Any,
    monkeypatch: pytest.MonkeyPatch,
    all_settings: list[Settings],
) -> None:
    """Store ``data`` as the entry of every Python file under ``root``, the way mplint
    would store a result, signed with the key of whoever runs this (MPLINT_KEY_DIR)."""
    with monkeypatch.context() as patch:
        patch.setattr(mplint.cache, "result_to_json", lambda result: data)
        for settings in all_settings:
            cache = Cache(cache_root, settings)
            for path in root.rglob("*.py"):
                key = cache.key(path.read_bytes(), settings.enabled_for(str(path)))
                cache.put(key, LintResult(str(path)))


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
    assert payload(entry)["diagnostics"]  # whole again


def test_wrong_shape_entry_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed with this user's key, but not what mplint writes: still a miss."""
    root = project(tmp_path / "p", files=1)
    expected = as_tuples(lint_files([root], Settings(), jobs=1, cache=Cache(tmp_path, Settings())))
    (entry,) = entries(tmp_path)
    data = payload(entry)
    data["diagnostics"][0]["range"] = [1, 2]
    data["diagnostics"][0]["severity"] = "catastrophic"
    forge(tmp_path, root, data, monkeypatch, [Settings()])
    cache = Cache(tmp_path, Settings())
    assert as_tuples(lint_files([root], Settings(), jobs=1, cache=cache)) == expected
    assert cache.misses == 1


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry appears whole or not at all: a write that fails half way leaves neither
    the entry nor its temporary file, and the run goes on without a cache."""
    root = project(tmp_path / "p", files=2)
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def replace(source: str, target: str, **folders: int) -> None:
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


# The forged and damaged caches of the reliability review (D5, D10, D20), each met by
# the real `mplint check` in its own process.

HOMEWORK = "import multiprocessing as mp\n\ndef work():\n    pass\n\np = mp.Process(target=work)\np.start()\n"


def student_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "student_repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text("[tool.mplint]\n")
    (repo / "homework.py").write_text(HOMEWORK)
    return repo


def settings_of(repo: Path) -> list[Settings]:
    """The settings `mplint check` will use in ``repo`` (same environment, same language)."""
    return [load_settings(repo)]


def mplint_check(
    repo: Path, *args: str, key_dir: Path | None = None, python_path: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`mplint check . ARGS` in ``repo``, as its own process, with a time limit and at
    most 1 GB of memory (a run takes about 300 MB): a hang or a runaway read fails."""
    env = dict(os.environ)
    if key_dir is not None:
        env[KEY_DIR_VARIABLE] = str(key_dir)
    if python_path is not None:
        env["PYTHONPATH"] = python_path
    return subprocess.run(
        [sys.executable, "-m", "mplint", "check", *args, "."],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


_TRUTH: list[subprocess.CompletedProcess[str]] = []


def assert_same_as_without_cache(run: subprocess.CompletedProcess[str], repo: Path) -> None:
    """The run says what `--no-cache` says (asked once: every student repo is alike)."""
    if not _TRUTH:
        _TRUTH.append(mplint_check(repo, "--no-cache"))
    truth = _TRUTH[0]
    assert truth.returncode == 1 and "MP101" in truth.stdout
    assert "Traceback" not in run.stderr
    assert (run.returncode, run.stdout) == (truth.returncode, truth.stdout)


def test_forged_no_findings_entry_does_not_hide_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A student commits entries saying "no findings", signed with their own key: the
    teacher's run, with the teacher's key, still reports the findings."""
    repo = student_repo(tmp_path)
    monkeypatch.setenv(KEY_DIR_VARIABLE, str(tmp_path / "student_key"))
    clean = {"parsed": True, "error": None, "diagnostics": []}
    forge(repo, repo, clean, monkeypatch, settings_of(repo))
    assert entries(repo)
    teacher = mplint_check(repo, key_dir=tmp_path / "teacher_key")
    assert_same_as_without_cache(teacher, repo)


def test_copied_installation_does_not_trust_forged_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the installation (a container image's layer) has the same build
    fingerprint, so it computes the same entry names; the key is not in it."""
    image = tmp_path / "image"
    shutil.copytree(Path(mplint.__file__).parent, image / "mplint", copy_function=shutil.copy2)
    fingerprint = subprocess.run(
        [sys.executable, "-c", "from mplint.cache import build_fingerprint as f; print(f())"],
        env=dict(os.environ, PYTHONPATH=str(image)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert fingerprint == mplint.cache.build_fingerprint()
    repo = student_repo(tmp_path)
    monkeypatch.setenv(KEY_DIR_VARIABLE, str(tmp_path / "student_key"))
    clean = {"parsed": True, "error": None, "diagnostics": []}
    forge(repo, repo, clean, monkeypatch, settings_of(repo))
    teacher = mplint_check(repo, key_dir=tmp_path / "teacher_key", python_path=str(image))
    assert_same_as_without_cache(teacher, repo)


FORGED_FINDING = {
    "code": "MP101",
    "name": "unguarded-process-start",
    "message": "x",
    "range": [1, 0, 1, 1],
    "severity": "error",
    "url": "x",
    "extra": {},
    "fix": None,
}


def test_entry_with_a_huge_number_is_ignored_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even signed with the user's own key, a range of 1e400 (no integer) is a miss,
    not an OverflowError on every later run."""
    repo = student_repo(tmp_path)
    huge = dict(FORGED_FINDING, range=[1e400, 1, 1, 1])
    forge(
        repo,
        repo,
        {"parsed": True, "error": None, "diagnostics": [huge]},
        monkeypatch,
        settings_of(repo),
    )
    assert_same_as_without_cache(mplint_check(repo), repo)
    assert_same_as_without_cache(mplint_check(repo), repo)
    (entry,) = entries(repo)
    assert all(type(n) is int for n in payload(entry)["diagnostics"][0]["range"])  # rewritten


def test_entry_with_an_unknown_code_and_negative_positions_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code MP999, line -5 and a two-line message: ignored in every format; SARIF does
    not fail looking up a rule that does not exist."""
    repo = student_repo(tmp_path)
    forged = dict(FORGED_FINDING, code="MP999", range=[-5, 0, -5, 1], message="fine\nreally")
    forge(
        repo,
        repo,
        {"parsed": True, "error": None, "diagnostics": [forged]},
        monkeypatch,
        settings_of(repo),
    )
    sarif = mplint_check(repo, "--format", "sarif")
    assert "Traceback" not in sarif.stderr and sarif.returncode == 1
    assert "MP999" not in sarif.stdout and '"MP101"' in sarif.stdout
    assert json.loads(sarif.stdout)["runs"][0]["results"]
    forge(
        repo,
        repo,
        {"parsed": True, "error": None, "diagnostics": [forged]},
        monkeypatch,
        settings_of(repo),
    )
    text = mplint_check(repo)
    assert "-5:" not in text.stdout and "really" not in text.stdout
    assert_same_as_without_cache(text, repo)


def test_fifo_entry_does_not_hang(tmp_path: Path) -> None:
    repo = student_repo(tmp_path)
    assert_same_as_without_cache(mplint_check(repo), repo)
    for entry in entries(repo):
        entry.unlink()
        os.mkfifo(entry)
    assert_same_as_without_cache(mplint_check(repo), repo)
    assert all(entry.is_file() and payload(entry)["diagnostics"] for entry in entries(repo))


def test_entry_linked_to_the_zero_device_is_not_read(tmp_path: Path) -> None:
    """git can commit a symbolic link; reading through it would never end."""
    repo = student_repo(tmp_path)
    assert_same_as_without_cache(mplint_check(repo), repo)
    for entry in entries(repo):
        entry.unlink()
        entry.symlink_to("/dev/zero")
    assert_same_as_without_cache(mplint_check(repo), repo)
    assert all(not entry.is_symlink() and payload(entry) for entry in entries(repo))


@pytest.mark.parametrize("linked", [CACHE_DIR_NAME, f"{CACHE_DIR_NAME}/{FORMAT_VERSION}"])
def test_linked_cache_folder_is_not_written_through(tmp_path: Path, linked: str) -> None:
    """A repository can carry `.mplint_cache -> ../somewhere`: mplint runs without the
    cache, says so once, and writes nothing there (no `.gitignore` hiding another
    repository's work, no CACHEDIR.TAG dropping a folder from backups)."""
    repo = student_repo(tmp_path)
    elsewhere = tmp_path / "other_repo"
    elsewhere.mkdir()
    (elsewhere / "work_in_progress.txt").write_text("wip\n")
    link = repo / linked
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(os.path.relpath(elsewhere, link.parent))
    for _ in range(2):
        run = mplint_check(repo)
        assert_same_as_without_cache(run, repo)
        assert len(run.stderr.splitlines()) == 1 and "not using the cache" in run.stderr
        assert os.listdir(elsewhere) == ["work_in_progress.txt"]


def test_entries_unused_for_30_days_are_pruned_once_a_day(tmp_path: Path) -> None:
    repo = student_repo(tmp_path)
    cache_folder = repo / CACHE_DIR_NAME
    assert_same_as_without_cache(mplint_check(repo), repo)
    (used,) = entries(repo)  # the entry of homework.py as it is now
    stale = used.parent.parent / "0f" / f"{'0f' * 32}.json"  # an older version of a file
    stale.parent.mkdir()
    recent = used.parent.parent / "0e" / f"{'0e' * 32}.json"
    recent.parent.mkdir()
    other_version = cache_folder / "v1" / "ab" / f"{'ab' * 32}.json"  # an older mplint's
    other_version.parent.mkdir(parents=True)
    leftover = used.parent / ".tmp-0123abcd.json"  # a run killed while writing
    notes = cache_folder / "notes.txt"  # not a name mplint writes: never removed
    for path in (stale, recent, other_version, leftover, notes):
        path.write_text("{}")
    now = time.time()
    days = 24 * 3600
    for path, age in ((used, 10), (stale, 31), (recent, 10), (other_version, 40)):
        os.utime(path, (now - age * days, now - age * days))
    for path in (leftover, notes):
        os.utime(path, (now - 2 * days, now - 2 * days))
    marker = cache_folder / "last-pruned"  # when the folder was last pruned
    marker.touch()
    os.utime(marker, (now - 2 * days, now - 2 * days))

    assert_same_as_without_cache(mplint_check(repo), repo)
    assert not stale.exists() and not other_version.exists() and not leftover.exists()
    assert not other_version.parent.exists()  # emptied folders go too
    assert recent.exists() and notes.exists()
    assert used.exists() and used.stat().st_mtime > now - days  # a hit marks it used
    assert marker.stat().st_mtime > now - days

    os.utime(recent, (now - 31 * days, now - 31 * days))
    assert_same_as_without_cache(mplint_check(repo), repo)
    assert recent.exists()  # pruned at most once a day
    os.utime(marker, (now - 2 * days, now - 2 * days))
    assert_same_as_without_cache(mplint_check(repo), repo)
    assert not recent.exists()


def test_pruning_keeps_the_cache_under_its_size_cap(tmp_path: Path) -> None:
    """Over the cap, the least recently used entries go first, down to three quarters."""
    shard = tmp_path / CACHE_DIR_NAME / FORMAT_VERSION / "ab"
    shard.mkdir(parents=True)
    now = time.time()
    ages = list(range(20))
    for age in ages:
        entry = shard / f"{age:064x}.json"
        entry.write_bytes(b"x" * 4096)
        os.utime(entry, (now - age * 3600, now - age * 3600))
    size = sum(entry.stat().st_blocks * 512 for entry in shard.iterdir())
    top = os.open(tmp_path / CACHE_DIR_NAME, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert prune(top, now, max_bytes=size // 2)
    finally:
        os.close(top)
    left = sorted(int(entry.stem, 16) for entry in shard.iterdir())
    assert 0 < len(left) <= 20 * 3 // 8
    assert left == ages[: len(left)]  # the most recently used stay


def test_pruning_stops_at_its_time_budget_and_goes_on_next_run(tmp_path: Path) -> None:
    shard = tmp_path / CACHE_DIR_NAME / FORMAT_VERSION / "ab"
    shard.mkdir(parents=True)
    now = time.time()
    for n in range(5):
        entry = shard / f"{n:064x}.json"
        entry.write_bytes(b"{}")
        os.utime(entry, (now - 40 * 24 * 3600,) * 2)
    top = os.open(tmp_path / CACHE_DIR_NAME, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert not prune(top, now, seconds=-1)  # out of time before the first file
        assert len(list(shard.iterdir())) == 5
        assert prune(top, now)
    finally:
        os.close(top)
    assert not shard.exists() and not shard.parent.exists()


def test_user_key_is_private_and_made_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "home_cache" / "mplint"
    monkeypatch.setenv(KEY_DIR_VARIABLE, str(folder))
    key = user_key()
    assert key is not None and len(key) == 32
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "key").stat().st_mode) == 0o600
    assert user_key() == key and os.listdir(folder) == ["key"]


def _group_readable_key(folder: Path) -> None:
    (folder / "key").chmod(0o640)


def _shared_folder(folder: Path) -> None:
    folder.chmod(0o777)


def _short_key(folder: Path) -> None:
    (folder / "key").write_bytes(b"guessable")


def _linked_key(folder: Path) -> None:
    (folder / "key").rename(folder / "real_key")
    (folder / "key").symlink_to("real_key")


@pytest.mark.parametrize(
    "spoil",
    [_group_readable_key, _shared_folder, _short_key, _linked_key],
    ids=lambda f: f.__name__,
)
def test_a_key_that_is_not_safe_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: Any
) -> None:
    folder = tmp_path / "mplint"
    monkeypatch.setenv(KEY_DIR_VARIABLE, str(folder))
    assert user_key() is not None
    spoil(folder)
    assert user_key() is None
    if spoil is _group_readable_key:  # one is enough to see the command do without
        repo = student_repo(tmp_path)
        assert_same_as_without_cache(mplint_check(repo), repo)
        assert not (repo / CACHE_DIR_NAME).exists()


def test_an_entry_moved_to_another_name_is_not_trusted(tmp_path: Path) -> None:
    """The signature covers the entry's name: this user's own entry for a clean file,
    copied over the entry of a file with findings, is a miss."""
    root = project(tmp_path / "p", files=1)
    (root / "clean.py").write_text("import multiprocessing\n")
    first = Cache(tmp_path, Settings())
    lint_files([root], Settings(), jobs=1, cache=first)
    clean_entry, broken_entry = sorted(
        entries(tmp_path), key=lambda e: len(payload(e)["diagnostics"])
    )
    broken_entry.write_bytes(clean_entry.read_bytes())
    second = Cache(tmp_path, Settings())
    results = lint_files([root], Settings(), jobs=1, cache=second)
    assert second.hits == 1 and second.misses == 1
    assert any(r.diagnostics for r in results)
