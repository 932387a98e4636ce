"""``[tool.mplint]`` and command-line flags, folded into one Settings object.

Precedence, lowest to highest: built-in defaults, ``[tool.mplint]`` of the
nearest ``pyproject.toml``, then command-line flags (or the flake8 options, or
the editor's settings in the language server).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
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
        patterns = _pattern_set(tuple(pattern for pattern, _ in self.per_file_ignores))
        ignored = [
            prefix
            for index in patterns.matching(path, self.project_root)
            for prefix in self.per_file_ignores[index][1]
        ]
        if not ignored:
            return codes
        return frozenset(c for c in codes if not any(c.startswith(p) for p in ignored))

    def is_excluded(self, path: Path) -> bool:
        if not self.exclude:
            return False
        return _pattern_set(self.exclude).matches(str(path), self.project_root)

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


class _PatternSet:
    """Globs compiled once. A path is matched through its candidates (the path as given,
    its name and parts, and the same relative to the project root), which cost one
    ``resolve()`` per path whatever the number of patterns; a glob ``g`` also matches
    what lies below it (``g/*``)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = tuple(
            re.compile(f"{_glob_regex(p)}|{_glob_regex(p + '/*')}")
            for p in (pattern.rstrip("/") for pattern in patterns)
        )
        self.any = re.compile("|".join(f"(?:{p.pattern})" for p in self.patterns) or "(?!)")

    def matches(self, path: str, root: Path | None) -> bool:
        return any(self.any.match(candidate) for candidate in _candidates(path, root))

    def matching(self, path: str, root: Path | None) -> list[int]:
        """The indexes of the patterns that match ``path``."""
        candidates = _candidates(path, root)
        if not any(self.any.match(candidate) for candidate in candidates):
            return []
        return [
            index
            for index, pattern in enumerate(self.patterns)
            if any(pattern.match(candidate) for candidate in candidates)
        ]


def _glob_regex(glob: str) -> str:
    return fnmatch.translate(os.path.normcase(glob))


@cache
def _pattern_set(patterns: tuple[str, ...]) -> _PatternSet:
    return _PatternSet(patterns)


def _candidates(path: str, root: Path | None) -> set[str]:
    pure = PurePath(path)
    candidates = {path, pure.name, *pure.parts}
    if root is not None:
        try:
            relative = Path(path).resolve().relative_to(root)
            candidates.add(relative.as_posix())
            candidates.update(relative.parts)
        except (ValueError, OSError, RuntimeError):
            pass
    return {os.path.normcase(candidate) for candidate in candidates}


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


def find_pyproject(
    start: Path, skipped: list[str] | None = None, stop_at: Path | None = None
) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.mplint] table,
    else the nearest pyproject.toml at all. The search ends at the repository root (the
    folder holding ``.git``), and a file owned by another user (root excepted) is not
    used: in a shared folder such as /tmp, anyone could have put it there. Why each
    such file was passed over is added to ``skipped``. With ``stop_at`` (a resolved
    folder), only folders inside it are looked at."""
    start = start.resolve()
    directory = start if _is_dir(start) else start.parent
    folders = [directory, *directory.parents]
    if stop_at is not None:
        folders = folders[: folders.index(stop_at) + 1] if stop_at in folders else []
    first: Path | None = None
    for folder in folders:
        candidate = folder / "pyproject.toml"
        owner = _owner_of_file(candidate)
        if owner is not None and owner not in _trusted_owners():
            if skipped is not None and _has_mplint_table(candidate):
                skipped.append(
                    f"{candidate} is not used: it belongs to another user (uid {owner}); "
                    "name it with --config to use it"
                )
        elif owner is not None:
            first = first or candidate
            if _has_mplint_table(candidate):
                return candidate
        if _exists(folder / ".git"):
            break
    return first


def _has_mplint_table(pyproject: Path) -> bool:
    try:
        return "[tool.mplint" in pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:
        return False
    return True


def _owner_of_file(path: Path) -> int | None:
    """The owner's uid of a regular file (0 where there are no uids), None for no file."""
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return status.st_uid if hasattr(os, "geteuid") else 0


def _trusted_owners() -> tuple[int, ...]:
    return (os.geteuid(), 0) if hasattr(os, "geteuid") else (0,)


MAX_PYPROJECT_BYTES = 10_000_000


def load_pyproject(path: Path) -> dict[str, Any]:
    """The [tool.mplint] table. Whatever is wrong with the file, the error is one
    ConfigError naming it."""
    import tomllib  # only when there is a file to read

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_PYPROJECT_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror or error}") from error
    if len(raw) > MAX_PYPROJECT_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_PYPROJECT_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not valid UTF-8 text (byte {raw[error.start]:#04x} at offset "
            f"{error.start}); TOML files are UTF-8"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    except RecursionError as error:
        raise ConfigError(f"{path}: not usable: its values are nested too deeply") from error
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: tool must be a table, as in [tool.mplint]")
    table = tool.get("mplint", {})
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
        changes["docs_url"] = check_docs_url(table["docs-url"], where)
    return settings.replace(**changes)


DOCS_URL_FIELDS = ("{code}", "{name}")


def check_docs_url(value: object, where: str) -> str:
    """A link pattern: ``{code}`` (required) and ``{name}`` are replaced as plain text,
    and no other brace may appear, so nothing else in it is ever taken as a field."""
    if not isinstance(value, str) or "{code}" not in value:
        raise ConfigError(f"{where}: docs-url must be a string containing {{code}}")
    rest = value
    for field in DOCS_URL_FIELDS:
        rest = rest.replace(field, "")
    if "{" in rest or "}" in rest:
        raise ConfigError(
            f"{where}: docs-url may hold only the fields {{code}} and {{name}}, "
            f"and no other braces: {value!r}"
        )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigError(f"{where}: docs-url must not contain control characters: {value!r}")
    return value


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


def load_settings(
    start: Path | None = None,
    config_file: Path | None = None,
    skipped: list[str] | None = None,
    stop_at: Path | None = None,
) -> Settings:
    """Defaults, then the environment's language, then [tool.mplint] (found at or above
    ``start``, up to ``stop_at`` when given). Why a pyproject.toml was passed over in
    the search is added to ``skipped``."""
    settings = Settings(lang=environment_lang())
    pyproject = config_file or find_pyproject(start or Path.cwd(), skipped, stop_at)
    if pyproject is None:
        return settings
    table = load_pyproject(pyproject)
    settings = settings.replace(project_root=pyproject.parent.resolve())
    return settings_from_table(table, str(pyproject), settings)
