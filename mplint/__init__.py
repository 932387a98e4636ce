"""mplint: a linter and teacher for Python multiprocessing pitfalls."""

from mplint.config import ConfigError, Settings, load_settings
from mplint.diagnostic import Applicability, Diagnostic, FileError, Fix, Severity, TextEdit
from mplint.engine import LintResult, lint_paths, lint_source

__version__ = "0.1.0"

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
