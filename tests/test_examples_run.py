"""Run every broken/fixed example pair and check it does what its example.toml declares.

The runs are slow compared with the rest of the suite (each starts an
interpreter, some wait for a declared hang), so outside pytest-xdist they are
all started at once on a small thread pool when the first test asks, and each
test waits only for its own run. Under xdist the workers already run in
parallel, so each test runs its program itself.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SIDES = ("broken", "fixed")
PARALLEL_RUNS = 4


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

SideCheck = Callable[[str, str], object]


def _check_side(code: str, side: str) -> object:
    declaration = runner.load_declaration(runner.find_examples(EXAMPLES)[code])
    if side == "broken":
        return runner.check_broken(declaration)
    return runner.check_fixed(declaration)


def _expected_seconds(code: str, side: str) -> float:
    """Rough cost of a run, to start the slow ones (declared hangs) first."""
    try:
        declaration = runner.load_declaration(runner.find_examples(EXAMPLES)[code])
    except Exception:
        return 0.0
    if side == "broken" and declaration.broken.outcome == "hang":
        return declaration.timeout
    return 1.0


def _selected_runs(session: pytest.Session) -> list[tuple[str, str]]:
    selected = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is None or item.module.__name__ != __name__ or callspec is None:
            continue
        if item.originalname == "test_example_behaves_as_declared":
            selected.append((callspec.params["code"], callspec.params["side"]))
    return selected


@pytest.fixture(scope="module")
def example_run(request: pytest.FixtureRequest) -> Iterator[SideCheck]:
    """Return a function giving the report of one side of one example."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        yield _check_side
        return
    runs = sorted(_selected_runs(request.session), key=lambda run: -_expected_seconds(*run))
    pool = ThreadPoolExecutor(max_workers=PARALLEL_RUNS, thread_name_prefix="example")
    futures: dict[tuple[str, str], Future[object]] = {
        run: pool.submit(_check_side, *run) for run in runs
    }

    def result(code: str, side: str) -> object:
        future = futures.get((code, side))
        if future is None:
            future = futures[code, side] = pool.submit(_check_side, code, side)
        return future.result()

    try:
        yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("code", EXAMPLE_CODES)
def test_example_behaves_as_declared(example_run: SideCheck, code: str, side: str) -> None:
    report = example_run(code, side)
    assert report.matches, (
        f"{code} {side}.py: {report.mismatch}\n"
        f"what happened: {report.summary}\n"
        f"--- stdout ---\n{report.result.stdout[-2000:]}\n"
        f"--- stderr ---\n{report.result.stderr[-2000:]}"
    )


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
    ],
    ids=["bad-method", "bad-timeout", "error-without-stderr", "unknown-key"],
)
def test_bad_declarations_are_refused(tmp_path: Path, toml: str) -> None:
    example_dir = tmp_path / "MP999-made-up-rule"
    example_dir.mkdir()
    (example_dir / "example.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(runner.DeclarationError):
        runner.load_declaration(example_dir)
