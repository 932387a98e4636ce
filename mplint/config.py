"""``[tool.mplint]`` and command-line flags, folded into one Settings object.

Precedence, lowest to highest: built-in defaults, ``[tool.mplint]`` of the
nearest ``pyproject.toml``, then command-line flags (or the flake8 options, or
the editor's settings in the language server).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path, PurePath
from typing import Any

from mplint.catalog import RULES, normalize_lang

START_METHOD_CHOICES = ("auto", "fork", "spawn", "forkserver")
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "__pycache__",
    "node_modules",
    "build",
    "dist",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".mplint_cache",
    ".ipynb_checkpoints",
    "site-packages",
)


class ConfigError(Exception):
    """The configuration cannot be used; the message says what and where."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("MP",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    start_method: str = "auto"
    lang: str = "en"
    docs_url: str | None = None
    respect_noqa: bool = True
    # Apply `exclude` to files named on the command line too (pre-commit names every file).
    force_exclude: bool = False
    project_root: Path | None = None

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def enabled(self) -> frozenset[str]:
        return _enabled_codes(self.select, self.extend_select, self.ignore)

    def enabled_for(self, path: str | None) -> frozenset[str]:
        codes = self.enabled
        if not path or not self.per_file_ignores:
            return codes
        ignored = [
            prefix
            for pattern, prefixes in self.per_file_ignores
            if _path_matches(path, pattern, self.project_root)
            for prefix in prefixes
        ]
        if not ignored:
            return codes
        return frozenset(c for c in codes if not any(c.startswith(p) for p in ignored))

    def is_excluded(self, path: Path) -> bool:
        return any(_path_matches(str(path), pattern, self.project_root) for pattern in self.exclude)

    def cache_key(self) -> str:
        return repr(
            (
                sorted(self.enabled),
                self.per_file_ignores,
                self.start_method,
                self.lang,
                self.docs_url,
                self.respect_noqa,
            )
        )


@cache
def _enabled_codes(
    select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...]
) -> frozenset[str]:
    """A code is on when the longest selector that matches it selects it. Opt-in rules
    (MP9xx) need a selector naming at least their family: ``MP9`` or ``MP901``, not ``MP``."""
    enabled = set()
    for code, rule in RULES.items():
        best_on = max((len(s) for s in (*select, *extend_select) if _matches(code, s)), default=-1)
        best_off = max((len(s) for s in ignore if _matches(code, s)), default=-1)
        if best_on < 0 or best_on <= best_off:
            continue
        if not rule.default_on and best_on < 3:
            continue
        enabled.add(code)
    return frozenset(enabled)


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _path_matches(path: str, pattern: str, root: Path | None) -> bool:
    pure = PurePath(path)
    candidates = {path, pure.name, *pure.parts}
    if root is not None:
        try:
            relative = Path(path).resolve().relative_to(root)
            candidates.add(relative.as_posix())
            candidates.update(relative.parts)
        except (ValueError, OSError):
            pass
    pattern = pattern.rstrip("/")
    return any(
        fnmatch.fnmatch(candidate, pattern) or fnmatch.fnmatch(candidate, pattern + "/*")
        for candidate in candidates
    )


def validate_codes(values: Iterable[str], where: str) -> tuple[str, ...]:
    result = []
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {value!r} is not a string")
        selector = value.strip().upper()
        if selector == "ALL":
            result.append(selector)
            continue
        if not selector.startswith("MP") or not any(c.startswith(selector) for c in RULES):
            raise ConfigError(f"{where}: {value!r} matches no mplint code (MP101 ... MP901)")
        result.append(selector)
    return tuple(result)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.mplint] table,
    else the nearest pyproject.toml at all."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    first: Path | None = None
    for folder in (directory, *directory.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            first = first or candidate
            try:
                if "[tool.mplint" in candidate.read_text(encoding="utf-8", errors="replace"):
                    return candidate
            except OSError:
                continue
    return first


def load_pyproject(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read

    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from error
    table = data.get("tool", {}).get("mplint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.mplint] must be a table")
    return table


KNOWN_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "start-method",
    "lang",
    "docs-url",
}


def settings_from_table(
    table: Mapping[str, Any], where: str, base: Settings | None = None
) -> Settings:
    settings = base or Settings()
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for key, attribute in (
        ("select", "select"),
        ("ignore", "ignore"),
        ("extend-select", "extend_select"),
    ):
        if key in table:
            changes[attribute] = validate_codes(
                _string_list(table[key], where, key), f"{where}: {key}"
            )
    exclude = list(settings.exclude)
    for key in ("exclude", "extend-exclude"):
        if key in table:
            exclude.extend(_string_list(table[key], where, key))
    changes["exclude"] = tuple(exclude)
    if "per-file-ignores" in table:
        value = table["per-file-ignores"]
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: per-file-ignores must be a table of pattern = [codes]")
        changes["per_file_ignores"] = tuple(
            (
                pattern,
                validate_codes(
                    _string_list(codes, where, f"per-file-ignores {pattern!r}"),
                    f"{where}: per-file-ignores {pattern!r}",
                ),
            )
            for pattern, codes in value.items()
        )
    if "start-method" in table:
        changes["start_method"] = check_start_method(table["start-method"], where)
    if "lang" in table:
        if not isinstance(table["lang"], str):
            raise ConfigError(f"{where}: lang must be a string such as 'en' or 'zh-CN'")
        changes["lang"] = normalize_lang(table["lang"])
    if "docs-url" in table:
        if not isinstance(table["docs-url"], str) or "{code}" not in table["docs-url"]:
            raise ConfigError(f"{where}: docs-url must be a string containing {{code}}")
        changes["docs_url"] = table["docs-url"]
    return settings.replace(**changes)


def check_start_method(value: object, where: str) -> str:
    if value not in START_METHOD_CHOICES:
        raise ConfigError(
            f"{where}: start-method must be one of {', '.join(START_METHOD_CHOICES)}, not {value!r}"
        )
    return str(value)


def _string_list(value: object, where: str, key: str) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: {key} must be a list of strings")


def environment_lang() -> str:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return normalize_lang(value)
    return "en"


def load_settings(start: Path | None = None, config_file: Path | None = None) -> Settings:
    """Defaults, then the environment's language, then [tool.mplint]."""
    settings = Settings(lang=environment_lang())
    pyproject = config_file or find_pyproject(start or Path.cwd())
    if pyproject is None:
        return settings
    table = load_pyproject(pyproject)
    settings = settings.replace(project_root=pyproject.parent.resolve())
    return settings_from_table(table, str(pyproject), settings)
