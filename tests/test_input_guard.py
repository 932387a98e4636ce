"""Input libcst cannot survive, and input it misreads, through every front end as users
run it: the ``mplint`` command (serial and ``-j 2``), real flake8, and the language server
over stdio (pytest-lsp). Each runs in its own process: before mplint.inputs, several of
these inputs killed it with SIGSEGV (reliability review D1, D2, D14, D15, D21)."""

from __future__ import annotations

import ast
import os
import resource
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import fixture_files
from lsprotocol import types
from test_lsp import UNGUARDED, codes, diagnostics, open_document, session

from mplint.inputs import MAX_BRACKETS, MAX_DEPTH, refusal

ROOT = Path(__file__).resolve().parent.parent
MPLINT = str(Path(sys.executable).parent / "mplint")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "LC_ALL": "C.UTF-8"}

GOOD = "import multiprocessing as mp\ndef f():\n    pass\np = mp.Process(target=f)\np.start()\n"
HEADER = "import multiprocessing\n"
# Each of these killed mplint with SIGSEGV (libcst's native parser overflows the stack).
CRASHERS = {
    "parens.py": HEADER + "x = " + "(" * 1500 + "1" + ")" * 1500 + "\n",
    "lists.py": HEADER + "x = " + "[" * 1500 + "1" + "]" * 1500 + "\n",
    # Python itself accepts this one (its tree is flat).
    "ands.py": HEADER + "x = a" + " and a" * 10_000 + "\n",
}
# 8 KB that took libcst 1.7 GB: memory grows with the brackets around every token.
MEMORY_BOMB = HEADER + "x = " + "f(" * 150 + "1," * 4000 + "1" + ")" * 150 + "\n"


def run(*args: str, cwd: Path, stack: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit_stack() -> None:
        if stack is not None:
            resource.setrlimit(resource.RLIMIT_STACK, (stack, resource.RLIM_INFINITY))

    return subprocess.run(
        list(args),
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_stack,
    )


def lines_about(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(name + ":")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_nesting_is_refused_and_the_run_goes_on(tmp_path: Path, jobs: str) -> None:
    (tmp_path / "a_good.py").write_text(GOOD)
    for name, text in CRASHERS.items():
        (tmp_path / name).write_text(text)
    done = run(MPLINT, "check", "--no-cache", "-j", jobs, ".", cwd=tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert any("MP101" in line for line in lines_about(done.stdout, "a_good.py"))
    for name in ("parens.py", "lists.py"):
        # Where and how Python itself refuses the file.
        (line,) = lines_about(done.stdout, name)
        assert (
            line
            == f"{name}:2:{4 + MAX_BRACKETS + 1}: cannot lint: syntax error: too many nested parentheses"
        )
    (line,) = lines_about(done.stdout, "ands.py")
    assert line.startswith("ands.py:2:") and "nests or chains expressions too deeply" in line


def test_a_memory_bomb_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bomb.py").write_text(MEMORY_BOMB)
    (tmp_path / "good.py").write_text(GOOD)
    done = run(MPLINT, "check", "--no-cache", "bomb.py", "good.py", cwd=tmp_path)
    assert done.returncode == 1
    (line,) = lines_about(done.stdout, "bomb.py")
    assert "skipped: the file is too large to parse safely" in line
    assert lines_about(done.stdout, "good.py")


def test_a_worker_that_dies_is_that_files_error_and_the_parent_lives(tmp_path: Path) -> None:
    """190 brackets pass the guard, but with a 256 KB stack libcst still overflows it:
    the worker dies. Before, the parent linted the file again itself, and died too."""
    (tmp_path / "a_good.py").write_text(GOOD)
    (tmp_path / "b_deep.py").write_text(HEADER + "x = " + "(" * 190 + "1" + ")" * 190 + "\n")
    (tmp_path / "c_good.py").write_text(GOOD)
    done = run(MPLINT, "check", "--no-cache", "-j", "2", ".", cwd=tmp_path, stack=256 * 1024)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert lines_about(done.stdout, "a_good.py") and lines_about(done.stdout, "c_good.py")
    (line,) = lines_about(done.stdout, "b_deep.py")
    assert "cannot lint: the process linting this file died" in line


def test_flake8_reports_the_files_mplint_refuses(tmp_path: Path) -> None:
    (tmp_path / "ands.py").write_text(CRASHERS["ands.py"])
    (tmp_path / "bomb.py").write_text(MEMORY_BOMB)
    (tmp_path / "good.py").write_text(GOOD)
    done = run(sys.executable, "-m", "flake8", "--select", "MP", ".", cwd=tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    (line,) = lines_about(done.stdout, "./ands.py")
    assert "MP000 mplint skipped: line 2 nests or chains expressions too deeply" in line
    (line,) = lines_about(done.stdout, "./bomb.py")
    assert "MP000 mplint skipped: the file is too large to parse safely" in line
    assert "MP101" in lines_about(done.stdout, "./good.py")[0]


@pytest.mark.asyncio
async def test_the_language_server_outlives_deep_large_and_huge_documents(tmp_path: Path) -> None:
    async with session("visual_studio_code", tmp_path) as client:
        deep = open_document(client, tmp_path / "deep.py", CRASHERS["parens.py"])
        (error,) = await diagnostics(client, deep, 1)
        assert "too many nested parentheses" in error.message
        assert error.range.start == types.Position(line=1, character=4 + MAX_BRACKETS)
        bomb = open_document(client, tmp_path / "bomb.py", MEMORY_BOMB)
        (error,) = await diagnostics(client, bomb, 1)
        assert "too large to parse safely" in error.message
        # 21 MB in one string: light for libcst, but more than `mplint check` would read.
        huge = open_document(client, tmp_path / "huge.py", HEADER + f"s = '{'x' * 21_000_000}'\n")
        (error,) = await diagnostics(client, huge, 1)
        assert "skipped: the file is larger than 20000000 bytes" in error.message
        good = open_document(client, tmp_path / "good.py", UNGUARDED)
        assert codes(await diagnostics(client, good, 1)) == [("MP101", 8)]


def test_cr_only_newlines_are_linted(tmp_path: Path) -> None:
    """The prefilter found the import only on the first line of a \\r-only file."""
    (tmp_path / "cr.py").write_bytes(("# a comment first\n" + GOOD).replace("\n", "\r").encode())
    done = run(MPLINT, "check", "--no-cache", "cr.py", cwd=tmp_path)
    assert done.returncode == 1
    assert lines_about(done.stdout, "cr.py")[0].startswith("cr.py:6:1: MP101")


SYNTAX_ERRORS = {
    "py2.py": "import multiprocessing\nprint 'hello'\nx = 1\n",
    "def.py": "import multiprocessing\nx = 1\n\n\n\ndef f(:\n    pass\n",
    "triple.py": 'import multiprocessing\nx = 1\nx = """abc\n',
    "backslash.py": "import multiprocessing\nx = 1\ny = 2 \\",
    "tabs.py": "import multiprocessing\nif x:\n        a = 1\n\tb = 2\n",
}


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_errors_are_placed_and_told_as_python_does(tmp_path: Path, name: str) -> None:
    text = SYNTAX_ERRORS[name]
    (tmp_path / name).write_text(text)
    with pytest.raises(SyntaxError) as python:
        compile(text, name, "exec", ast.PyCF_ONLY_AST)
    done = run(MPLINT, "check", "--no-cache", name, cwd=tmp_path)
    assert done.returncode == 1
    (line,) = lines_about(done.stdout, name)
    where = f"{name}:{python.value.lineno}:{python.value.offset}: "
    assert line == where + f"cannot lint: syntax error: {python.value.msg}"


def test_a_form_feed_before_an_indented_line(tmp_path: Path) -> None:
    """Valid Python that libcst's tokenizer rejected; and a finding on a line that starts
    with a form feed is placed where it stands."""
    text = (
        "import multiprocessing as mp\n\n"
        "class W(mp.Process):\n"
        "    def __init__(self):\n"
        "\f        self.x = 1\n\n"
        "p = W()\n"
        "\fp.start()\n"
    )
    compile(text, "ff.py", "exec")
    (tmp_path / "ff.py").write_text(text)
    done = run(MPLINT, "check", "--no-cache", "--format", "concise", "ff.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "cannot lint" not in done.stdout
    found = {line.split(" ")[1]: line.split(" ")[0] for line in lines_about(done.stdout, "ff.py")}
    assert found["MP104"] == "ff.py:4:9:"
    assert found["MP101"] == "ff.py:8:2:"  # after the form feed


def test_ordinary_code_is_never_refused() -> None:
    """The project, its fixtures, and the largest files of the standard library."""
    stdlib = sorted(
        Path(sysconfig.get_paths()["stdlib"]).glob("*.py"), key=lambda p: -p.stat().st_size
    )
    files = [*ROOT.glob("mplint/**/*.py"), *fixture_files(), *stdlib[:25]]
    refused = {str(p): r for p in files if (r := refusal(p.read_text(encoding="utf-8")))}
    assert not refused


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("x = " + "-" * (MAX_DEPTH - 10) + "1\n", False),
        ("x = " + "-" * MAX_DEPTH + "1\n", True),
        ("x = " + "(" * MAX_BRACKETS + ")" * MAX_BRACKETS + "\n", False),
        ("x = " + "(" * (MAX_BRACKETS + 1) + ")" * (MAX_BRACKETS + 1) + "\n", True),
        # Commas end a chain; strings do not deepen it; a long table of short items is fine.
        ("x = [" + "-1, " * 5000 + "]\n", False),
        ("x = (" + "'a' " * 3000 + ")\n", False),
        ("s = '" + "-" * 5000 + "'  # " + "+" * 5000 + "\n", False),
        # elif chains nest in libcst.
        ("if a:\n    pass\n" + "elif a:\n    pass\n" * (MAX_DEPTH + 1), True),
        ("if a:\n    pass\n" + "elif a:\n    pass\n" * 1000 + "x = " + "-" * 1500 + "1\n", False),
        ("if a:\n    pass\n" + ("elif " + "-" * 1500 + "a:\n    pass\n") * 600, True),
    ],
)
def test_limits(text: str, refused: bool) -> None:
    assert (refusal(text) is not None) == refused
