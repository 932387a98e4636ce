"""Run every broken/fixed example pair and check it does what its example.toml declares.

The runs are slow compared with the rest of the suite (each starts an
interpreter, some wait for a declared hang), so they are all started at once
on a small thread pool when the first test asks (``example_runs``), and each
test waits only for its own run. A run needed by several tests (the fixed
program under its declared start method) is made once.

Fixed programs are models to copy: each also runs clean under every start
method, waits with plain ``join()``, reads no ``exitcode`` after a timed join,
ends its data with a sentinel rather than a timeout, turns no failure into an
empty result, and the opinionated rules have nothing to say about it.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import example_runs
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SIDES = ("broken", "fixed")


def _load_runner() -> ModuleType:
    try:
        from mplint import example_runner
    except ImportError:
        # The package is not importable (yet): load the module from its file.
        path = ROOT / "mplint" / "example_runner.py"
        spec = importlib.util.spec_from_file_location("_mplint_example_runner", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    return example_runner


runner = _load_runner()

EXAMPLE_DIRS = sorted(
    path
    for path in EXAMPLES.iterdir()
    if path.is_dir() and not path.name.startswith((".", "_")) and path.name != "__pycache__"
)
EXAMPLE_CODES = sorted(runner.find_examples(EXAMPLES))


def _declaration(code: str):  # noqa: ANN202 - the runner may be loaded from its file
    return runner.load_declaration(runner.find_examples(EXAMPLES)[code])


def _runs_of(item: pytest.Item) -> list[tuple[example_runs.RunKey, float]]:
    """The runs one selected test of this module needs, with their expected seconds."""
    params = item.callspec.params
    if "code" not in params:
        return []
    declaration = _declaration(params["code"])
    if item.originalname == "test_example_behaves_as_declared":
        side = params["side"]
        path = declaration.broken_path if side == "broken" else declaration.fixed_path
        hangs = side == "broken" and declaration.broken.outcome == "hang"
        cost = declaration.timeout if hangs else 1.0
        return [(example_runs.key(path, declaration.start_method, declaration.timeout), cost)]
    if item.originalname == "test_fixed_program_runs_under_every_start_method":
        key = example_runs.key(declaration.fixed_path, params["method"], declaration.timeout)
        return [(key, 1.0)]
    return []


@pytest.fixture(scope="module", autouse=True)
def _start_all_runs(request: pytest.FixtureRequest) -> None:
    """Start every run the selected tests of this module need, at once."""
    example_runs.prefetch(
        run
        for item in request.session.items
        if item.module is sys.modules[__name__] and hasattr(item, "callspec")
        for run in _runs_of(item)
    )


def _report(code: str, side: str, method: str | None = None):  # noqa: ANN202
    declaration = _declaration(code)
    if side == "broken":
        result = example_runs.run(
            declaration.broken_path, declaration.start_method, declaration.timeout
        )
        return runner.judge_broken(
            declaration.broken, result, declaration.timeout, script=declaration.broken_path
        )
    result = example_runs.run(
        declaration.fixed_path, method or declaration.start_method, declaration.timeout
    )
    return runner.judge_fixed(declaration.fixed, result, declaration.timeout)


def _explain(report, what: str) -> str:  # noqa: ANN001
    return (
        f"{what}: {report.mismatch}\n"
        f"what happened: {report.summary}\n"
        f"--- stdout ---\n{report.result.stdout[-2000:]}\n"
        f"--- stderr ---\n{report.result.stderr[-2000:]}"
    )


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("code", EXAMPLE_CODES)
def test_example_behaves_as_declared(code: str, side: str) -> None:
    report = _report(code, side)
    assert report.matches, _explain(report, f"{code} {side}.py")


@pytest.mark.parametrize("method", runner.START_METHODS)
@pytest.mark.parametrize("code", EXAMPLE_CODES)
def test_fixed_program_runs_under_every_start_method(code: str, method: str) -> None:
    report = _report(code, "fixed", method)
    assert report.matches, _explain(report, f"{code} fixed.py under {method}")


# ------------------------------------------------------------- fixed programs are models


def _calls(tree: ast.AST, method: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
    ]


def _has_timeout(call: ast.Call) -> bool:
    return bool(call.args) or any(keyword.arg == "timeout" for keyword in call.keywords)


def _handler_gives_up_quietly(handler: ast.ExceptHandler) -> bool:
    """``except queue.Empty: break`` or ``x = []``: the end of the data, or an empty
    result, guessed from a timeout. (``continue`` in a loop that checks the worker is
    polling, which is fine.)"""
    caught = ast.unparse(handler.type) if handler.type is not None else ""
    if not caught.endswith("Empty"):
        return False
    for statement in handler.body:
        if isinstance(statement, ast.Break):
            return True
        if isinstance(statement, ast.Assign) and isinstance(
            statement.value, ast.List | ast.Dict | ast.Tuple | ast.Constant
        ):
            return True
    return False


@pytest.mark.parametrize("code", EXAMPLE_CODES)
def test_fixed_program_is_a_model(code: str) -> None:
    path = _declaration(code).fixed_path
    tree = ast.parse(path.read_text(encoding="utf-8"))
    timed_joins = [call for call in _calls(tree, "join") if _has_timeout(call)]
    if timed_joins:
        reads_exitcode = any(
            isinstance(node, ast.Attribute) and node.attr == "exitcode" for node in ast.walk(tree)
        )
        asks_alive = bool(_calls(tree, "is_alive"))
        assert asks_alive or not reads_exitcode, (
            f"{path}: exitcode read after join(timeout) without is_alive(): it may be None"
        )
    quiet = [
        handler.lineno
        for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler) and _handler_gives_up_quietly(handler)
    ]
    assert not quiet, f"{path}: queue.Empty taken as the end of the data on line(s) {quiet}"


def test_opinionated_rules_are_silent_on_the_fixed_programs() -> None:
    """``mplint check --extend-select MP9 examples/*/fixed.py`` finds nothing to say."""
    from mplint.config import Settings
    from mplint.engine import lint_source

    settings = Settings(extend_select=("MP9",))
    found = []
    for code in EXAMPLE_CODES:
        path = _declaration(code).fixed_path
        result = lint_source(path.read_text(encoding="utf-8"), str(path), settings)
        for diagnostic in result.diagnostics:
            found.append(f"{path.parent.name}/fixed.py:{diagnostic.line}: {diagnostic.message}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("code", EXAMPLE_CODES)
def test_every_example_is_described_in_chinese(code: str) -> None:
    declaration = _declaration(code)
    for side in (declaration.broken, declaration.fixed):
        assert side.description_zh, f"{declaration.directory.name}: description-zh is missing"
        assert side.describe("zh-CN") == side.description_zh


def test_examples_exist() -> None:
    assert EXAMPLE_CODES, f"no examples found under {EXAMPLES}"


@pytest.mark.parametrize("example_dir", EXAMPLE_DIRS, ids=lambda path: path.name)
def test_example_directory_is_complete(example_dir: Path) -> None:
    missing = [
        name
        for name in (runner.BROKEN_FILE, runner.FIXED_FILE, runner.DECLARATION_FILE)
        if not (example_dir / name).is_file()
    ]
    assert not missing, f"{example_dir.name} lacks {', '.join(missing)}"
    declaration = runner.load_declaration(example_dir)  # raises on a bad schema
    assert declaration.directory == example_dir
    for program in (declaration.broken_path, declaration.fixed_path):
        docstring = ast.get_docstring(ast.parse(program.read_text(encoding="utf-8")))
        assert docstring, f"{program} needs a one-line docstring saying what it shows"
        assert "\n" not in docstring.strip(), f"{program}: the docstring should be one line"


def test_examples_root_is_found() -> None:
    root = runner.examples_root()
    assert root.is_dir()
    assert runner.find_examples(root)


# ------------------------------------------------------------- the runner itself


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "program.py"
    path.write_text(source, encoding="utf-8")
    return path


SPAWN_CHILD = '''\
"""A child started under the imposed start method reports back."""
import multiprocessing
import sys


def child(queue):
    queue.put((multiprocessing.get_start_method(), __name__, sys.argv[0]))


if __name__ == "__main__":
    queue = multiprocessing.Queue()
    worker = multiprocessing.Process(target=child, args=(queue,))
    worker.start()
    print(queue.get(timeout=10))
    worker.join(timeout=10)
'''


@pytest.mark.parametrize("method", runner.START_METHODS)
def test_run_program_imposes_the_start_method(tmp_path: Path, method: str) -> None:
    path = _write(tmp_path, SPAWN_CHILD)
    result = runner.run_program(path, method, 20)
    assert result.exit_code == 0, result.stderr
    child_module = "__main__" if method == "fork" else "__mp_main__"
    assert f"({method!r}, {child_module!r}, {str(path)!r})" in result.stdout


CHOOSES_ITS_OWN = '''\
"""A program that picks its start method once, as any program may."""
import multiprocessing

if __name__ == "__main__":
    print("before:", multiprocessing.get_start_method(allow_none=True))
    multiprocessing.set_start_method("forkserver")
    print("after:", multiprocessing.get_start_method())
'''


@pytest.mark.parametrize("method", runner.START_METHODS)
def test_the_runner_sets_a_default_not_the_method(tmp_path: Path, method: str) -> None:
    """The runner changes the platform default only: a program's own first
    set_start_method() works (MP102's broken example fails on its second)."""
    result = runner.run_program(_write(tmp_path, CHOOSES_ITS_OWN), method, 20)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["before: None", "after: forkserver"]


HANG_WITH_CHILD = '''\
"""A parent and its child that both sleep for ever."""
import multiprocessing
import os
import time


def sleep_for_ever():
    time.sleep(600)


if __name__ == "__main__":
    worker = multiprocessing.Process(target=sleep_for_ever)
    worker.start()
    print(worker.pid, os.getpid(), flush=True)
    worker.join()
'''


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in {"Z", "X"}
    except FileNotFoundError:
        return True


def test_run_program_kills_the_whole_group_on_timeout(tmp_path: Path) -> None:
    path = _write(tmp_path, HANG_WITH_CHILD)
    result = runner.run_program(path, "spawn", 1.5)
    assert result.hung and result.exit_code is None
    assert 1.5 <= result.seconds < 5
    child_pid, parent_pid = (int(word) for word in result.stdout.split())
    assert _gone(parent_pid) and _gone(child_pid)
    report = runner.judge_broken(runner.BrokenExpectation("hang", "hangs"), result, 1.5)
    assert report.matches and "killed" in report.summary


def test_run_program_keeps_output_buffered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    path = _write(tmp_path, '"""Lost buffer."""\nimport os\nprint("lost")\nos._exit(0)\n')
    result = runner.run_program(path, "spawn", 10)
    assert result.exit_code == 0
    assert "lost" not in result.stdout


def test_judging_an_unexpected_exit(tmp_path: Path) -> None:
    path = _write(tmp_path, '"""Fails."""\nraise SystemExit("no luck")\n')
    result = runner.run_program(path, "spawn", 10)
    fixed = runner.judge_fixed(runner.FixedExpectation("done", "prints done"), result, 10)
    assert not fixed.matches and fixed.mismatch == "exit code 1, not 0"
    assert "no luck" in fixed.summary
    expectation = runner.BrokenExpectation("error", "fails", stderr="no luck")
    assert runner.judge_broken(expectation, result, 10).matches


@pytest.mark.parametrize(
    "toml",
    [
        'start-method = "thread"\ntimeout = 5\n',
        'start-method = "spawn"\ntimeout = 0\n',
        'start-method = "spawn"\ntimeout = 5\n[broken]\noutcome = "error"\ndescription = "x"\n'
        '[fixed]\nstdout = "y"\ndescription = "z"\n',
        'start-method = "spawn"\ntimeout = 5\n[broken]\noutcome = "hang"\ndescription = "x"\n'
        '[fixed]\nstdout = "y"\ndescription = "z"\nextra = 1\n',
        'start-method = "spawn"\ntimeout = 5\n[broken]\noutcome = "hang"\nline = 3\n'
        'description = "x"\n[fixed]\nstdout = "y"\ndescription = "z"\n',
    ],
    ids=["bad-method", "bad-timeout", "error-without-stderr", "unknown-key", "line-of-a-hang"],
)
def test_bad_declarations_are_refused(tmp_path: Path, toml: str) -> None:
    example_dir = tmp_path / "MP999-made-up-rule"
    example_dir.mkdir()
    (example_dir / "example.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(runner.DeclarationError):
        runner.load_declaration(example_dir)


def test_lost_output_and_the_error_line_are_judged(tmp_path: Path) -> None:
    path = _write(tmp_path, '"""Fails on line 3."""\nprint("kept")\nraise ValueError("late")\n')
    result = runner.run_program(path, "spawn", 10)
    lost = runner.BrokenExpectation("output", "x", stdout="kept", stdout_missing="kept")
    assert (
        runner.judge_broken(lost, result, 10).mismatch == "declared lost text 'kept' is in stdout"
    )
    right = runner.BrokenExpectation("error", "x", stderr="ValueError: late", line=3)
    assert runner.judge_broken(right, result, 10, script=path).matches
    wrong = runner.BrokenExpectation("error", "x", stderr="ValueError: late", line=2)
    report = runner.judge_broken(wrong, result, 10, script=path)
    assert report.mismatch == (
        "declared the error at line 2 of program.py, the traceback names line 3"
    )


def test_mp205_without_daemon_the_exit_waits_for_the_records(tmp_path: Path) -> None:
    """MP205's broken program loses the records because the child is a daemon, not
    because the parent reads too early: without daemon=True all of them are saved."""
    declaration = _declaration("MP205")
    source = declaration.broken_path.read_text(encoding="utf-8")
    assert ", daemon=True" in source
    plain = _write(tmp_path, source.replace(", daemon=True", ""))
    result = runner.run_program(plain, declaration.start_method, declaration.timeout)
    assert result.exit_code == 0, result.stderr
    assert "main flow done" in result.stdout
    assert declaration.broken.stdout_missing in result.stdout
