"""Results of earlier runs, keyed by file content and settings, for repeated runs
(pre-commit, editors, CI on a warm checkout).

An entry is one JSON file, ``.mplint_cache/v1/<2 hex>/<sha256>.json``, named by the
hash of: the mplint build (its version and the size and modification time of its
own source files, so an edited rule never serves stale results), the settings'
``cache_key()``, the codes enabled for the file, and the file's bytes. The path is
not part of the key: two files with the same bytes and the same codes share an
entry. JSON, never pickle: a cache directory that came with a repository must not
be able to run code.

Writes go to a temporary file in the same directory and are then renamed over the
entry, so a reader sees a whole entry or none. An entry that cannot be read or does
not have the expected shape is ignored (and rewritten). A cache that cannot be
written (read-only checkout) is silently turned off for the rest of the run.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from mplint import __version__
from mplint.config import Settings
from mplint.diagnostic import Applicability, Diagnostic, FileError, Fix, Severity, TextEdit
from mplint.engine import LintResult

CACHE_DIR_NAME = ".mplint_cache"
FORMAT_VERSION = "v1"


@cache
def build_fingerprint() -> str:
    """What identifies this mplint: its version and the state of its source files."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(package.rglob("*.py")):
        try:
            status = source.stat()
        except OSError:
            continue
        relative = source.relative_to(package).as_posix()
        digest.update(f"{relative}:{status.st_size}:{status.st_mtime_ns};".encode())
    return digest.hexdigest()


class Cache:
    """One run's view of ``<root>/.mplint_cache`` for one set of settings."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.directory = root / CACHE_DIR_NAME / FORMAT_VERSION
        self.prefix = f"{build_fingerprint()}|{settings.cache_key()}|".encode()
        self.writable = True
        self.hits = 0
        self.misses = 0

    def key(self, data: bytes, enabled: frozenset[str]) -> str:
        digest = hashlib.sha256(self.prefix)
        digest.update(",".join(sorted(enabled)).encode())
        digest.update(b"|")
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, path: str) -> LintResult | None:
        try:
            text = self._entry(key).read_text(encoding="utf-8")
            result = result_from_json(json.loads(text), path)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, key: str, result: LintResult) -> None:
        """Store a result; results of a check that raised are never stored."""
        if not self.writable or result.internal_errors:
            return
        entry = self._entry(key)
        try:
            self._prepare()
            entry.parent.mkdir(parents=True, exist_ok=True)
            import tempfile

            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(result_to_json(result), stream, ensure_ascii=False)
                os.replace(temporary, entry)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            self.writable = False

    def _prepare(self) -> None:
        """Mark the directory as a cache for git and for backup tools, once."""
        top = self.directory.parent
        if (top / ".gitignore").exists():
            return
        top.mkdir(parents=True, exist_ok=True)
        (top / "CACHEDIR.TAG").write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n# mplint's cache.\n", encoding="utf-8"
        )
        (top / ".gitignore").write_text("# Created by mplint.\n*\n", encoding="utf-8")


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


def result_from_json(data: Any, path: str) -> LintResult | None:
    """The stored result, or None when the entry is not what this version writes."""
    if not isinstance(data, dict):
        return None
    error = data["error"]
    result = LintResult(path, parsed=bool(data["parsed"]))
    if error is not None:
        result.error = FileError(
            path, str(error["message"]), int(error["line"]), int(error["column"])
        )
    result.diagnostics = [diagnostic_from_json(d) for d in data["diagnostics"]]
    return result


def diagnostic_from_json(data: dict[str, Any]) -> Diagnostic:
    line, column, end_line, end_column = (int(n) for n in data["range"])
    fix = data["fix"]
    extra = data["extra"]
    if not isinstance(extra, dict):
        raise TypeError("extra")
    cell = data["cell"]
    return Diagnostic(
        code=str(data["code"]),
        name=str(data["name"]),
        message=str(data["message"]),
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        severity=Severity(data["severity"]),
        url=str(data["url"]),
        extra={str(k): str(v) for k, v in extra.items()},
        cell=None if cell is None else int(cell),
        fix=None
        if fix is None
        else Fix(
            title=str(fix["title"]),
            applicability=Applicability(fix["applicability"]),
            edits_or_render=tuple(
                TextEdit(int(a), int(b), int(c), int(d), str(text))
                for a, b, c, d, text in fix["edits"]
            ),
        ),
    )
