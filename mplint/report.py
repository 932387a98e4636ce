"""``mplint report``: one class's findings, gathered for one self-contained HTML page.

A repository is a directory given on the command line (or listed in ``--repos-from``).
A directory that is not itself a repository (no ``pyproject.toml``, no ``.git``) but
holds repositories is a class: each of its sub-directories with its own
``pyproject.toml`` or ``.git`` is one student's repository. Each repository is linted
with its own settings (its ``[tool.mplint]``, found as ``mplint check`` finds it, then
the command-line flags); the page itself is drawn by ``mplint.report_html``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mplint.config import DEFAULT_EXCLUDE, ConfigError, Settings
from mplint.diagnostic import Diagnostic, FileError
from mplint.engine import LintResult, decode_source, iter_python_files, read_source

if TYPE_CHECKING:
    from mplint.progress import Progress

REPOSITORY_MARKERS = ("pyproject.toml", ".git")
CONTEXT_LINES = 1
MAX_EXCERPT_LINES = 7


class RepositoryListError(Exception):
    """The ``--repos-from`` file cannot be used; the message says why."""


@dataclass(frozen=True)
class ExcerptLine:
    number: int
    text: str
    flagged: bool
    # The flagged columns on this line [start, end), when the finding marks part of it.
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Finding:
    """One diagnostic, or one file that could not be linted (``diagnostic`` None)."""

    path: str  # relative to the repository
    line: int
    column: int  # 1-based, as the text output shows it
    code: str | None
    name: str
    message: str
    excerpt: tuple[ExcerptLine, ...] = ()


@dataclass
class Repository:
    name: str
    path: Path
    files: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(f.code for f in self.findings if f.code)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.code is None)


@dataclass
class ClassReport:
    repositories: list[Repository]
    lang: str

    @property
    def rule_counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for repository in self.repositories:
            total.update(repository.counts)
        return total

    @property
    def files(self) -> int:
        return sum(r.files for r in self.repositories)


def is_repository(path: Path) -> bool:
    return any((path / marker).exists() for marker in REPOSITORY_MARKERS)


def find_repositories(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Each path is one repository, unless it is a directory that is not a repository
    itself but holds some: then those are the repositories. Also returns what lies
    beside them with Python code but is no repository, Python files and folders (left
    out, so that the caller can say so)."""
    found: list[Path] = []
    left_out: list[Path] = []
    for path in paths:
        children: list[Path] = []
        others: list[Path] = []
        if path.is_dir() and not is_repository(path):
            for child in _entries(path):
                if child.name.startswith(".") or child.name in DEFAULT_EXCLUDE:
                    continue
                if child.is_dir():
                    (children if is_repository(child) else others).append(child)
                elif child.suffix in (".py", ".pyi"):
                    others.append(child)
        found.extend(children or [path])
        if children:
            left_out.extend(o for o in others if o.is_file() or _holds_python(o))
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(_resolved(path), path)
    return list(unique.values()), left_out


def _entries(directory: Path) -> list[Path]:
    try:
        return sorted(directory.iterdir())
    except OSError:
        return []  # unreadable: it is then one repository, whose files cannot be read


def _holds_python(directory: Path) -> bool:
    return any(True for _ in iter_python_files([directory], Settings()))


def read_repository_list(list_file: Path) -> list[Path]:
    """One path per line; blank lines and ``#`` comments skipped; relative paths are
    relative to the list file's folder."""
    try:
        text = list_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RepositoryListError(f"cannot read {list_file}: {error}") from error
    base = list_file.parent
    paths = []
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            path = Path(entry).expanduser()
            paths.append(path if path.is_absolute() else base / path)
    return paths


def repository_names(paths: Sequence[Path]) -> list[str]:
    """The folder's name; where two repositories share one, their parents' names too."""
    names = [_resolved(p).name or str(p) for p in paths]
    counts = Counter(names)
    return [
        f"{_resolved(p).parent.name}/{name}" if counts[name] > 1 else name
        for p, name in zip(paths, names, strict=True)
    ]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def count_files(repositories: Sequence[Path], settings_for: Callable[[Path], Settings]) -> int:
    total = 0
    for repository in repositories:
        try:
            settings = settings_for(repository)
        except ConfigError:
            continue  # linted not at all: see build_report
        total += sum(1 for _ in iter_python_files([repository], settings))
    return total


def lint_repository(path: Path, name: str, results: Sequence[LintResult]) -> Repository:
    """The findings of one repository's lint results, with their excerpts."""
    repository = Repository(name=name, path=path, files=len(results))
    for result in results:
        shown = _relative(result.path, path)
        if result.error is not None:
            repository.findings.append(_error_finding(shown, result.error))
        if result.diagnostics:
            lines = _source_lines(Path(result.path))
            for diagnostic in sorted(result.diagnostics, key=lambda d: d.sort_key):
                repository.findings.append(
                    Finding(
                        path=shown,
                        line=diagnostic.line,
                        column=diagnostic.column + 1,
                        code=diagnostic.code,
                        name=diagnostic.name,
                        message=diagnostic.message,
                        excerpt=excerpt(lines, diagnostic),
                    )
                )
    return repository


def _error_finding(path: str, error: FileError) -> Finding:
    return Finding(path, error.line, error.column + 1, None, "file-error", error.message)


def _relative(name: str, repository: Path) -> str:
    if repository.is_file():
        return Path(name).name
    try:
        return Path(name).resolve().relative_to(repository.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return name


def _source_lines(path: Path) -> list[str]:
    """The file's lines as the linter read them, or none if it cannot be read now."""
    data = read_source(path)
    if isinstance(data, FileError):
        return []
    text = decode_source(data, str(path))
    if isinstance(text, FileError):
        return []
    return text.removeprefix("\ufeff").splitlines()


def excerpt(lines: Sequence[str], diagnostic: Diagnostic) -> tuple[ExcerptLine, ...]:
    """The flagged lines with one line of context each side (at most MAX_EXCERPT_LINES)."""
    if not lines or not 1 <= diagnostic.line <= len(lines):
        return ()
    end_line = max(diagnostic.line, min(diagnostic.end_line, len(lines)))
    if diagnostic.end_line > diagnostic.line and diagnostic.end_column == 0:
        end_line = max(diagnostic.line, end_line - 1)  # a range that stops at a line's start
    first = max(1, diagnostic.line - CONTEXT_LINES)
    last = min(len(lines), end_line + CONTEXT_LINES, first + MAX_EXCERPT_LINES - 1)
    shown = []
    for number in range(first, last + 1):
        text = lines[number - 1].rstrip()
        flagged = diagnostic.line <= number <= end_line
        span = None
        if flagged and diagnostic.line == diagnostic.end_line:
            start = min(diagnostic.column, len(text))
            stop = min(max(diagnostic.end_column, start), len(text))
            span = (start, stop) if stop > start else None
        shown.append(ExcerptLine(number, text, flagged, span))
    return tuple(shown)


def build_report(
    paths: Sequence[Path],
    settings_for: Callable[[Path], Settings],
    *,
    lang: str,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> ClassReport:
    """Lint each repository with its own settings (messages in ``lang``). Many
    repositories are linted side by side, one per worker process; a single one is
    linted file by file, as ``mplint check`` does."""
    from mplint.parallel import default_jobs

    jobs = default_jobs() if jobs is None else max(1, jobs)
    names = repository_names(paths)
    settings: dict[int, Settings] = {}
    broken: dict[int, ConfigError] = {}
    for index, path in enumerate(paths):
        try:
            settings[index] = settings_for(path).replace(lang=lang)
        except ConfigError as error:  # one student's pyproject.toml: not the whole class
            broken[index] = error
    linted: dict[int, list[LintResult]] = {}
    if jobs > 1 and len(settings) > 1:
        linted = _lint_side_by_side(paths, settings, use_cache, jobs, progress)
    for index in settings:
        if index not in linted:  # one repository, or what the workers did not do
            if progress is not None:
                progress.describe(names[index])
            linted[index] = lint_repository_files(
                paths[index], settings[index], use_cache, jobs=jobs, progress=progress
            )
    repositories = []
    for index, path in enumerate(paths):
        if index in broken:
            message = f"configuration error: {broken[index]}"
            finding = Finding("", 0, 0, None, "configuration-error", message)
            repositories.append(Repository(names[index], path, 0, [finding]))
        else:
            repositories.append(lint_repository(path, names[index], linted[index]))
    return ClassReport(repositories, lang)


def lint_repository_files(
    path: Path,
    settings: Settings,
    use_cache: bool,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[LintResult]:
    """One repository's lint results (also the task each worker runs)."""
    from mplint.cache import Cache
    from mplint.parallel import lint_files

    cache = None
    if use_cache:
        cache = Cache(settings.project_root or (path if path.is_dir() else path.parent), settings)
    return lint_files([path], settings, jobs=jobs, cache=cache, progress=progress)


def _lint_side_by_side(
    paths: Sequence[Path],
    settings: dict[int, Settings],
    use_cache: bool,
    jobs: int,
    progress: Progress | None,
) -> dict[int, list[LintResult]]:
    """Each repository in a worker process. The start method is chosen as
    ``mplint.parallel`` chooses it; a worker that dies costs only time: the
    repositories not done are returned to the caller undone."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from mplint.parallel import start_method, warm_up

    warm_up_here()
    done: dict[int, list[LintResult]] = {}
    context = multiprocessing.get_context(start_method())
    try:
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(settings)), mp_context=context, initializer=warm_up
        ) as executor:
            futures = {
                executor.submit(lint_repository_files, paths[index], chosen, use_cache): index
                for index, chosen in settings.items()
            }
            for future in as_completed(futures):
                try:
                    results = future.result()
                except BrokenProcessPool:
                    break
                except Exception:  # noqa: BLE001 - that repository is linted again here
                    continue
                done[futures[future]] = results
                if progress is not None:
                    progress.advance(len(results))
    except (BrokenProcessPool, OSError, RuntimeError):
        pass
    return done


def warm_up_here() -> None:
    """Import what linting needs before the workers are forked, so that each starts
    with it loaded."""
    import mplint.checks
    import mplint.facts
    import mplint.positions  # noqa: F401
