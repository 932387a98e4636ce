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
from mplint.interrupts import process_group

__all__ = [
    "BROKEN_OUTCOMES",
    "START_METHODS",
    "BrokenExpectation",
    "DeclarationError",
    "ExampleDeclaration",
    "ExampleReport",
    "FixedExpectation",
    "Frame",
    "RunResult",
    "SideReport",
    "Traceback",
    "check_broken",
    "check_example",
    "check_fixed",
    "describe_run",
    "examples_root",
    "find_examples",
    "judge_broken",
    "judge_fixed",
    "load_declaration",
    "parse_tracebacks",
    "run_program",
    "traceback_excerpt",
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

# The program is run as ``python script.py``, exactly as a student runs it,
# with one difference: a ``sitecustomize`` module put on ``PYTHONPATH`` changes
# the *platform default* start method to the one the example declares. It does
# not call ``set_start_method()``: the program can still call it once itself
# (and an example about calling it twice fails on its own second call), just
# as it would on a platform whose default is that method. Spawned children
# inherit the environment and receive the method from their parent anyway.
START_METHOD_VARIABLE = "MPLINT_EXAMPLE_START_METHOD"
_SITECUSTOMIZE = f"""\
import os

_method = os.environ.get({START_METHOD_VARIABLE!r})
if _method:
    import multiprocessing.context as _context

    _default = _context._default_context
    _default._default_context = _default.get_context(_method)
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
    description_zh: str | None = None
    line: int | None = None
    """For an error: the line of broken.py that the traceback's last frame in it names."""
    stdout_missing: str | None = None
    """A text that must not appear in stdout (output that is lost)."""

    def describe(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh-CN" and self.description_zh else self.description


@dataclass(frozen=True)
class FixedExpectation:
    """What the fixed program is declared to print (it must also exit 0 in time)."""

    stdout: str
    description: str
    description_zh: str | None = None

    def describe(self, lang: str = "en") -> str:
        return self.description_zh if lang == "zh-CN" and self.description_zh else self.description


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
    _reject_unknown(
        broken_table,
        {"outcome", "stderr", "stdout", "description", "description-zh", "line", "stdout-missing"},
        where,
    )
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
    line = broken_table.get("line")
    if line is not None and (
        outcome != "error" or isinstance(line, bool) or not isinstance(line, int) or line < 1
    ):
        raise DeclarationError(f"{where}: 'line' is a line number of broken.py, for an error")
    stdout_missing = _text(broken_table, "stdout-missing", where, required=False)
    if stdout_missing is not None and outcome == "hang":
        raise DeclarationError(f"{where}: a 'hang' outcome takes no stdout-missing")
    broken = BrokenExpectation(
        outcome=outcome,
        description=cast(str, _text(broken_table, "description", where, required=True)),
        stderr=stderr,
        stdout=stdout,
        description_zh=_text(broken_table, "description-zh", where, required=False),
        line=line,
        stdout_missing=stdout_missing,
    )

    fixed_table = _table(data, "fixed", path)
    where = f"{path} [fixed]"
    _reject_unknown(fixed_table, {"stdout", "description", "description-zh"}, where)
    fixed = FixedExpectation(
        stdout=cast(str, _text(fixed_table, "stdout", where, required=True)),
        description=cast(str, _text(fixed_table, "description", where, required=True)),
        description_zh=_text(fixed_table, "description-zh", where, required=False),
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


def _child_environment(launch_dir: str, start_method: str) -> dict[str, str]:
    environment = dict(os.environ)
    # Some examples show output lost in a buffer: never run them unbuffered.
    environment.pop("PYTHONUNBUFFERED", None)
    # Keep the programs' own files out of the example directories.
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    environment[START_METHOD_VARIABLE] = start_method
    inherited = environment.get("PYTHONPATH")
    environment["PYTHONPATH"] = (
        launch_dir if not inherited else os.pathsep.join((launch_dir, inherited))
    )
    return environment


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_program(
    path: Path, start_method: str, timeout: float, *, python: str | None = None
) -> RunResult:
    """Run ``python path`` with ``start_method`` as the default, killing it after ``timeout`` s.

    ``python`` is the interpreter (default: the running one). The program runs
    in a fresh temporary directory, in a session of its own; whatever is left
    of its process group when it ends or times out is killed.
    """
    if start_method not in START_METHODS:
        raise ValueError(f"unknown start method {start_method!r}")
    script = str(Path(path).resolve())
    with tempfile.TemporaryDirectory(prefix="mplint-example-") as workdir:
        launch_dir = os.path.join(workdir, ".mplint-launch")
        os.mkdir(launch_dir)
        with open(os.path.join(launch_dir, "sitecustomize.py"), "w", encoding="utf-8") as module:
            module.write(_SITECUSTOMIZE)
        began = time.monotonic()
        process = subprocess.Popen(
            [python or sys.executable, script],
            cwd=workdir,
            env=_child_environment(launch_dir, start_method),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        # Ctrl-C or SIGTERM to mplint kills the group too (``mplint.interrupts``).
        with process_group(process.pid):
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


# ---------------------------------------------------------------- tracebacks


@dataclass(frozen=True)
class Frame:
    """One ``File "...", line N, in name`` entry of a traceback, with its source lines."""

    path: str
    line: int
    function: str
    text: tuple[str, ...]


@dataclass(frozen=True)
class Traceback:
    """One traceback printed in a stream: its frames and the exception lines after them."""

    frames: tuple[Frame, ...]
    exception: tuple[str, ...]

    def last_frame_in(self, script: Path | str) -> Frame | None:
        name = str(script)
        found = [frame for frame in self.frames if frame.path == name]
        return found[-1] if found else None


_FRAME = re.compile(r'^  File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')


def parse_tracebacks(text: str) -> list[Traceback]:
    """The tracebacks in ``text`` (stderr), in order. Chained ones count separately."""
    found: list[Traceback] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "Traceback (most recent call last):":
            index += 1
            continue
        index += 1
        frames: list[Frame] = []
        while index < len(lines):
            match = _FRAME.match(lines[index])
            if match is not None:
                index += 1
                code: list[str] = []
                while (
                    index < len(lines)
                    and lines[index].startswith("    ")
                    and not _FRAME.match(lines[index])
                ):
                    code.append(lines[index].strip())
                    index += 1
                frames.append(
                    Frame(match["path"], int(match["line"]), match["function"] or "", tuple(code))
                )
            elif lines[index].startswith("  ") and frames:
                index += 1  # "[Previous line repeated N more times]" and the like
            else:
                break
        exception: list[str] = []
        while index < len(lines) and lines[index].strip():
            if lines[index].strip() == "Traceback (most recent call last):":
                break
            exception.append(lines[index].rstrip())
            index += 1
        found.append(Traceback(tuple(frames), tuple(exception)))
    return found


def traceback_excerpt(stderr: str, script: Path | str, wanted: str | None = None) -> list[str]:
    """The telling end of stderr: the traceback's frame in ``script`` and its exception lines.

    The traceback shown is the first whose exception holds ``wanted``, else the
    last one. Without any traceback, the last lines of stderr are shown.
    """
    tracebacks = parse_tracebacks(stderr)
    if not tracebacks:
        return [line.rstrip() for line in stderr.splitlines() if line.strip()][-6:]
    chosen = tracebacks[-1]
    if wanted:
        first = wanted.strip().splitlines()[0]
        chosen = next((t for t in tracebacks if first in "\n".join(t.exception)), chosen)
    frame = chosen.last_frame_in(script) or (chosen.frames[-1] if chosen.frames else None)
    out = ["Traceback (most recent call last):"]
    if frame is not None:
        position = chosen.frames.index(frame)
        if position > 0:
            out.append("  ...")
        out.append(f'  File "{frame.path}", line {frame.line}, in {frame.function}')
        out.extend(f"    {code}" for code in frame.text[:1])
        if position < len(chosen.frames) - 1:
            last = chosen.frames[-1]
            out.append("  ...")
            out.append(f'  File "{last.path}", line {last.line}, in {last.function}')
            out.extend(f"    {code}" for code in last.text[:1])
    out.extend(chosen.exception[:6])
    return out


# ---------------------------------------------------------------- judging


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _line_with(text: str, wanted: str) -> str | None:
    first = wanted.strip().splitlines()[0] if wanted.strip() else wanted
    for line in text.splitlines():
        if first in line:
            return line.strip()
    return None


_WORDS = {
    "en": {
        "hung": "still running after {timeout:g} s, killed",
        "signal": "killed by signal {signal} after {seconds:.1f} s",
        "exit": "exited with code {code} after {seconds:.1f} s",
        "stream": "{head}; {stream}: {line}",
        "stderr ends": "{head}; stderr ends: {line}",
        "stdout ends": "{head}; stdout ends: {line}",
        "no output": "{head}; no output",
    },
    "zh-CN": {
        "hung": "运行 {timeout:g} 秒后仍未结束，已被终止",
        "signal": "运行 {seconds:.1f} 秒后被信号 {signal} 终止",
        "exit": "运行 {seconds:.1f} 秒后退出，退出码 {code}",
        "stream": "{head}；{stream}：{line}",
        "stderr ends": "{head}；标准错误的最后一行：{line}",
        "stdout ends": "{head}；标准输出的最后一行：{line}",
        "stdout": "标准输出",
        "stderr": "标准错误",
        "no output": "{head}；没有输出",
    },
}


def describe_run(
    result: RunResult,
    timeout: float,
    *,
    stream: Literal["stdout", "stderr"] | None = None,
    wanted: str | None = None,
    lang: str = "en",
) -> str:
    """One line saying what happened: hang or exit code, and the telling line of output.

    With ``stream`` and ``wanted``, the line of that stream holding the wanted
    text is shown when there is one; otherwise the last line of stderr (after
    a failure) or of stdout. ``lang`` is ``en`` or ``zh-CN``.
    """
    words = _WORDS.get(lang, _WORDS["en"])
    if result.hung:
        head = words["hung"].format(timeout=timeout)
    elif result.exit_code is not None and result.exit_code < 0:
        head = words["signal"].format(signal=-result.exit_code, seconds=result.seconds)
    else:
        head = words["exit"].format(code=result.exit_code, seconds=result.seconds)
    if stream is not None and wanted is not None:
        found = _line_with(getattr(result, stream), wanted)
        if found is not None:
            name = words.get(stream, stream)
            return words["stream"].format(head=head, stream=name, line=found)
    error_line = _last_line(result.stderr)
    output_line = _last_line(result.stdout)
    if error_line and (result.exit_code != 0 or not output_line):
        return words["stderr ends"].format(head=head, line=error_line)
    if output_line:
        return words["stdout ends"].format(head=head, line=output_line)
    return words["no output"].format(head=head)


def _error_line_mismatch(
    expected: BrokenExpectation, result: RunResult, script: Path
) -> str | None:
    """With a declared line: some traceback ending in the declared error names that line."""
    if expected.line is None or expected.stderr is None:
        return None
    first = expected.stderr.strip().splitlines()[0]
    seen: list[int] = []
    for traceback in parse_tracebacks(result.stderr):
        if first not in "\n".join(traceback.exception):
            continue
        frame = traceback.last_frame_in(script)
        if frame is not None:
            if frame.line == expected.line:
                return None
            seen.append(frame.line)
    where = f"line {', '.join(map(str, seen))}" if seen else "no line of it"
    return (
        f"declared the error at line {expected.line} of {script.name}, the traceback names {where}"
    )


def judge_broken(
    expected: BrokenExpectation,
    result: RunResult,
    timeout: float,
    *,
    script: Path | None = None,
    lang: str = "en",
) -> SideReport:
    """Does the broken program's run show what its declaration says?

    ``script`` is the program's path, needed to check a declared error line.
    """
    mismatch: str | None = None
    if expected.outcome == "hang":
        if not result.hung:
            mismatch = f"declared to hang, but it ended within {timeout:g} s"
    elif expected.outcome == "error":
        # The exit code may be anything, even a hang after the error.
        if expected.stderr is not None and expected.stderr not in result.stderr:
            mismatch = f"declared stderr text {expected.stderr!r} not in stderr"
        elif script is not None:
            mismatch = _error_line_mismatch(expected, result, Path(script).resolve())
    else:
        if result.hung:
            mismatch = f"declared to end with output, but it hung for {timeout:g} s"
        elif expected.stdout is not None and expected.stdout not in result.stdout:
            mismatch = f"declared stdout text {expected.stdout!r} not in stdout"
    if mismatch is None and expected.stdout_missing and expected.stdout_missing in result.stdout:
        mismatch = f"declared lost text {expected.stdout_missing!r} is in stdout"
    return SideReport(
        side="broken",
        matches=mismatch is None,
        summary=describe_run(
            result,
            timeout,
            stream="stderr" if expected.outcome == "error" else "stdout",
            wanted=expected.stderr if expected.outcome == "error" else expected.stdout,
            lang=lang,
        ),
        mismatch=mismatch,
        result=result,
    )


def judge_fixed(
    expected: FixedExpectation, result: RunResult, timeout: float, *, lang: str = "en"
) -> SideReport:
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
        summary=describe_run(result, timeout, stream="stdout", wanted=expected.stdout, lang=lang),
        mismatch=mismatch,
        result=result,
    )


def check_broken(
    declaration: ExampleDeclaration, *, python: str | None = None, lang: str = "en"
) -> SideReport:
    """Run the broken program of an example and judge it."""
    result = run_program(
        declaration.broken_path, declaration.start_method, declaration.timeout, python=python
    )
    return judge_broken(
        declaration.broken,
        result,
        declaration.timeout,
        script=declaration.broken_path,
        lang=lang,
    )


def check_fixed(
    declaration: ExampleDeclaration,
    *,
    python: str | None = None,
    start_method: str | None = None,
    lang: str = "en",
) -> SideReport:
    """Run the fixed program of an example (under its own or another start method), judge it."""
    result = run_program(
        declaration.fixed_path,
        start_method or declaration.start_method,
        declaration.timeout,
        python=python,
    )
    return judge_fixed(declaration.fixed, result, declaration.timeout, lang=lang)


def check_example(example_dir: Path, *, lang: str = "en") -> ExampleReport:
    """Run both programs of an example (side by side) and judge each against its declaration."""
    declaration = load_declaration(example_dir)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="mplint-example") as pool:
        broken = pool.submit(check_broken, declaration, lang=lang)
        fixed = pool.submit(check_fixed, declaration, lang=lang)
        return ExampleReport(declaration=declaration, broken=broken.result(), fixed=fixed.result())
