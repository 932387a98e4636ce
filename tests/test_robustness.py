"""Code nobody here wrote: generated programs, mutated fixtures, malformed files.

The bar: no traceback ever, no check that raises, one clear message per file that
cannot be linted, every other file still linted, and the linted code never run.

Generated and mutated programs: about 300 examples in all by default (well under a
minute); set ``MPLINT_FUZZ_EXAMPLES=5000`` (say) for a long run of that many per test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import hypothesmith
import pytest
from conftest import fixture_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mplint.cli import main
from mplint.config import Settings
from mplint.engine import lint_source
from mplint.parallel import lint_files

_OPT_IN = os.environ.get("MPLINT_FUZZ_EXAMPLES")


def fuzz(default_examples: int) -> settings:
    return settings(
        max_examples=int(_OPT_IN) if _OPT_IN else default_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        database=None,
    )


EVERYTHING = Settings(select=("ALL",))
# Generated code rarely names a process API; this header lets it past the prefilter and
# gives the checks names to resolve.
HEADER = (
    "import multiprocessing as mp, os, threading\n"
    "from multiprocessing import Process, Pool, Queue, Lock, Value, Manager\n"
    "from concurrent.futures import ProcessPoolExecutor\n"
)
SOURCES = [p.read_text(encoding="utf-8") for p in fixture_files()]


def assert_lints_cleanly(source: str) -> None:
    result = lint_source(source, "generated.py", EVERYTHING)
    assert not result.internal_errors, result.internal_errors[0][1]
    for diagnostic in result.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.message


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@fuzz(40)
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar(source: str) -> None:
    assert_lints_cleanly(HEADER + source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@fuzz(25)  # from_node generates slowly: about 0.5 s an example
@given(hypothesmith.from_node())
def test_programs_from_libcst_nodes(source: str) -> None:
    assert_lints_cleanly(HEADER + source)


@st.composite
def mutated_fixture(draw: st.DrawFn) -> str:
    """A fixture with lines dropped, repeated, swapped, re-indented or cut short: shapes
    the checks were not written for, most of them still valid Python."""
    lines = draw(st.sampled_from(SOURCES)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "dedent", "indent", "cut"]))
        if action == "drop":
            del lines[i]
        elif action == "repeat":
            lines.insert(j, lines[i])
        elif action == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "dedent":
            lines[i] = lines[i].lstrip(" ")
        elif action == "indent":
            lines[i] = "    " + lines[i]
        else:
            lines = lines[:i]
    return "".join(lines)


@fuzz(300)
@given(mutated_fixture())
def test_mutated_fixtures(source: str) -> None:
    assert_lints_cleanly(source)


@fuzz(60)
@given(st.sampled_from(SOURCES), st.sampled_from(SOURCES))
def test_fixtures_glued_together(first: str, second: str) -> None:
    """Two programs in one file: a name means one thing in the first half and another
    in the second."""
    assert_lints_cleanly(first + "\n" + second)


# -- malformed files, through the command line --------------------------------------

GOOD = "import multiprocessing\nmultiprocessing.Process(target=print).start()\n"


def malformed_tree(root: Path) -> dict[str, str]:
    """Files that cannot be linted, by name, with words their one message must hold."""
    root.mkdir()
    (root / "finding.py").write_text(GOOD)  # the file that must still be reported (MP101)
    (root / "null_bytes.py").write_bytes(b"import multiprocessing\x00\n")
    (root / "invalid_utf8.py").write_bytes(b"import multiprocessing\nx = '\xff\xfe'\n")
    (root / "bad_cookie.py").write_bytes(b"# -*- coding: no-such-codec -*-\nimport os\n")
    (root / "syntax_error.py").write_text("import multiprocessing\ndef broken(:\n")
    (root / "mixed_tabs.py").write_text(
        "import multiprocessing\nif True:\n        x = 1\n\ty = 2\n"
    )
    (root / "dangling.py").symlink_to(root / "no-such-target.py")
    (root / "self_loop.py").symlink_to(root / "self_loop.py")
    os.mkfifo(root / "fifo.py")  # opening it would block for ever
    # Files that are fine and must lint without a message.
    (root / "empty.py").write_bytes(b"")
    (root / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD.replace("Process", "Pool").encode())
    (root / "crlf.py").write_bytes(b"import multiprocessing\r\nx = 1\r\n")
    (root / "tabs.py").write_text("import multiprocessing\nif True:\n\tx = 1\n")
    (root / "latin1.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nimport multiprocessing\ns='\xe9'\n"
    )
    (root / "huge_plain.py").write_text("x = 1  # no process API here\n" * 70_000)  # 2 MB
    (root / "huge_parsed.py").write_text(
        "import multiprocessing\nDATA = '" + "x" * 2_100_000 + "'\n"
    )
    (root / "deep.py").write_text("import multiprocessing\nx = " + "(" * 400 + ")" * 400 + "\n")
    loop = root / "pkg"
    loop.mkdir()
    (loop / "mod.py").write_text("import multiprocessing\n")
    (loop / "again").symlink_to(loop, target_is_directory=True)
    (loop / "up").symlink_to(root, target_is_directory=True)
    return {
        "null_bytes.py": "null bytes",
        "invalid_utf8.py": "not valid utf-8",
        "bad_cookie.py": "no-such-codec",
        "syntax_error.py": "syntax error",
        "mixed_tabs.py": "cannot lint",
        "dangling.py": "cannot read",
        "self_loop.py": "cannot read",
        "fifo.py": "not a regular file",
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_malformed_files_one_message_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: str
) -> None:
    root = tmp_path / "tree"
    bad = malformed_tree(root)
    # The walk lists symlinks and FIFOs too: each is opened (or not) as a file.
    status = main(["check", "--no-cache", "--jobs", jobs, "--format", "concise", str(root)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    lines = out.splitlines()
    for name, words in bad.items():
        mine = [line for line in lines if line.startswith(str(root / name) + ":")]
        assert len(mine) == 1, (name, lines)
        assert words in mine[0].lower(), mine[0]
    assert any(line.startswith(f"{root / 'finding.py'}:2:") and "MP101" in line for line in lines)
    assert any(line.startswith(f"{root / 'bom.py'}:2:") and "MP101" in line for line in lines)
    reported = {line.split(":", 1)[0] for line in lines if line.startswith(str(root))}
    quiet = {"empty.py", "crlf.py", "tabs.py", "latin1.py", "huge_plain.py", "huge_parsed.py"}
    assert not {str(root / name) for name in quiet} & reported, lines


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, for whom chmod 000 changes nothing: make reading fail instead."""
    (tmp_path / "locked.py").write_text(GOOD)
    (tmp_path / "open.py").write_text(GOOD)
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.py":
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    results = {Path(r.path).name: r for r in lint_files([tmp_path], Settings(), jobs=1)}
    assert results["locked.py"].error is not None
    assert results["locked.py"].error.message == "cannot read: Permission denied"
    assert "MP101" in [d.code for d in results["open.py"].diagnostics]


def test_linted_code_is_never_run(tmp_path: Path) -> None:
    """Neither imported nor executed: its import would write a file, and none appears."""
    marker = tmp_path / "was-run"
    victim = tmp_path / "project" / "victim.py"
    victim.parent.mkdir()
    victim.write_text(
        "import multiprocessing\n"
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "multiprocessing.Process(target=print).start()\n"
    )
    (victim.parent / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (victim.parent / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    for jobs in ("1", "2"):
        completed = subprocess.run(
            [sys.executable, "-m", "mplint", "check", "--no-cache", "-j", jobs, str(victim.parent)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert completed.returncode == 1, completed.stderr
        assert "MP101" in completed.stdout
        assert not marker.exists()
