"""mplint: a linter and teacher for Python multiprocessing pitfalls.

The engine's names are loaded on first use (``__getattr__`` below): importing a part of
the package (the checks, the model) runs this file first, and it must not pull the
engine, and through it those parts, in again.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mplint.config import ConfigError, Settings, load_settings
from mplint.diagnostic import Applicability, Diagnostic, FileError, Fix, Severity, TextEdit

if TYPE_CHECKING:
    from mplint.engine import LintResult, lint_paths, lint_source

__version__ = "0.1.0"

_FROM_ENGINE = frozenset({"LintResult", "lint_paths", "lint_source"})

__all__ = [
    "Applicability",
    "ConfigError",
    "Diagnostic",
    "FileError",
    "Fix",
    "LintResult",
    "Settings",
    "Severity",
    "TextEdit",
    "__version__",
    "lint_paths",
    "lint_source",
    "load_settings",
]


def __getattr__(name: str) -> object:
    if name in _FROM_ENGINE:
        return getattr(importlib.import_module("mplint.engine"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
