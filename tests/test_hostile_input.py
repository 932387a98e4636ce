"""The command line on what an unlucky user or an attacker hands it: folders it may not
enter, file names that are not UTF-8 or hold control characters, broken or hostile
configuration, many patterns, another user's pyproject.toml. Each test runs the real
``mplint`` command (reliability review, December 2026: D3, D4, D8, D9, D11, D16).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

BUGGY = "import multiprocessing as mp\ndef f():\n    pass\np = mp.Process(target=f)\np.start()\n"
OTHER_UID = 65534  # nobody


def mplint_command() -> list[str]:
    """The installed console script next to this Python, as users run it."""
    script = Path(sys.executable).parent / "mplint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mplint"]


def without_root_privileges() -> list[str]:
    """A prefix that makes permission checks apply. As root: drop the capabilities that
    bypass them (root keeps its uid, so the interpreter under a 0700 /root stays
    reachable, which running as ``nobody`` would not allow). Otherwise: nothing."""
    if os.geteuid() != 0:
        return []
    dropped = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={dropped}", f"--inh-caps={dropped}"]


def run_mplint(
    args: Sequence[str],
    cwd: Path,
    *,
    prefix: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*prefix, *mplint_command(), *args],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@contextmanager
def modes(*changes: tuple[Path, int]) -> Iterator[None]:
    """chmod for the test, then back, so that the temporary folder can be removed."""
    try:
        for path, mode in changes:
            path.chmod(mode)
        yield
    finally:
        for path, _ in changes:
            path.chmod(0o755)


# -- D3: folders that cannot be entered or listed -----------------------------------------


def test_folders_mplint_may_not_read_are_reported_and_the_rest_linted(tmp_path: Path) -> None:
    """Mode 000 and 111 folders (cannot list) are one error line each; in a 644 folder
    (can list, cannot enter) each file is. The readable file is still linted."""
    tree = tmp_path / "tree"
    (tree / "readable.py").parent.mkdir()
    (tree / "readable.py").write_text(BUGGY)
    for name in ("m000", "m111", "m644"):
        (tree / name).mkdir()
        (tree / name / "a.py").write_text(BUGGY)
    with modes((tree / "m000", 0o000), (tree / "m111", 0o111), (tree / "m644", 0o644)):
        walked = run_mplint(
            ["check", "--no-cache", "--format", "concise", "tree"],
            tmp_path,
            prefix=without_root_privileges(),
        )
        named = run_mplint(
            [
                "check",
                "--no-cache",
                "--format",
                "concise",
                "tree/m644",
                "tree/m000/a.py",
                "tree/m111",
            ],
            tmp_path,
            prefix=without_root_privileges(),
        )
    assert b"Traceback" not in walked.stderr, walked.stderr.decode()
    assert walked.returncode == 1
    assert walked.stdout.decode().splitlines() == [
        "tree/readable.py:5:1: MP101 unguarded-process-start",
        "tree/m000:1:1: cannot read directory: Permission denied",
        "tree/m111:1:1: cannot read directory: Permission denied",
        "tree/m644/a.py:1:1: cannot read: Permission denied",
        "[*] 1 fixable with --fix --unsafe-fixes",
    ]
    assert b"Traceback" not in named.stderr, named.stderr.decode()
    assert named.returncode == 1
    assert named.stdout.decode().splitlines() == [
        "tree/m644/a.py:1:1: cannot read: Permission denied",
        "tree/m000/a.py:1:1: cannot read: Permission denied",
        "tree/m111:1:1: cannot read directory: Permission denied",
    ]


# -- D4: a file name that is not UTF-8 ------------------------------------------------------


def test_a_file_name_that_is_not_utf8_keeps_every_report_whole(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(BUGGY)
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(BUGGY)
    sarif = run_mplint(["check", "--no-cache", "--format", "sarif", "."], tmp_path)
    assert sarif.returncode == 1, sarif.stderr.decode()
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    assert uris == ["caf%E9.py", "good.py"]  # the name's own bytes, percent-encoded

    written = run_mplint(["check", "--no-cache", "--output-file", "report.txt", "."], tmp_path)
    assert written.returncode == 1, written.stderr.decode()
    report = (tmp_path / "report.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ")[0] for line in report[:2]] == ["caf\\xe9.py:5:1:", "good.py:5:1:"]

    strict = run_mplint(["check", "--no-cache", "."], tmp_path, env={"PYTHONIOENCODING": "utf-8"})
    assert strict.returncode == 1, strict.stderr.decode()
    assert [line.split(b" ")[0] for line in strict.stdout.splitlines()[:2]] == [
        b"caf\\xe9.py:5:1:",
        b"good.py:5:1:",
    ]
    assert strict.stderr == b""

    diff = run_mplint(
        ["check", "--no-cache", "--diff", "--unsafe-fixes", "."],
        tmp_path,
        env={"PYTHONIOENCODING": "utf-8"},
    )
    assert diff.returncode == 1, diff.stderr.decode()
    assert b"--- a/caf\xe9.py\n" in diff.stdout  # the name's own bytes, for patch


# -- D8: configuration mistakes ------------------------------------------------------------

DEEP_ARRAY = "[tool.mplint]\nexclude = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (b'tool = "x"\n', "tool must be a table"),
        (b"tool = [1]\n", "tool must be a table"),
        (b'[tool.mplint]\nlang = "\xff"\n', "not valid UTF-8 text (byte 0xff"),
        (DEEP_ARRAY.encode(), "nested too deeply"),
        (b'[tool.mplint]\ndocs-url = "https://example.org/{code}{"\n', "docs-url"),
        (b'[tool.mplint]\ndocs-url = "https://example.org/{code}/{lang_code}"\n', "docs-url"),
        (
            b'[tool.mplint]\ndocs-url = "https://e.org/{code}/{code.__class__.__mro__}"\n',
            "docs-url",
        ),
        (b'[tool.mplint]\ndocs-url = "https://example.org/{code}/{0}"\n', "docs-url"),
        (b'[tool.mplint]\ndocs-url = "https://example.org/{lang}/{code}"\n', "docs-url"),
    ],
)
def test_a_configuration_mistake_is_one_line_naming_the_file_and_exit_2(
    tmp_path: Path, config: bytes, says: str
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(config)
    (tmp_path / "a.py").write_text(BUGGY)
    completed = run_mplint(["check", "--no-cache", "a.py"], tmp_path)
    assert completed.returncode == 2, completed.stderr.decode()
    lines = completed.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"mplint: configuration error: {tmp_path / 'pyproject.toml'}: ")
    assert says in lines[0]
    assert completed.stdout == b""


def test_docs_url_replaces_code_and_name_as_plain_text(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mplint]\ndocs-url = "https://example.org/%7Bx%7D/{name}/{code}.html"\n'
    )
    (tmp_path / "a.py").write_text(BUGGY)
    completed = run_mplint(["check", "--no-cache", "--format", "json", "a.py"], tmp_path)
    assert completed.returncode == 1, completed.stderr.decode()
    [finding] = json.loads(completed.stdout)
    assert finding["url"] == "https://example.org/%7Bx%7D/unguarded-process-start/MP101.html"


# -- D9: the cost of exclude and per-file-ignores patterns ------------------------------------


def test_many_patterns_cost_about_as_much_as_one(tmp_path: Path) -> None:
    """400 files with 1 pattern, then 200 `exclude` and 200 `per-file-ignores` patterns.
    Matched one by one (a resolve() and an fnmatch per pattern per file) the second run
    took about 40 times as long; compiled once, about as long."""
    package = tmp_path / "pkg"
    package.mkdir()
    for i in range(400):
        (package / f"m{i:03d}.py").write_text(
            "import multiprocessing\n" if i % 50 == 0 else "x = 1\n"
        )

    def timed(count: int) -> float:
        excludes = ", ".join(f"'gen{i}/*'" for i in range(count))
        ignores = ", ".join(f"'p{i}/*.py' = ['MP2']" for i in range(count))
        (tmp_path / "pyproject.toml").write_text(
            f"[tool.mplint]\nexclude = [{excludes}]\nper-file-ignores = {{ {ignores} }}\n"
        )
        started = time.perf_counter()
        completed = run_mplint(["check", "--no-cache", "-j", "1", "pkg"], tmp_path)
        assert completed.returncode == 0, completed.stderr.decode()
        return time.perf_counter() - started

    # The faster of two runs each, so that a busy machine does not decide the outcome.
    one = min(timed(1) for _ in range(2))
    many = min(timed(200) for _ in range(2))
    assert many < 2 * one + 1.0, f"1 pattern: {one:.2f} s, 200 patterns: {many:.2f} s"


# -- D11: whose pyproject.toml is used ----------------------------------------------------

HIDE_ALL = '[tool.mplint]\nper-file-ignores = { "*" = ["MP"] }\n'


def test_the_search_for_pyproject_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(HIDE_ALL)
    repository = tmp_path / "repository"
    (repository / ".git").mkdir(parents=True)
    (repository / "buggy.py").write_text(BUGGY)
    completed = run_mplint(["check", "--no-cache", "."], repository)
    assert completed.returncode == 1, completed.stdout.decode()
    assert b"MP101" in completed.stdout


def test_another_users_pyproject_in_a_parent_folder_is_not_used(tmp_path: Path) -> None:
    """A shared sticky folder (think /tmp) holds someone else's pyproject.toml that hides
    every finding; it is passed over with a note, and no cache goes into that folder.
    Not root, no file of another user can be made: then the test checks the other half
    of the rule, that the user's own file in a parent folder is still used."""
    shared = tmp_path / "shared"
    project = shared / "project"
    project.mkdir(parents=True)
    pyproject = shared / "pyproject.toml"
    pyproject.write_text(HIDE_ALL)
    (project / "buggy.py").write_text(BUGGY)
    if os.geteuid() != 0:
        own = run_mplint(["check", "--no-cache", "."], project)
        assert own.returncode == 0, own.stdout.decode()
        return
    shared.chmod(0o1777)
    os.chown(pyproject, OTHER_UID, OTHER_UID)
    completed = run_mplint(["check", "."], project)
    assert completed.returncode == 1, completed.stdout.decode()
    assert b"MP101" in completed.stdout
    assert completed.stderr.decode().splitlines() == [
        f"mplint: {pyproject} is not used: it belongs to another user (uid {OTHER_UID}); "
        "name it with --config to use it"
    ]
    assert not (shared / ".mplint_cache").exists()
    assert (project / ".mplint_cache").is_dir()
    named = run_mplint(["check", "--no-cache", "--config", str(pyproject), "."], project)
    assert named.returncode == 0, named.stdout.decode()


# -- D16: control characters never reach the terminal --------------------------------------

ESCAPES = (
    "import multiprocessing\n\ndef f(x):\n    pass\n\n"
    'if __name__ == "__main__":\n'
    '    p = multiprocessing.Process(target=f, args=("\x1b[2J\x1b[32mAll checks passed!\x1b[0m"))\n'
    "    p.start()\n    p.join()\n"
    '    q = multiprocessing.Process(target=f, args=("a"\n        "b"))\n'
    "    q.start()\n    q.join()\n"
)


@pytest.mark.parametrize("format_name", ["text", "concise", "github"])
def test_control_characters_are_escaped_in_every_text_format(
    tmp_path: Path, format_name: str
) -> None:
    (tmp_path / "esc.py").write_text(ESCAPES)
    (tmp_path / "name\x1b[2J.py").write_text(BUGGY)
    (tmp_path / "two\nlines.py").write_text(BUGGY)
    (tmp_path / "bad\x07bell.py").write_bytes(b"import multiprocessing\n\xff\n")
    completed = run_mplint(["check", "--no-cache", "--format", format_name, "."], tmp_path)
    assert completed.returncode == 1, completed.stderr.decode()
    out = completed.stdout.decode()
    assert not any(ord(ch) < 0x20 and ch != "\n" or ord(ch) == 0x7F for ch in out), repr(out)
    lines = [line for line in out.splitlines() if not line.startswith("[*]")]
    # One line per finding: 2 in esc.py, 1 in each buggy file, 1 file error.
    assert len(lines) == 5, lines
    # The file name, and the string literal quoted in the message (concise has none).
    assert sum("\\x1b[2J" in line for line in lines) == (1 if format_name == "concise" else 2)
    line_break = "%0A" if format_name == "github" else "\\n"  # github encodes it its own way
    assert any(f"two{line_break}lines.py" in line for line in lines)
    assert any("bad\\x07bell.py" in line for line in lines)


def test_flake8_prints_the_messages_escaped_too(tmp_path: Path) -> None:
    (tmp_path / "esc.py").write_text(ESCAPES)
    completed = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "MP", "esc.py"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stderr.decode()
    lines = completed.stdout.decode().splitlines()
    assert len(lines) == 2 and all(line.startswith("esc.py:") for line in lines), lines
    assert b"\x1b" not in completed.stdout
