"""A one-line progress bar on standard error, for runs over many files.

Shown only when standard error is a terminal and the run has at least ``MIN_FILES``
files; redrawn at most every ``INTERVAL`` seconds; erased (carriage return, then erase
to the end of the line) before anything else is printed, so results never share a line
with it. Piped or redirected output never sees it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

MIN_FILES = 10
INTERVAL = 0.1
_ERASE = "\r\033[K"


class Progress:
    """``done`` of ``total`` files, drawn as ``mplint [#####-----] 12/40 files  label``."""

    def __init__(self, stream: TextIO, total: int, *, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.total = max(total, 1)
        self.done = 0
        self.label = ""
        self._clock = clock
        self._last_draw: float | None = None
        self._shown = False

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total)
        now = self._clock()
        if self._last_draw is None or now - self._last_draw >= INTERVAL or self.done == self.total:
            self._last_draw = now
            self._draw()

    def describe(self, label: str) -> None:
        """What is being read now (a repository's name); shown at the next redraw."""
        self.label = label

    def clear(self) -> None:
        if self._shown:
            self._write(_ERASE)
            self._shown = False

    def _draw(self) -> None:
        width = _terminal_columns(self.stream)
        count = f" {self.done}/{self.total} files"
        label = f"  {self.label}" if self.label else ""
        bar_width = max(10, min(40, width - len(count) - 10))
        filled = bar_width * self.done // self.total
        line = f"mplint [{'#' * filled}{'-' * (bar_width - filled)}]{count}{label}"
        self._write(_ERASE + line[: max(width - 1, 1)])
        self._shown = True

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken terminal costs the bar, never the run


def _terminal_columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError, AttributeError):
        return False


@contextmanager
def terminal_progress(stream: TextIO, count_files: Callable[[], int]) -> Iterator[Progress | None]:
    """A Progress on ``stream`` if it is a terminal and ``count_files()`` (called only
    then) reaches MIN_FILES, else None. The bar is erased when the block ends, however
    it ends."""
    if not is_terminal(stream) or os.environ.get("TERM") == "dumb":
        yield None
        return
    total = count_files()
    if total < MIN_FILES:
        yield None
        return
    progress = Progress(stream, total)
    try:
        yield progress
    finally:
        progress.clear()
