"""The pipeline: text -> two prefilters (mplint.triggers) -> libcst parse -> facts -> checks
-> noqa -> diagnostics.

Pure: no printing, no imports or execution of the code being linted.
"""

from __future__ import annotations

import codecs
import gc
import io
import os
import re
import stat
import threading
import tokenize
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mplint.config import DEFAULT_EXCLUDE, Settings
from mplint.diagnostic import Diagnostic, FileError, Fix, Severity, TextEdit
from mplint.inputs import refusal, shift_columns, without_form_feeds
from mplint.notebook import NOTEBOOK_SUFFIX, is_notebook_path
from mplint.triggers import mentions_process_api, uses_process_api

if TYPE_CHECKING:
    # Imported where they are used: libcst and the checks cost about 100 ms of start-up,
    # which a run whose files all fail the prefilter never needs.
    from libcst.metadata import CodeRange

    from mplint.checks import Finding
    from mplint.edits import FixPlan
    from mplint.facts import Facts
    from mplint.incremental import IncrementalParser
    from mplint.positions import Placed

MAX_FILE_BYTES = 20_000_000
_TOO_BIG = f"skipped: the file is larger than {MAX_FILE_BYTES} bytes"

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_LEARN_MORE = {
    "en": " See `mplint explain {code}`.",
    "zh-CN": "详见 `mplint explain {code}`。",
}


@dataclass
class LintResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: FileError | None = None
    # Checks that raised: (check name, traceback text). The rest still ran.
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    parsed: bool = False


def might_use_processes(text: str, path: str = "") -> bool:
    """Gate 1 alone: does the text import a process module or call fork()? (The
    parallel runner asks this before sending a file to a worker; see mplint.triggers.)
    A notebook is asked about its code cells; one that does not read is let through, so
    that its error is reported."""
    if is_notebook_path(path):
        from mplint.notebook import NotebookError, parse_notebook

        try:
            return mentions_process_api(parse_notebook(text).source)
        except NotebookError:
            return True
    return mentions_process_api(text)


def decode_source(data: bytes, path: str) -> str | FileError:
    """Bytes to text the way Python would read the file (PEP 263 coding, BOM)."""
    if b"\x00" in data:
        return FileError(path, "cannot lint: the file contains null bytes (is it binary?)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return FileError(path, f"cannot lint: {error.msg}")
    try:
        codecs.lookup(encoding)
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError) as error:
        return FileError(path, f"cannot lint: the file is not valid {encoding} text ({error})")


def lint_source(
    source: str | bytes,
    path: str = "<stdin>",
    settings: Settings | None = None,
    *,
    codes: Iterable[str] | None = None,
    parser: IncrementalParser | None = None,
    notebook: bool | None = None,
) -> LintResult:
    """Lint one file's text. ``codes`` overrides the settings' selection. ``parser``
    (the language server's, one per document) parses again only what an edit touched
    and keeps the positions of the statements it did not. ``notebook``: None decides by
    the path (``.ipynb``: the text is the notebook's JSON, see mplint.notebook); True
    means the text is a notebook's code cells joined into one module."""
    if notebook is None and is_notebook_path(path):
        return _lint_notebook(source, path, settings, codes)
    settings = settings or Settings()
    result = LintResult(path)
    if isinstance(source, bytes):
        decoded = decode_source(source, path)
        if isinstance(decoded, FileError):
            result.error = decoded
            return result
        source = decoded
    if source.startswith("\ufeff"):
        source = source[1:]
    enabled = frozenset(codes) if codes is not None else settings.enabled_for(path)
    if not enabled or not mentions_process_api(source):
        return result
    if "\x00" in source:
        result.error = FileError(path, "cannot lint: the file contains null bytes (is it binary?)")
        return result
    if len(source) > MAX_FILE_BYTES:  # the command line reads no more; an editor's buffer may
        result.error = FileError(path, _TOO_BIG)
        return result
    refused = refusal(source)
    if refused is not None:
        result.error = FileError(path, refused.message, refused.line, refused.column)
        return result
    with _no_cyclic_gc:
        if uses_process_api(source) or not _compiles(source):
            _analyse(source, path, settings, enabled, result, parser, notebook=bool(notebook))
    return result


def _lint_notebook(
    source: str | bytes, path: str, settings: Settings | None, codes: Iterable[str] | None
) -> LintResult:
    """A notebook's code cells linted as one module; positions given in their cells."""
    from mplint.notebook import error_in_cell, place_in_cell, read_notebook

    notebook = read_notebook(source, path)
    if isinstance(notebook, FileError):
        return LintResult(path, error=notebook)
    if not notebook.cells:
        return LintResult(path)
    module = lint_source(notebook.source, path, settings, codes=codes, notebook=True)
    result = LintResult(path, internal_errors=module.internal_errors, parsed=module.parsed)
    if module.error is not None:
        result.error = error_in_cell(notebook, module.error)
    placed = (place_in_cell(notebook, d) for d in module.diagnostics)
    result.diagnostics = [d for d in placed if d is not None]
    return result


def _compiles(source: str) -> bool:
    """Does ``ast`` parse it? A file turned away by gate 2 is still checked for syntax
    errors (at a tenth of libcst's cost), so a broken file that imports a process module
    is reported as before (after the libcst parse, which may know a newer syntax)."""
    return python_syntax_error(source) is None


def python_syntax_error(source: str) -> FileError | None:
    """Python's own message and position for a text that does not compile (libcst's
    tokenizer errors all stand at 1:1, and its parser's a line late), or None."""
    import ast

    try:
        compile(source, "<lint>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        line = error.lineno or 1
        column = max((error.offset or 1) - 1, 0)
        return FileError("", f"cannot lint: syntax error: {error.msg}", line, column)
    except (ValueError, RecursionError, MemoryError):
        return FileError("", "cannot lint: Python's parser gave up on this file")
    return None


class _NoCyclicGC:
    """No cyclic garbage collection while a file is parsed and analysed. libcst makes
    hundreds of thousands of small objects that live until the file is done; every
    collection walks them all again, which doubles the cost of parsing a large file.
    What little cyclic garbage the analysis leaves is collected once collection is back
    on. Counted, so that threads linting at once (the language server) leave it off
    until the last one is done, and put back as it was found."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = True

    def __enter__(self) -> None:
        with self.lock:
            if self.holders == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.holders += 1

    def __exit__(self, *_: object) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0 and self.was_enabled:
                gc.enable()


_no_cyclic_gc = _NoCyclicGC()


def _analyse(
    source: str,
    path: str,
    settings: Settings,
    enabled: frozenset[str],
    result: LintResult,
    parser: IncrementalParser | None,
    *,
    notebook: bool = False,
) -> None:
    import libcst as cst

    from mplint.facts import Facts
    from mplint.parsing import parse_module

    text, shifts = without_form_feeds(source)
    try:
        module = parser.parse(text) if parser is not None else parse_module(text)
    except cst.ParserSyntaxError as error:
        python_error = python_syntax_error(source)
        if python_error is not None:
            result.error = replace(python_error, path=path)
        else:  # valid Python that libcst does not take
            column = error.raw_column + shifts.get(error.raw_line, 0)
            message = f"cannot lint: syntax error: {error.message}"
            result.error = FileError(path, message, error.raw_line, column)
        return
    except (RecursionError, MemoryError, ValueError) as error:
        result.error = FileError(path, f"cannot lint: the parser gave up: {error!r}")
        return
    result.parsed = True
    try:
        facts = Facts(module, settings.start_method)
    except RecursionError:
        result.error = FileError(path, "cannot lint: the file is nested too deeply")
        return
    findings = run_checks(facts, enabled, result)
    if notebook:
        from mplint.checks.notebook import notebook_findings

        findings = notebook_findings(facts, findings, enabled)
    if findings:
        placed = parser.placed if parser is not None else None
        result.diagnostics = to_diagnostics(facts, text, findings, settings, placed)
        if shifts:
            result.diagnostics = shift_columns(result.diagnostics, shifts)
    if parser is not None:
        parser.forget_positions()


def run_checks(facts: Facts, enabled: frozenset[str], result: LintResult) -> list[Finding]:
    from mplint.checks import REGISTRY

    findings: list[Finding] = []
    for registered in REGISTRY:
        if not enabled.intersection(registered.codes):
            continue
        try:
            findings.extend(f for f in registered.run(facts) if f.code in enabled)
        except Exception:  # a broken check must not hide the others' findings
            result.internal_errors.append((registered.run.__name__, traceback.format_exc()))
    return findings


def noqa_codes(line: str) -> frozenset[str] | None:
    """None when the line has no noqa; an empty set for a bare ``# noqa`` (all codes)."""
    if "noqa" not in line.lower():
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(re.split(r"[,\s]+", codes.upper().strip()))


def is_suppressed(code: str, line: str) -> bool:
    codes = noqa_codes(line)
    if codes is None:
        return False
    return not codes or any(code.startswith(c) for c in codes)


def to_diagnostics(
    facts: Facts,
    source: str,
    findings: list[Finding],
    settings: Settings,
    placed_before: Placed | None = None,
) -> list[Diagnostic]:
    """Positions are computed only here, for files that have findings, and only for the
    statements that hold them."""
    from mplint.positions import positions_for, source_lines

    positions = positions_for(
        facts.module, source, [f.node for f in findings], facts.parent, placed_before
    )
    lines = source_lines(source)
    seen: set[tuple[str, int, int]] = set()
    diagnostics = []
    for finding in findings:
        where: CodeRange | None = positions.get(finding.node)
        if where is None:
            continue
        key = (finding.code, where.start.line, where.start.column)
        if key in seen:
            continue
        seen.add(key)
        line_text = lines[where.start.line - 1] if where.start.line <= len(lines) else ""
        if settings.respect_noqa and is_suppressed(finding.code, line_text):
            continue
        render = _fix_renderer(finding.fix, facts, source, lines) if finding.fix else None
        diagnostics.append(make_diagnostic(finding, where, settings, render))
    diagnostics.sort(key=lambda d: d.sort_key)
    return diagnostics


def _fix_renderer(
    plan: FixPlan, facts: Facts, source: str, lines: list[str]
) -> Callable[[], tuple[TextEdit, ...]]:
    """The fix's text edits, placed and rendered only when someone asks for them."""

    def render() -> tuple[TextEdit, ...]:
        from mplint.positions import positions_for

        nodes = [edit.node for edit in plan.edits]
        fix = plan.build(positions_for(facts.module, source, nodes, facts.parent), lines)
        return fix.edits if fix is not None else ()

    return render


def make_diagnostic(
    finding: Finding,
    where: CodeRange,
    settings: Settings,
    render_fix: Callable[[], tuple[TextEdit, ...]] | None,
) -> Diagnostic:
    from mplint.catalog import RULES, doc_url
    from mplint.checks.base import render_message

    rule = RULES[finding.code]
    message = render_message(finding, settings.lang)
    message += _LEARN_MORE.get(settings.lang, _LEARN_MORE["en"]).format(code=finding.code)
    fix = None
    if finding.fix is not None and render_fix is not None:
        fix = Fix(finding.fix.title, finding.fix.applicability, render_fix)
    return Diagnostic(
        code=finding.code,
        name=rule.name,
        message=message,
        line=where.start.line,
        column=where.start.column,
        end_line=where.end.line,
        end_column=where.end.column,
        severity=Severity.WARNING if not rule.default_on else Severity.ERROR,
        url=doc_url(finding.code, settings.lang, settings.docs_url),
        fix=fix,
    )


def read_source(path: Path) -> bytes | FileError:
    """The file's bytes, or why they cannot be had. Only regular files are opened: a FIFO
    or a device named ``*.py`` would block or never end."""
    name = str(path)
    try:
        status = path.stat()
        if stat.S_ISDIR(status.st_mode):
            return _unlistable_directory(path)
        if not stat.S_ISREG(status.st_mode):
            return FileError(name, "cannot read: not a regular file")
        if status.st_size > MAX_FILE_BYTES:
            return FileError(name, _TOO_BIG)
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or error.__class__.__name__
        return FileError(name, f"cannot read: {reason}")


def _unlistable_directory(path: Path) -> FileError:
    """Directories reach read_source only when the walk could not list them."""
    try:
        with os.scandir(path) as entries:
            next(entries, None)
    except OSError as error:
        reason = error.strerror or error.__class__.__name__
        return FileError(str(path), f"cannot read directory: {reason}")
    return FileError(str(path), "cannot read directory: it could not be listed")


def read_and_lint(path: Path, settings: Settings) -> LintResult:
    data = read_source(path)
    if isinstance(data, FileError):
        return LintResult(str(path), error=data)
    return lint_source(data, str(path), settings)


def iter_python_files(paths: Iterable[Path], settings: Settings) -> Iterator[Path]:
    """Files named directly are linted unless ``force_exclude`` is set and ``exclude``
    names them; directories are walked for *.py and *.pyi, skipping virtual environments,
    caches and what ``exclude`` names. Symlink loops are not followed. A directory that
    cannot be listed is yielded itself, so that reading it reports why (read_source)."""
    seen: set[Path] = set()
    for path in paths:
        if _is_directory(path):
            yield from _walk(path, settings, seen)
        elif not (settings.force_exclude and settings.is_excluded(path)):
            yield path


def _is_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def _walk(directory: Path, settings: Settings, seen: set[Path]) -> Iterator[Path]:
    unlistable: list[Path] = []
    walk = os.walk(
        directory,
        followlinks=False,
        onerror=lambda error: unlistable.append(Path(error.filename or directory)),
    )
    for root, dirnames, filenames in walk:
        yield from unlistable
        unlistable.clear()
        root_path = Path(root)
        try:
            real = root_path.resolve()
        except (OSError, RuntimeError):
            continue
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not _skip_directory(root_path / d, settings))
        for filename in sorted(filenames):
            if filename.endswith((".py", ".pyi", NOTEBOOK_SUFFIX)):
                file_path = root_path / filename
                if not settings.is_excluded(file_path):
                    yield file_path
    yield from unlistable


def _skip_directory(path: Path, settings: Settings) -> bool:
    if path.name in DEFAULT_EXCLUDE or path.name.endswith(".egg-info"):
        return True
    try:
        (path / "pyvenv.cfg").stat()
        return True
    except OSError:  # none, or the directory may not be entered: walked, and reported there
        pass
    return settings.is_excluded(path)


def lint_paths(paths: Iterable[Path], settings: Settings) -> Iterator[LintResult]:
    for path in iter_python_files(paths, settings):
        yield read_and_lint(path, settings)
