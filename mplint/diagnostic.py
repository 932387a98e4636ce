"""What the engine hands to every front end."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Applicability(StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace [start, end) with new_text. Lines are 1-based; columns are 0-based code points."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    message: str
    line: int  # 1-based
    column: int  # 0-based, in code points
    end_line: int
    end_column: int
    severity: Severity = Severity.WARNING
    url: str = ""
    fix: Fix | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.code)


@dataclass(frozen=True, slots=True)
class FileError:
    """A file mplint could not lint: it did not read, decode or parse."""

    path: str
    message: str
    line: int = 1
    column: int = 0
