"""One cache entry's JSON: a file's result, written as is and read back with every
field checked.

An entry is signed (see mplint.cache), so a well-formed but wrong entry should never
be read; the checks are the second line: a damaged disk, a bug in an older writer, or
a key that leaked must still not crash mplint, print a forged code or position, or
put a control character on the terminal. Whatever does not pass is a miss.
"""

from __future__ import annotations

import re
from typing import Any

from mplint.catalog import RULES
from mplint.diagnostic import Applicability, Diagnostic, FileError, Fix, Severity, TextEdit
from mplint.engine import LintResult

MAX_TEXT = 4_000  # characters in a message, a name, a URL or a fix's title (longest seen: 567)
MAX_NEW_TEXT = 100_000  # characters a fix's edit inserts
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A fix's new text is code: it may hold tabs, newlines and form feeds.
CONTROL_IN_CODE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class BadEntry(ValueError):
    """The entry is not what this version of mplint writes."""


def result_to_json(result: LintResult) -> dict[str, Any]:
    error = result.error
    return {
        "parsed": result.parsed,
        "error": None
        if error is None
        else {"message": error.message, "line": error.line, "column": error.column},
        "diagnostics": [diagnostic_to_json(d) for d in result.diagnostics],
    }


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "range": [diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column],
        "severity": diagnostic.severity.value,
        "url": diagnostic.url,
        "extra": diagnostic.extra,
        "cell": diagnostic.cell,
        "fix": None
        if fix is None
        else {
            "title": fix.title,
            "applicability": fix.applicability.value,
            "edits": [
                [e.start_line, e.start_column, e.end_line, e.end_column, e.new_text]
                for e in fix.edits
            ],
        },
    }


class Bounds:
    """Where positions may fall in the file the entry is for: lines from 1 to one past
    its last line, columns from 0 to its length (code points never outnumber bytes)."""

    def __init__(self, data: bytes) -> None:
        self.last_line = data.count(b"\n") + data.count(b"\r") + 1
        self.last_column = len(data)

    def position(self, line: Any, column: Any) -> tuple[int, int]:
        line, column = _integer(line), _integer(column)
        if not (1 <= line <= self.last_line and 0 <= column <= self.last_column):
            raise BadEntry("position out of the file")
        return line, column

    def span(self, numbers: Any) -> tuple[int, int, int, int]:
        if not isinstance(numbers, list) or len(numbers) != 4:
            raise BadEntry("range")
        start = self.position(numbers[0], numbers[1])
        end = self.position(numbers[2], numbers[3])
        if end < start:
            raise BadEntry("range ends before it starts")
        return (*start, *end)


def result_from_json(data: Any, path: str, bounds: Bounds) -> LintResult:
    """The stored result for the file at ``path``; BadEntry when any field is off."""
    fields = _fields(data, {"parsed", "error", "diagnostics"})
    parsed = fields["parsed"]
    if not isinstance(parsed, bool):
        raise BadEntry("parsed")
    result = LintResult(path, parsed=parsed)
    if fields["error"] is not None:
        error = _fields(fields["error"], {"message", "line", "column"})
        line, column = bounds.position(error["line"], error["column"])
        result.error = FileError(path, _text(error["message"]), line, column)
    diagnostics = fields["diagnostics"]
    if not isinstance(diagnostics, list):
        raise BadEntry("diagnostics")
    result.diagnostics = [diagnostic_from_json(d, bounds) for d in diagnostics]
    return result


def diagnostic_from_json(data: Any, bounds: Bounds) -> Diagnostic:
    fields = _fields(
        data, {"code", "name", "message", "range", "severity", "url", "extra", "cell", "fix"}
    )
    code = fields["code"]
    rule = RULES.get(code) if isinstance(code, str) else None
    if rule is None or fields["name"] != rule.name:
        raise BadEntry("not a rule of this mplint")
    line, column, end_line, end_column = bounds.span(fields["range"])
    extra = fields["extra"]
    if not isinstance(extra, dict):
        raise BadEntry("extra")
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=_text(fields["message"]),
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        severity=Severity(_text(fields["severity"])),
        url=_text(fields["url"]),
        extra={_text(k): _text(v) for k, v in extra.items()},
        cell=_cell(fields["cell"]),
        fix=None if fields["fix"] is None else fix_from_json(fields["fix"], bounds),
    )


def fix_from_json(data: Any, bounds: Bounds) -> Fix:
    fields = _fields(data, {"title", "applicability", "edits"})
    edits = fields["edits"]
    if not isinstance(edits, list):
        raise BadEntry("edits")
    return Fix(
        title=_text(fields["title"]),
        applicability=Applicability(_text(fields["applicability"])),
        edits_or_render=tuple(edit_from_json(edit, bounds) for edit in edits),
    )


def edit_from_json(data: Any, bounds: Bounds) -> TextEdit:
    if not isinstance(data, list) or len(data) != 5:
        raise BadEntry("edit")
    new_text = data[4]
    if (
        not isinstance(new_text, str)
        or len(new_text) > MAX_NEW_TEXT
        or CONTROL_IN_CODE.search(new_text)
    ):
        raise BadEntry("edit text")
    return TextEdit(*bounds.span(data[:4]), new_text)


def _fields(data: Any, names: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict) or data.keys() != names:
        raise BadEntry("fields")
    return data


def _cell(value: Any) -> int | None:
    if value is None:
        return None
    cell = _integer(value)
    if cell < 1:
        raise BadEntry("cell")
    return cell


def _integer(value: Any) -> int:
    if type(value) is not int:  # not a float (1e400), a bool or a string
        raise BadEntry("not an integer")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or CONTROL.search(value):
        raise BadEntry("text")
    return value
