"""How findings are printed: one function per --format."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from mplint.engine import LintResult

Formatter = Callable[[Sequence[LintResult], bool], str]


def format_text(results: Sequence[LintResult], color: bool = False) -> str:
    """``path:line:col: CODE message`` as flake8 and ruff print it; columns are 1-based."""
    out = []
    for result in results:
        if result.error is not None:
            error = result.error
            out.append(f"{error.path}:{error.line}:{error.column + 1}: {error.message}")
        for d in result.diagnostics:
            code = f"\x1b[1;31m{d.code}\x1b[0m" if color else d.code
            fixable = " [*]" if d.fix is not None else ""
            out.append(f"{result.path}:{d.line}:{d.column + 1}: {code}{fixable} {d.message}")
    return "\n".join(out)


def format_json(results: Sequence[LintResult], color: bool = False) -> str:
    """A list of findings; schema documented in the README ("JSON output")."""
    items = []
    for result in results:
        if result.error is not None:
            items.append(
                {
                    "filename": result.path,
                    "code": None,
                    "name": "file-error",
                    "message": result.error.message,
                    "location": {"row": result.error.line, "column": result.error.column + 1},
                    "end_location": {"row": result.error.line, "column": result.error.column + 1},
                    "url": None,
                    "fix": None,
                    "noqa_row": None,
                }
            )
        for d in result.diagnostics:
            items.append(
                {
                    "filename": result.path,
                    "code": d.code,
                    "name": d.name,
                    "message": d.message,
                    "severity": d.severity.value,
                    "location": {"row": d.line, "column": d.column + 1},
                    "end_location": {"row": d.end_line, "column": d.end_column + 1},
                    "url": d.url,
                    "fix": None
                    if d.fix is None
                    else {
                        "message": d.fix.title,
                        "applicability": d.fix.applicability.value,
                        "edits": [
                            {
                                "content": e.new_text,
                                "location": {"row": e.start_line, "column": e.start_column + 1},
                                "end_location": {"row": e.end_line, "column": e.end_column + 1},
                            }
                            for e in d.fix.edits
                        ],
                    },
                    "noqa_row": d.line,
                }
            )
    return json.dumps(items, indent=2, ensure_ascii=False)


FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
}
