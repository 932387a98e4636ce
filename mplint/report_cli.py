"""``mplint report PATH... --output report.html``: the command's flags and its run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mplint.config import START_METHOD_CHOICES, Settings

EXIT_WRITTEN, EXIT_ERROR = 0, 2


def add_report_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="one self-contained HTML page of the findings of one repository or a class",
        description=(
            "Lint one repository or a whole class and write one HTML page: a chart of the "
            "findings per rule, a table of repositories and rules, every finding with its "
            "code, and each rule's page. A directory that is not itself a repository but "
            "holds some (sub-directories with a pyproject.toml or .git) counts as a class: "
            "each of those is one repository."
        ),
    )
    report.add_argument("paths", nargs="*", type=Path, help="repositories or class folders")
    report.add_argument(
        "--repos-from",
        type=Path,
        metavar="FILE",
        help="a file listing repositories, one path a line (# comments; relative to the file)",
    )
    report.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("report.html"),
        metavar="FILE",
        help="where to write the page (default: report.html)",
    )
    report.add_argument("--lang", help="en or zh-CN (default: [tool.mplint] lang, then LANG)")
    report.add_argument("--select", help="comma-separated codes or prefixes to enable")
    report.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    report.add_argument("--extend-select", help="codes or prefixes to enable on top of select")
    report.add_argument("--start-method", choices=START_METHOD_CHOICES)
    report.add_argument(
        "--config",
        type=Path,
        help="a pyproject.toml whose [tool.mplint] applies to every repository",
    )
    report.add_argument("--jobs", "-j", type=int, help="lint in this many processes")
    report.add_argument(
        "--no-cache", action="store_true", help="neither read nor write .mplint_cache"
    )


def command_report(
    args: argparse.Namespace, settings_for: Callable[[argparse.Namespace], Settings]
) -> int:
    """``settings_for`` is the ``check`` command's: [tool.mplint] found from the first of
    ``args.paths``, then the flags. It is asked once per repository."""
    from mplint.progress import terminal_progress
    from mplint.report import (
        RepositoryListError,
        build_report,
        count_files,
        find_repositories,
        read_repository_list,
    )
    from mplint.report_html import counted, render

    paths = list(args.paths)
    if args.repos_from is not None:
        try:
            paths += read_repository_list(args.repos_from)
        except RepositoryListError as error:
            print(f"mplint: {error}", file=sys.stderr)
            return EXIT_ERROR
    if not paths:
        paths = [Path(".")]
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        print(f"mplint: {path}: no such file or directory", file=sys.stderr)
    if missing:
        return EXIT_ERROR
    if args.jobs is not None and args.jobs < 1:
        print(f"mplint: --jobs must be at least 1, not {args.jobs}", file=sys.stderr)
        return EXIT_ERROR

    repositories, left_out = find_repositories(paths)
    for folder in left_out:
        print(
            f"mplint: {folder}: left out: it is beside the repositories but not in one "
            "(no pyproject.toml or .git); name it on the command line to include it",
            file=sys.stderr,
        )
    cached: dict[Path, Settings] = {}

    def repository_settings(path: Path) -> Settings:
        if path not in cached:
            cached[path] = settings_for(argparse.Namespace(**{**vars(args), "paths": [path]}))
        return cached[path]

    lang = settings_for(args).lang  # --lang, else [tool.mplint] where the report is made
    with terminal_progress(
        sys.stderr, lambda: count_files(repositories, repository_settings)
    ) as progress:
        report = build_report(
            repositories,
            repository_settings,
            lang=lang,
            jobs=args.jobs,
            use_cache=not args.no_cache,
            progress=progress,
        )
    for repository in report.repositories:
        for finding in repository.findings:
            if finding.name == "configuration-error":
                print(
                    f"mplint: {repository.path}: {finding.message}; the report shows this "
                    "repository without findings",
                    file=sys.stderr,
                )
    page = render(report)
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(page, encoding="utf-8")
    except OSError as error:
        print(f"mplint: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    findings = sum(report.rule_counts.values())
    errors = sum(r.errors for r in report.repositories)
    not_linted = f", {counted(errors, 'file that could not be linted')}" if errors else ""
    print(
        f"mplint: wrote {args.output}: {counted(len(report.repositories), 'repository')}, "
        f"{counted(report.files, 'Python file')}, {counted(findings, 'finding')}{not_linted}"
    )
    return EXIT_WRITTEN
