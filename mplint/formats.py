"""How findings are printed: one function per ``--format``, plus ``--statistics``.

Every formatter takes the results that have something to show and returns the whole
report as one string. Lines and columns are 1-based in every format; columns count code
points, as libcst does. The JSON and SARIF shapes are documented in the README
("JSON output", "SARIF and GitHub Actions") and are kept stable.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from mplint import __version__
from mplint.catalog import RULES, doc_url, page_summary, page_text, rule_summary
from mplint.diagnostic import Diagnostic, FileError, Fix, Severity, applies
from mplint.engine import LintResult

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FILE_ERROR_NAME = "file-error"


class Formatter(Protocol):
    """Every format takes the same arguments. Only the text formats use ``unsafe_fixes``
    (to mark the fixes ``--fix`` would apply); the others ignore it."""

    def __call__(
        self,
        results: Sequence[LintResult],
        color: bool = False,
        *,
        docs_url: str | None = None,
        lang: str = "en",
        unsafe_fixes: bool = False,
    ) -> str: ...


# -- text that reaches a terminal --------------------------------------------------------

# C0 controls but the tab, DEL, C1 controls, Unicode line breaks, and the lone surrogates
# that stand for the undecodable bytes of a file name (os.fsdecode's surrogateescape).
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def printable(text: str, *, line_breaks: bool = False) -> str:
    """``text`` made safe to print as part of one line: control characters and line
    breaks from file names and quoted source (an ESC sequence could clear the screen or
    fake output; a line break splits a finding in two) and undecodable file-name bytes
    become backslash escapes, as Python writes them. ``line_breaks`` keeps CR and LF, for
    a format that encodes them itself."""
    if line_breaks:
        return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in "\r\n" else _escape(m), text)
    return _UNPRINTABLE.sub(_escape, text)


def encodable(text: str) -> str:
    """``text`` with only the undecodable file-name bytes escaped, so it can be written
    as UTF-8 (JSON keeps other control characters, escaped in its own way)."""
    return _SURROGATE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


# -- text and concise ------------------------------------------------------------------


def format_text(
    results: Sequence[LintResult],
    color: bool = False,
    *,
    docs_url: str | None = None,
    lang: str = "en",
    unsafe_fixes: bool = False,
) -> str:
    """``path:line:col: CODE message`` as flake8 and ruff print it; ``[*]`` marks a fix."""
    return _one_line_each(results, color, unsafe_fixes, lambda d: d.message)


def format_concise(
    results: Sequence[LintResult],
    color: bool = False,
    *,
    docs_url: str | None = None,
    lang: str = "en",
    unsafe_fixes: bool = False,
) -> str:
    """``path:line:col: CODE name``: one short line per finding."""
    return _one_line_each(results, color, unsafe_fixes, lambda d: d.name)


def _one_line_each(
    results: Sequence[LintResult],
    color: bool,
    unsafe_fixes: bool,
    text: Callable[[Diagnostic], str],
) -> str:
    out = []
    for result in results:
        path = printable(result.path)
        if result.error is not None:
            out.append(_file_error_line(result.error))
        for d in result.diagnostics:
            fixable = " [*]" if applies(d.fix, unsafe_fixes) else ""
            out.append(
                f"{path}:{_cell(d)}{d.line}:{d.column + 1}: "
                f"{_code(d, color)}{fixable} {printable(text(d))}"
            )
    return "\n".join(out)


def _cell(d: Diagnostic) -> str:
    """``cell 3:`` before the line of a finding in a notebook, as ruff prints it."""
    return f"cell {d.cell}:" if d.cell is not None else ""


def _code(d: Diagnostic, color: bool) -> str:
    return f"\x1b[1;31m{d.code}\x1b[0m" if color else d.code


def _file_error_line(error: FileError) -> str:
    return f"{printable(error.path)}:{error.line}:{error.column + 1}: {printable(error.message)}"


# -- JSON ------------------------------------------------------------------------------


def _position(line: int, column: int) -> dict[str, int]:
    return {"row": line, "column": column + 1}


def _json_fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "message": fix.title,
        "applicability": fix.applicability.value,
        "edits": [
            {
                "content": e.new_text,
                "location": _position(e.start_line, e.start_column),
                "end_location": _position(e.end_line, e.end_column),
            }
            for e in fix.edits
        ],
    }


def json_items(results: Sequence[LintResult]) -> list[dict[str, Any]]:
    """The JSON report as Python objects (one dict per finding, and per unlintable file)."""
    items: list[dict[str, Any]] = []
    for result in results:
        if result.error is not None:
            where = _position(result.error.line, result.error.column)
            items.append(
                {
                    "filename": encodable(result.path),
                    "code": None,
                    "name": FILE_ERROR_NAME,
                    "message": result.error.message,
                    "severity": Severity.ERROR.value,
                    "location": where,
                    "end_location": where,
                    "url": None,
                    "fix": None,
                    "noqa_row": None,
                    "cell": None,
                }
            )
        for d in result.diagnostics:
            items.append(
                {
                    "filename": encodable(result.path),
                    "code": d.code,
                    "name": d.name,
                    "message": d.message,
                    "severity": d.severity.value,
                    "location": _position(d.line, d.column),
                    "end_location": _position(d.end_line, d.end_column),
                    "url": d.url,
                    "fix": _json_fix(d.fix),
                    "noqa_row": d.line,
                    "cell": d.cell,
                }
            )
    return items


def format_json(
    results: Sequence[LintResult],
    color: bool = False,
    *,
    docs_url: str | None = None,
    lang: str = "en",
    unsafe_fixes: bool = False,
) -> str:
    """A list of findings; schema documented in the README ("JSON output")."""
    return json.dumps(json_items(results), indent=2, ensure_ascii=False)


# -- paths relative to the working directory --------------------------------------------


def relative_posix(path: str, root: Path | None = None) -> str | None:
    """``path`` relative to ``root`` (default: the working directory) with ``/``
    separators, or None when it lies outside."""
    root = (root or Path.cwd()).resolve()
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        try:
            return absolute.relative_to(root).as_posix()
        except ValueError:
            return None


# -- SARIF 2.1.0 -----------------------------------------------------------------------


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _sarif_rule(code: str, lang: str, docs_url: str | None) -> dict[str, Any]:
    rule = RULES[code]
    summary = page_summary(code, lang)
    descriptor: dict[str, Any] = {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule_summary(code, lang)},
        "fullDescription": {"text": summary},
        "helpUri": doc_url(code, lang, docs_url),
        "defaultConfiguration": {
            "enabled": rule.default_on,
            "level": "error" if rule.default_on else "warning",
        },
        "properties": {"tags": ["multiprocessing", "correctness"]},
    }
    page = page_text(code, lang)
    descriptor["help"] = {"text": summary, **({"markdown": page} if page else {})}
    return descriptor


def _artifact_location(path: str) -> dict[str, str]:
    relative = relative_posix(path)
    if relative is not None:
        # The name's own bytes, percent-encoded: a name that is not UTF-8 stays exact.
        return {"uri": quote(os.fsencode(relative)), "uriBaseId": SRCROOT}
    return {"uri": Path(path).resolve().as_uri()}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {
        "startLine": line,
        "startColumn": column + 1,
        "endLine": end_line,
        "endColumn": end_column + 1,
    }


def _sarif_fix(fix: Fix, location: dict[str, str]) -> dict[str, Any]:
    return {
        "description": {"text": f"{fix.title} ({fix.applicability.value} fix)"},
        "artifactChanges": [
            {
                "artifactLocation": location,
                "replacements": [
                    {
                        "deletedRegion": _region(
                            e.start_line, e.start_column, e.end_line, e.end_column
                        ),
                        "insertedContent": {"text": e.new_text},
                    }
                    for e in fix.edits
                ],
            }
        ],
    }


def sarif_log(
    results: Sequence[LintResult], *, docs_url: str | None = None, lang: str = "en"
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every rule of the catalogue (so ``ruleIndex`` is
    the same from run to run), a result per finding, and files that could not be linted
    as tool notifications."""
    codes = list(RULES)
    index = {code: i for i, code in enumerate(codes)}
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in results:
        location = _artifact_location(result.path)
        if result.error is not None:
            error = result.error
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": error.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": location,
                                "region": {
                                    "startLine": error.line,
                                    "startColumn": error.column + 1,
                                },
                            }
                        }
                    ],
                }
            )
        for d in result.diagnostics:
            item: dict[str, Any] = {
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": _level(d.severity),
                "message": {"text": d.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": location,
                            "region": _region(d.line, d.column, d.end_line, d.end_column),
                        }
                    }
                ],
            }
            if d.cell is not None:
                # SARIF has no notebook cells: the region's lines are the cell's, and the
                # location says which cell (the same number as the text format's).
                item["locations"][0]["properties"] = {"cell": d.cell}
            if d.fix is not None:
                item["fixes"] = [_sarif_fix(d.fix, location)]
            sarif_results.append(item)
    root_uri = Path.cwd().resolve().as_uri().rstrip("/") + "/"
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mplint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_sarif_rule(code, lang, docs_url) for code in codes],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": sarif_results,
            }
        ],
    }


def format_sarif(
    results: Sequence[LintResult],
    color: bool = False,
    *,
    docs_url: str | None = None,
    lang: str = "en",
    unsafe_fixes: bool = False,
) -> str:
    return json.dumps(
        sarif_log(results, docs_url=docs_url, lang=lang), indent=2, ensure_ascii=False
    )


# -- GitHub Actions workflow commands ----------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF are percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(kind: str, properties: dict[str, object], message: str) -> str:
    joined = ",".join(
        f"{key}={escape_property(printable(str(value), line_breaks=True))}"
        for key, value in properties.items()
    )
    return f"::{kind} {joined}::{escape_data(printable(message, line_breaks=True))}"


def format_github(
    results: Sequence[LintResult],
    color: bool = False,
    *,
    docs_url: str | None = None,
    lang: str = "en",
    unsafe_fixes: bool = False,
) -> str:
    """One ``::error``/``::warning`` workflow command per finding; paths relative to the
    working directory (the repository root in a workflow)."""
    out = []
    for result in results:
        path = relative_posix(result.path) or result.path
        if result.error is not None:
            error = result.error
            properties: dict[str, object] = {
                "file": path,
                "line": error.line,
                "col": error.column + 1,
                "title": f"mplint {FILE_ERROR_NAME}",
            }
            out.append(_annotation("error", properties, error.message))
        for d in result.diagnostics:
            properties = {
                "file": path,
                "line": d.line,
                "col": d.column + 1,
                "endLine": d.end_line,
                "endColumn": d.end_column + 1,
                "title": f"{d.code} {d.name}",
            }
            if d.cell is not None:
                # A line of a cell is not a line of the .ipynb file: annotate the file.
                properties = {
                    "file": path,
                    "title": f"{d.code} {d.name} (cell {d.cell}, line {d.line})",
                }
            out.append(_annotation(_level(d.severity), properties, d.message))
    return "\n".join(out)


# -- --statistics ----------------------------------------------------------------------


def statistics(
    results: Sequence[LintResult], unsafe_fixes: bool = False
) -> list[tuple[str, str, int, bool]]:
    """(code, name, count, any fixable with the current flags) per code, most frequent
    first; files that could not be linted count under ``file-error`` with the code ``-``."""
    counts: Counter[str] = Counter()
    fixable: set[str] = set()
    names: dict[str, str] = {}
    for result in results:
        if result.error is not None:
            counts["-"] += 1
            names["-"] = FILE_ERROR_NAME
        for d in result.diagnostics:
            counts[d.code] += 1
            names[d.code] = d.name
            if applies(d.fix, unsafe_fixes):
                fixable.add(d.code)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(code, names[code], count, code in fixable) for code, count in ordered]


def format_statistics(
    results: Sequence[LintResult], format_name: str = "text", unsafe_fixes: bool = False
) -> str:
    """``count  CODE  [*] name`` lines, or a JSON list with ``--format json``."""
    rows = statistics(results, unsafe_fixes)
    if format_name == "json":
        return json.dumps(
            [
                {"code": None if code == "-" else code, "name": name, "count": n, "fixable": fix}
                for code, name, n, fix in rows
            ],
            indent=2,
        )
    if not rows:
        return ""
    width = max(len(str(n)) for _, _, n, _ in rows)
    return "\n".join(
        f"{n:>{width}}  {code:<5}  {'[*]' if fix else '   '} {name}" for code, name, n, fix in rows
    )


def fix_summary(results: Sequence[LintResult], unsafe_fixes: bool = False, lang: str = "en") -> str:
    """``[*] N fixable with --fix (M more with --unsafe-fixes)``, or "" when nothing is;
    in Chinese for ``lang="zh-CN"``."""
    fixable = hidden = 0
    for result in results:
        for d in result.diagnostics:
            if applies(d.fix, unsafe_fixes):
                fixable += 1
            elif d.fix is not None:
                hidden += 1
    if not fixable and not hidden:
        return ""
    if lang == "zh-CN":
        if not fixable:
            return f"[*] {hidden} 个问题可以用 `--fix --unsafe-fixes` 修复"
        more = f"（另有 {hidden} 个需要加上 `--unsafe-fixes`）" if hidden else ""
        return f"[*] {fixable} 个问题可以用 `--fix` 修复{more}"
    if not fixable:
        return f"[*] {hidden} fixable with --fix --unsafe-fixes"
    more = f" ({hidden} more with --unsafe-fixes)" if hidden else ""
    return f"[*] {fixable} fixable with --fix{more}"


FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "concise": format_concise,
    "json": format_json,
    "sarif": format_sarif,
    "github": format_github,
}
STATISTICS_FORMATS = ("text", "concise", "json")
