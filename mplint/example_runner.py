"""Run the broken/fixed example pairs and compare what happens with their declaration.

Each example lives in ``examples/MPxxx-<rule-name>/`` and holds ``broken.py``,
``fixed.py`` and ``example.toml``. The declaration says which start method the
programs run under, how long each run may take, what the broken program shows
(an error text in stderr, a hang, or a text in stdout) and what the fixed one
prints. This module only runs and judges; it never prints.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from mplint.catalog import examples_dir

__all__ = [
    "BROKEN_OUTCOMES",
    "START_METHODS",
    "BrokenExpectation",
    "DeclarationError",
    "ExampleDeclaration",
    "ExampleReport",
    "FixedExpectation",
    "RunResult",
    "SideReport",
    "check_broken",
    "check_example",
    "check_fixed",
    "describe_run",
    "examples_root",
    "find_examples",
    "judge_broken",
    "judge_fixed",
    "load_declaration",
    "run_program",
]

StartMethod = Literal["fork", "spawn", "forkserver"]
BrokenOutcome = Literal["error", "hang", "output"]

START_METHODS: tuple[StartMethod, ...] = ("fork", "spawn", "forkserver")
BROKEN_OUTCOMES: tuple[BrokenOutcome, ...] = ("error", "hang", "output")
DECLARATION_FILE = "example.toml"
BROKEN_FILE = "broken.py"
FIXED_FILE = "fixed.py"

_DIRECTORY_NAME = re.compile(r"^(MP\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)$")

# How long to wait for the pipes to close once the process group is killed.
_DRAIN_SECONDS = 5.0

# The program is started as ``python -c _LAUNCHER <method> <script>``. The
# launcher pins the start method, makes the interpreter look as if the script
# had been run directly (argv, sys.path[0]) and runs it as ``__main__``.
# runpy puts a module with ``__file__`` set to the script in
# ``sys.modules["__main__"]`` while it runs, so spawn and forkserver children
# re-import the script from its path, exactly as for ``python script.py``.
_LAUNCHER = """\
import multiprocessing, os, runpy, sys
method, script = sys.argv[1], sys.argv[2]
multiprocessing.set_start_method(method)
sys.argv = [script]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
"""


class DeclarationError(ValueError):
    """An ``example.toml`` that does not follow the schema."""


@dataclass(frozen=True)
class BrokenExpectation:
    """What the broken program is declared to show."""

    outcome: BrokenOutcome
    description: str
    stderr: str | None = None
    stdout: str | None = None


@dataclass(frozen=True)
class FixedExpectation:
    """What the fixed program is declared to print (it must also exit 0 in time)."""

    stdout: str
    description: str


@dataclass(frozen=True)
class ExampleDeclaration:
    """The contents of one ``example.toml``, with the example's identity."""

    code: str
    name: str
    directory: Path
    start_method: StartMethod
    timeout: float
    broken: BrokenExpectation
    fixed: FixedExpectation

    @property
    def broken_path(self) -> Path:
        return self.directory / BROKEN_FILE

    @property
    def fixed_path(self) -> Path:
        return self.directory / FIXED_FILE


@dataclass(frozen=True)
class RunResult:
    """What happened when one program ran.

    ``exit_code`` is ``None`` when the program was still running at the
    timeout and was killed (with its whole process group); a negative value
    means it died of that signal.
    """

    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float

    @property
    def hung(self) -> bool:
        return self.exit_code is None


@dataclass(frozen=True)
class SideReport:
    """The verdict on one program of a pair."""

    side: Literal["broken", "fixed"]
    matches: bool
    summary: str
    """One line: what happened when the program ran."""
    mismatch: str | None
    """Why it does not match the declaration, or ``None`` when it does."""
    result: RunResult


@dataclass(frozen=True)
class ExampleReport:
    """The verdict on a broken/fixed pair."""

    declaration: ExampleDeclaration
    broken: SideReport
    fixed: SideReport

    @property
    def matches(self) -> bool:
        return self.broken.matches and self.fixed.matches


# ---------------------------------------------------------------- declarations


def _table(data: dict[str, object], key: str, where: Path) -> dict[str, object]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise DeclarationError(f"{where}: missing table [{key}]")
    return cast(dict[str, object], value)


def _text(table: dict[str, object], key: str, where: str, *, required: bool) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise DeclarationError(f"{where}: missing key {key!r}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise DeclarationError(f"{where}: {key!r} must be a non-empty string")
    return value


def _reject_unknown(table: dict[str, object], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise DeclarationError(f"{where}: unknown key(s) {', '.join(unknown)}")


def load_declaration(example_dir: Path) -> ExampleDeclaration:
    """Read and validate ``example_dir/example.toml``.

    Raises ``DeclarationError`` when the directory name or the file does not
    follow the schema, and ``FileNotFoundError`` when the file is missing.
    """
    example_dir = Path(example_dir)
    match = _DIRECTORY_NAME.match(example_dir.name)
    if match is None:
        raise DeclarationError(f"{example_dir}: directory name must look like MP101-rule-name")
    path = example_dir / DECLARATION_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DeclarationError(f"{path}: not valid TOML: {error}") from error

    _reject_unknown(data, {"start-method", "timeout", "broken", "fixed"}, str(path))
    start_method = data.get("start-method")
    if start_method not in START_METHODS:
        raise DeclarationError(f"{path}: start-method must be one of {', '.join(START_METHODS)}")
    timeout = data.get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise DeclarationError(f"{path}: timeout must be a positive number of seconds")

    broken_table = _table(data, "broken", path)
    where = f"{path} [broken]"
    _reject_unknown(broken_table, {"outcome", "stderr", "stdout", "description"}, where)
    outcome = broken_table.get("outcome")
    if outcome not in BROKEN_OUTCOMES:
        raise DeclarationError(f"{where}: outcome must be one of {', '.join(BROKEN_OUTCOMES)}")
    stderr = _text(broken_table, "stderr", where, required=outcome == "error")
    stdout = _text(broken_table, "stdout", where, required=outcome == "output")
    if outcome == "error" and stdout is not None:
        raise DeclarationError(f"{where}: an 'error' outcome is checked on stderr only")
    if outcome == "output" and stderr is not None:
        raise DeclarationError(f"{where}: an 'output' outcome is checked on stdout only")
    if outcome == "hang" and (stdout is not None or stderr is not None):
        raise DeclarationError(f"{where}: a 'hang' outcome takes no stdout or stderr")
    broken = BrokenExpectation(
        outcome=cast(BrokenOutcome, outcome),
        description=cast(str, _text(broken_table, "description", where, required=True)),
        stderr=stderr,
        stdout=stdout,
    )

    fixed_table = _table(data, "fixed", path)
    where = f"{path} [fixed]"
    _reject_unknown(fixed_table, {"stdout", "description"}, where)
    fixed = FixedExpectation(
        stdout=cast(str, _text(fixed_table, "stdout", where, required=True)),
        description=cast(str, _text(fixed_table, "description", where, required=True)),
    )
    return ExampleDeclaration(
        code=match.group(1),
        name=match.group(2),
        directory=example_dir,
        start_method=cast(StartMethod, start_method),
        timeout=float(timeout),
        broken=broken,
        fixed=fixed,
    )


# ---------------------------------------------------------------- finding them


def examples_root() -> Path:
    """The examples shipped in the installed package, else the repository's."""
    return examples_dir()


def find_examples(root: Path) -> dict[str, Path]:
    """Map each rule code to its example directory under ``root``, sorted by code."""
    found: dict[str, Path] = {}
    if not root.is_dir():
        return found
    for entry in sorted(root.iterdir()):
        match = _DIRECTORY_NAME.match(entry.name)
        if not entry.is_dir() or match is None:
            continue
        code = match.group(1)
        if code in found:
            raise ValueError(f"two examples for {code}: {found[code]} and {entry}")
        found[code] = entry
    return found


# ---------------------------------------------------------------- running


def _child_environment() -> dict[str, str]:
    environment = dict(os.environ)
    # Some examples show output lost in a buffer: never run them unbuffered.
    environment.pop("PYTHONUNBUFFERED", None)
    # Keep the programs' own files out of the example directories.
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(path: Path, start_method: str, timeout: float) -> RunResult:
    """Run ``path`` as a script under ``start_method``, killing it after ``timeout`` s.

    The program runs in a fresh temporary directory, in a session of its own;
    whatever is left of its process group when it ends or times out is killed.
    """
    if start_method not in START_METHODS:
        raise ValueError(f"unknown start method {start_method!r}")
    script = str(Path(path).resolve())
    command = [sys.executable, "-c", _LAUNCHER, start_method, script]
    with tempfile.TemporaryDirectory(prefix="mplint-example-") as workdir:
        began = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=_child_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=timeout)
            seconds = time.monotonic() - began
            exit_code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            seconds = time.monotonic() - began
            # A process that left an orphan holding the pipes has exited; only
            # a program that is itself still running counts as hung.
            exit_code = process.poll()
            _kill_group(process)
            try:
                out, err = process.communicate(timeout=_DRAIN_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
        finally:
            _kill_group(process)
    return RunResult(
        exit_code=exit_code,
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        seconds=seconds,
    )


# ---------------------------------------------------------------- judging


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _line_with(text: str, wanted: str) -> str | None:
    first = wanted.strip().splitlines()[0] if wanted.strip() else wanted
    for line in text.splitlines():
        if first in line:
            return line.strip()
    return None


def describe_run(
    result: RunResult,
    timeout: float,
    *,
    stream: Literal["stdout", "stderr"] | None = None,
    wanted: str | None = None,
) -> str:
    """One line saying what happened: hang or exit code, and the telling line of output.

    With ``stream`` and ``wanted``, the line of that stream holding the wanted
    text is shown when there is one; otherwise the last line of stderr (after
    a failure) or of stdout.
    """
    if result.hung:
        head = f"still running after {timeout:g} s, killed"
    elif result.exit_code is not None and result.exit_code < 0:
        head = f"killed by signal {-result.exit_code} after {result.seconds:.1f} s"
    else:
        head = f"exited with code {result.exit_code} after {result.seconds:.1f} s"
    if stream is not None and wanted is not None:
        found = _line_with(getattr(result, stream), wanted)
        if found is not None:
            return f"{head}; {stream}: {_shorten(found)}"
    error_line = _last_line(result.stderr)
    output_line = _last_line(result.stdout)
    if error_line and (result.exit_code != 0 or not output_line):
        return f"{head}; stderr ends: {_shorten(error_line)}"
    if output_line:
        return f"{head}; stdout ends: {_shorten(output_line)}"
    return f"{head}; no output"


def judge_broken(expected: BrokenExpectation, result: RunResult, timeout: float) -> SideReport:
    """Does the broken program's run show what its declaration says?"""
    mismatch: str | None = None
    if expected.outcome == "hang":
        if not result.hung:
            mismatch = f"declared to hang, but it ended within {timeout:g} s"
    elif expected.outcome == "error":
        # The exit code may be anything, even a hang after the error.
        if expected.stderr is not None and expected.stderr not in result.stderr:
            mismatch = f"declared stderr text {expected.stderr!r} not in stderr"
    else:
        if result.hung:
            mismatch = f"declared to end with output, but it hung for {timeout:g} s"
        elif expected.stdout is not None and expected.stdout not in result.stdout:
            mismatch = f"declared stdout text {expected.stdout!r} not in stdout"
    return SideReport(
        side="broken",
        matches=mismatch is None,
        summary=describe_run(
            result,
            timeout,
            stream="stderr" if expected.outcome == "error" else "stdout",
            wanted=expected.stderr if expected.outcome == "error" else expected.stdout,
        ),
        mismatch=mismatch,
        result=result,
    )


def judge_fixed(expected: FixedExpectation, result: RunResult, timeout: float) -> SideReport:
    """Does the fixed program exit 0 in time and print its declared text?"""
    mismatch: str | None = None
    if result.hung:
        mismatch = f"did not finish within {timeout:g} s"
    elif result.exit_code != 0:
        mismatch = f"exit code {result.exit_code}, not 0"
    elif expected.stdout not in result.stdout:
        mismatch = f"declared stdout text {expected.stdout!r} not in stdout"
    return SideReport(
        side="fixed",
        matches=mismatch is None,
        summary=describe_run(result, timeout, stream="stdout", wanted=expected.stdout),
        mismatch=mismatch,
        result=result,
    )


def check_broken(declaration: ExampleDeclaration) -> SideReport:
    """Run the broken program of an example and judge it."""
    result = run_program(declaration.broken_path, declaration.start_method, declaration.timeout)
    return judge_broken(declaration.broken, result, declaration.timeout)


def check_fixed(declaration: ExampleDeclaration) -> SideReport:
    """Run the fixed program of an example and judge it."""
    result = run_program(declaration.fixed_path, declaration.start_method, declaration.timeout)
    return judge_fixed(declaration.fixed, result, declaration.timeout)


def check_example(example_dir: Path) -> ExampleReport:
    """Run both programs of an example (side by side) and judge each against its declaration."""
    declaration = load_declaration(example_dir)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mplint-example") as pool:
        broken = pool.submit(check_broken, declaration)
        fixed = pool.submit(check_fixed, declaration)
        return ExampleReport(declaration=declaration, broken=broken.result(), fixed=fixed.result())
