"""What the engine hands to every front end."""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True, slots=True, eq=False)
class Fix:
    """A fix's title and safety are known at once; its edits may be computed on first use
    (``edits`` given as a function), so a linter run that never applies or prints fixes
    does not pay for rendering them."""

    title: str
    applicability: Applicability
    edits_or_render: tuple[TextEdit, ...] | Callable[[], tuple[TextEdit, ...]]
    _rendered: list[tuple[TextEdit, ...]] = field(
        default_factory=list, compare=False, repr=False, hash=False
    )

    @property
    def edits(self) -> tuple[TextEdit, ...]:
        if not callable(self.edits_or_render):
            return self.edits_or_render
        if not self._rendered:
            self._rendered.append(self.edits_or_render())
        return self._rendered[0]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fix):
            return NotImplemented
        return (self.title, self.applicability, self.edits) == (
            other.title,
            other.applicability,
            other.edits,
        )

    def __hash__(self) -> int:
        return hash((self.title, self.applicability, self.edits))

    def __reduce__(self) -> tuple[type[Fix], tuple[object, ...]]:
        # Sent to another process (parallel lint) with its edits rendered.
        return (Fix, (self.title, self.applicability, self.edits))


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
    # In a notebook: the cell (1-based, every cell counted); line and end_line are then
    # lines of that cell.
    cell: int | None = None

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        return (self.cell or 0, self.line, self.column, self.code)


@dataclass(frozen=True, slots=True)
class FileError:
    """A file mplint could not lint: it did not read, decode or parse."""

    path: str
    message: str
    line: int = 1
    column: int = 0


def applies(fix: Fix | None, unsafe: bool) -> bool:
    """Would this fix be applied with (or without) ``--unsafe-fixes``?"""
    return fix is not None and (unsafe or fix.applicability == Applicability.SAFE)
