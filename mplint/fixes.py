"""Applying autofixes: to text, then linting it again, and writing files back.

What a check plans (``FixPlan``, ``Replace``, ``InsertLineBefore``) is ``mplint.edits``;
its text edits are computed from positions only when a diagnostic is built, so a
file with no findings never pays for them. ``apply_fixes`` is the one place that
turns diagnostics' fixes into new source text, for the command line and the
language server alike: whole fixes that do not touch each other are applied
bottom-up, the result is linted again, and so on until nothing changes. A result
that does not parse is never returned.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import tempfile
import tokenize
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mplint.config import Settings
from mplint.diagnostic import Diagnostic, Fix, TextEdit, applies
from mplint.engine import LintResult, lint_source
from mplint.interrupts import deferred

MAX_ROUNDS = 5
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# -- applying fixes to text --------------------------------------------------------------


def newline_of(source: str) -> str:
    """The file's newline: that of its first line break (``\\n`` when it has none)."""
    match = _LINE_BREAK.search(source)
    return match.group() if match else "\n"


def parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


class _Offsets:
    """(1-based line, 0-based code-point column) to an index into the text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def __call__(self, line: int, column: int) -> int:
        if line < 1:
            return 0
        if line > len(self.starts):
            return len(self.text)
        return min(self.starts[line - 1] + column, len(self.text))


Span = tuple[int, int, str]


def _spans(fix: Fix, offsets: _Offsets, newline: str) -> list[Span]:
    spans = []
    for edit in fix.edits:
        start = offsets(edit.start_line, edit.start_column)
        end = offsets(edit.end_line, edit.end_column)
        text = edit.new_text.replace("\r\n", "\n").replace("\n", newline)
        spans.append((start, max(start, end), text))
    return spans


def _touches(span: Span, other: Span) -> bool:
    start, end, _ = span
    other_start, other_end, _ = other
    return (start < other_end and other_start < end) or start == other_start


def _splice(text: str, spans: Iterable[Span]) -> str:
    for start, end, new_text in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + new_text + text[end:]
    return text


def _one_round(source: str, fixable: Sequence[Diagnostic]) -> tuple[str, list[Diagnostic]]:
    """Apply every fix that touches no fix taken before it; drop any that stops the text
    parsing. An edit identical to one already taken (two findings adding the same import)
    is shared, not a conflict."""
    offsets = _Offsets(source)
    newline = newline_of(source)
    taken: list[Span] = []
    chosen: list[tuple[Diagnostic, list[Span]]] = []
    for diagnostic in fixable:
        assert diagnostic.fix is not None
        spans = [s for s in _spans(diagnostic.fix, offsets, newline) if s not in taken]
        if not spans or any(_touches(s, t) for s in spans for t in taken):
            continue
        if any(_touches(a, b) for i, a in enumerate(spans) for b in spans[i + 1 :]):
            continue
        taken.extend(spans)
        chosen.append((diagnostic, spans))
    result = _splice(source, taken)
    if parses(result):
        return result, [d for d, _ in chosen]
    # Something broke the syntax: keep fixes one at a time while the text still parses.
    kept: list[Span] = []
    applied: list[Diagnostic] = []
    for diagnostic, spans in chosen:
        attempt = _splice(source, kept + spans)
        if parses(attempt):
            kept.extend(spans)
            applied.append(diagnostic)
    return _splice(source, kept), applied


@dataclass
class FixOutcome:
    """The text after fixing, the findings whose fixes were applied (over all rounds),
    and the lint result of the final text (None when nothing was applied)."""

    source: str
    applied: list[Diagnostic] = field(default_factory=list)
    result: LintResult | None = None


def fix_source(
    source: str,
    diagnostics: Sequence[Diagnostic],
    unsafe: bool = False,
    *,
    settings: Settings | None = None,
    path: str = "<stdin>",
    notebook: bool = False,
) -> FixOutcome:
    """Apply fixes, lint again and repeat (at most MAX_ROUNDS times) until no fix applies.
    ``notebook``: the source is a notebook's cells as one module (mplint.notebook_fixes)."""
    bom = "\ufeff" if source.startswith("\ufeff") else ""
    current = source[len(bom) :]
    outcome = FixOutcome(source)
    if not parses(current):
        return outcome
    pending = list(diagnostics)
    for _ in range(MAX_ROUNDS):
        fixable = [d for d in pending if applies(d.fix, unsafe)]
        if not fixable:
            break
        changed, applied = _one_round(current, fixable)
        if not applied or changed == current:
            break
        current = changed
        outcome.applied.extend(applied)
        outcome.result = lint_source(current, path, settings, notebook=notebook or None)
        if outcome.result.error is not None:
            break
        pending = outcome.result.diagnostics
    outcome.source = bom + current
    return outcome


def apply_fixes(
    source: str,
    diagnostics: Sequence[Diagnostic],
    unsafe: bool = False,
    *,
    settings: Settings | None = None,
    path: str = "<stdin>",
) -> tuple[str, list[Diagnostic]]:
    """The fixed text and the findings whose fixes were applied. Safe fixes only unless
    ``unsafe``; the text is linted again after each round with ``settings``."""
    outcome = fix_source(source, diagnostics, unsafe, settings=settings, path=path)
    return outcome.source, outcome.applied


# -- files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A file's text as Python reads it, how to write it back the same way, and the bytes
    it was read from (a fix is written only over these same bytes)."""

    text: str
    encoding: str
    data: bytes


class NotWritten(Exception):
    """The file was left as it is; the message says why."""


def decode_source_file(data: bytes) -> SourceFile:
    """Decode with the PEP 263 coding (or BOM); newlines are kept as they are."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return SourceFile(data.decode(encoding), encoding, data)


def read_source_file(path: Path) -> SourceFile:
    """The file to fix, decoded (``engine.read_source`` gives the bytes to lint, or why
    they cannot be had)."""
    return decode_source_file(path.read_bytes())


_CHANGED = "it changed while it was being fixed (run mplint again)"


def write_source(path: Path, text: str, encoding: str, *, expected: bytes | None = None) -> None:
    """Write the fixed text over the file, which must still hold ``expected`` (the bytes
    the fix was made from) when that is given; else ``NotWritten``, as for a read-only file.

    The file keeps its mode and owner. As a rule it is replaced atomically: a temporary
    file is written beside it, then renamed over it. It is written in place instead when
    a new file could not have the same owner, when the folder is not writable, or when it
    has more than one hard link (so that every name sees the fix); a kill during such a
    write can leave it half written. Symlinks are written through."""
    target = path.resolve()
    status = target.stat()
    if status.st_mode & 0o222 == 0 or not os.access(target, os.W_OK):
        raise NotWritten("the file is read-only")
    data = text.encode(encoding)
    if status.st_nlink > 1 or not _replace(target, data, status, expected):
        _write_in_place(target, data, expected)


def _replace(target: Path, data: bytes, status: os.stat_result, expected: bytes | None) -> bool:
    """Write a temporary file with the original's mode and owner and rename it over the
    target. False, with nothing changed, when the folder or the owner does not allow it."""
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".mplint-fix", dir=target.parent
        )
    except PermissionError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(temporary, status.st_mode & 0o7777)
        written = os.stat(temporary)
        if (written.st_uid, written.st_gid) != (status.st_uid, status.st_gid):
            try:
                os.chown(temporary, status.st_uid, status.st_gid)
            except OSError:
                os.unlink(temporary)  # only root may give a file away: write in place
                return False
            # chown() clears the set-user-ID and set-group-ID bits.
            with contextlib.suppress(OSError):
                os.chmod(temporary, status.st_mode & 0o7777)
        if expected is not None and target.read_bytes() != expected:
            raise NotWritten(_CHANGED)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def _write_in_place(target: Path, data: bytes, expected: bytes | None) -> None:
    with open(target, "r+b") as handle, deferred():
        if expected is not None and handle.read() != expected:
            raise NotWritten(_CHANGED)
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        _lines_with_ends(before),
        _lines_with_ends(after),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    out = []
    for line in lines:
        out.append(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        )
    return "".join(out)


def _lines_with_ends(text: str) -> list[str]:
    """Lines split as Python splits them (``\n``, ``\r\n``, ``\r``), ends kept."""
    parts = _LINE_BREAK.split(text)
    ends = _LINE_BREAK.findall(text)
    lines = [part + end for part, end in zip(parts, ends, strict=False)]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def text_edit_between(before: str, after: str) -> TextEdit | None:
    """One edit that turns ``before`` into ``after``: the changed whole lines, or None when
    they are equal. For editors that take a fix-all as a workspace edit."""
    if before == after:
        return None
    limit = min(len(before), len(after))
    prefix = 0
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    offsets = _Offsets(before)
    start_line = max(i for i, s in enumerate(offsets.starts) if s <= prefix)
    start = offsets.starts[start_line]
    end = len(before) - suffix
    later = [s for s in offsets.starts if s >= end and s > start]
    if later and len(before) - later[0] <= suffix:
        end = later[0]
    end_line = max(i for i, s in enumerate(offsets.starts) if s <= end)
    new_text = after[start : len(after) - (len(before) - end)]
    return TextEdit(start_line + 1, 0, end_line + 1, end - offsets.starts[end_line], new_text)
