"""flake8 adapter: ``flake8 --select MP`` runs the same engine as ``mplint check``.

flake8 applies ``# noqa`` and the selection itself, so the plugin reports every
code; MP9xx (opt-in) is put on flake8's default ignore list. A file flake8 parsed but
mplint will not (nested too deeply or too large for libcst: see mplint.inputs) is
reported as ``MP000`` on the line concerned, so that it is not silently unchecked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from mplint import __version__
from mplint.catalog import RULES, normalize_lang
from mplint.config import START_METHOD_CHOICES, Settings
from mplint.engine import lint_source
from mplint.formats import printable

ALL_CODES = frozenset(RULES)
OPT_IN = [code for code, rule in RULES.items() if not rule.default_on]
NOT_LINTED = "MP000"  # not a rule: the file was not linted


class MplintChecker:
    name = "mplint"
    version = __version__
    settings = Settings(respect_noqa=False)

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--mplint-start-method",
            default="auto",
            choices=START_METHOD_CHOICES,
            parse_from_config=True,
            help="mplint: the start method your program uses (default: auto = may be any)",
        )
        option_manager.add_option(
            "--mplint-lang",
            default="en",
            parse_from_config=True,
            help="mplint: message language, en or zh-CN",
        )
        option_manager.extend_default_ignore(OPT_IN)

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.settings = Settings(
            respect_noqa=False,
            start_method=options.mplint_start_method,
            lang=normalize_lang(options.mplint_lang),
        )

    def run(self) -> Iterator[tuple[int, int, str, type[MplintChecker]]]:
        result = lint_source("".join(self.lines), self.filename, self.settings, codes=ALL_CODES)
        if result.error is not None:
            error = result.error
            yield error.line, error.column, f"{NOT_LINTED} mplint {error.message}", type(self)
        for d in result.diagnostics:
            # flake8 prints the message as it is: quoted source must not reach the terminal raw.
            yield d.line, d.column, f"{d.code} {printable(d.message)}", type(self)
