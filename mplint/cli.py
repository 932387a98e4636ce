"""The ``mplint`` command: check | report | rules | explain | example | lsp."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mplint import __version__
from mplint.catalog import RULES, examples_dir, normalize_lang, page_text
from mplint.config import (
    START_METHOD_CHOICES,
    ConfigError,
    Settings,
    load_settings,
    validate_codes,
)
from mplint.engine import LintResult, lint_source
from mplint.formats import (
    FORMATS,
    STATISTICS_FORMATS,
    applies,
    fix_summary,
    format_statistics,
    printable,
)
from mplint.interrupts import Terminated, exit_status, handled
from mplint.notebook import is_notebook_path
from mplint.report_cli import add_report_parser, command_report

if TYPE_CHECKING:
    from mplint.fixes import FixOutcome, SourceFile

# mplint.cache and mplint.parallel (multiprocessing) are imported
# where they are used: a run that lints nothing does not pay for them.

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mplint",
        description="A linter and teacher for Python multiprocessing pitfalls.",
    )
    parser.add_argument("--version", action="version", version=f"mplint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="lint files and directories")
    check.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    check.add_argument("--select", help="comma-separated codes or prefixes to enable")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--extend-select", help="codes or prefixes to enable on top of select")
    check.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="text (default), concise, json, sarif (SARIF 2.1.0) or github (workflow annotations)",
    )
    check.add_argument(
        "--statistics", action="store_true", help="print a count per code instead of each finding"
    )
    check.add_argument("--output-file", type=Path, help="write the report to this file")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply `exclude` to files named on the command line too (for pre-commit)",
    )
    check.add_argument("--config", type=Path, help="a pyproject.toml to read [tool.mplint] from")
    check.add_argument("--start-method", choices=START_METHOD_CHOICES)
    check.add_argument("--lang", help="message language: en or zh-CN")
    check.add_argument("--stdin-filename", help="lint standard input, reporting it under this name")
    check.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        help="lint in this many processes (default: the number of CPUs)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the results cache (.mplint_cache)",
    )
    check.add_argument(
        "--fix",
        action="store_true",
        help="apply safe fixes in place (standard input: print the fixed text)",
    )
    check.add_argument(
        "--diff",
        action="store_true",
        help="print the fixes as a unified diff instead of applying them; exit 1 if any",
    )
    check.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix or --diff, apply unsafe fixes too (they change behaviour on purpose)",
    )

    rules = commands.add_parser(
        "rules", help="list every rule with its name and default state, then the guides"
    )
    rules.add_argument("--lang", help="en or zh-CN (default: [tool.mplint] lang, then LANG)")
    rules.add_argument("--config", type=Path, help="a pyproject.toml to read [tool.mplint] from")

    explain = commands.add_parser(
        "explain", help="show a rule's page (MP101) or a guide (guide:ctrl-c) in the terminal"
    )
    explain.add_argument("code", help="a rule code, or a guide's name (see `mplint rules`)")
    explain.add_argument("--lang", help="en or zh-CN (default: [tool.mplint] lang, then LANG)")
    explain.add_argument("--config", type=Path, help="a pyproject.toml to read [tool.mplint] from")

    example = commands.add_parser(
        "example", help="show a rule's runnable broken/fixed pair, or run it (--run)"
    )
    example.add_argument("code")
    example.add_argument(
        "--run", action="store_true", help="run both programs and compare with the declaration"
    )
    example.add_argument(
        "--full",
        action="store_true",
        help="with --run, show everything both programs printed, not only the telling lines",
    )
    example.add_argument("--lang", help="en or zh-CN (default: [tool.mplint] lang, then LANG)")
    example.add_argument("--config", type=Path, help="a pyproject.toml to read [tool.mplint] from")

    add_report_parser(commands)

    lsp = commands.add_parser("lsp", help="run the language server (stdio unless --tcp)")
    lsp.add_argument("--tcp", action="store_true", help="listen on TCP instead of stdio")
    lsp.add_argument(
        "--host", default="127.0.0.1", help="a loopback address to listen on (default: 127.0.0.1)"
    )
    lsp.add_argument("--port", type=int, default=2087, help="TCP port (default: 2087)")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "lsp":  # the language server keeps its own ways of stopping
        return run_command(parser, args)
    try:
        with handled():
            return run_command(parser, args)
    except KeyboardInterrupt:
        print("mplint: stopped by Ctrl-C (SIGINT)", file=sys.stderr)
        return exit_status(signal.SIGINT)
    except Terminated:
        print("mplint: stopped by SIGTERM", file=sys.stderr)
        return exit_status(signal.SIGTERM)


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        if args.command == "check":
            return command_check(args)
        if args.command == "rules":
            return command_rules(args)
        if args.command == "explain":
            return command_explain(args)
        if args.command == "example":
            return command_example(args)
        if args.command == "report":
            return command_report(args, settings_for)
        if args.command == "lsp":
            from mplint.lsp import main as lsp_main

            return lsp_main(args)
    except ConfigError as error:
        print(f"mplint: configuration error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    parser.print_help()
    return EXIT_ERROR


def settings_for(args: argparse.Namespace) -> Settings:
    start = args.paths[0] if getattr(args, "paths", None) else Path.cwd()
    skipped: list[str] = []
    settings = load_settings(start if _exists(start) else Path.cwd(), args.config, skipped)
    for why in skipped:
        print(f"mplint: {printable(why)}", file=sys.stderr)
    changes: dict[str, object] = {}
    for flag in ("select", "ignore", "extend_select"):
        value = getattr(args, flag, None)
        if value is not None:
            parts = [p for p in value.replace(" ", ",").split(",") if p]
            changes[flag] = validate_codes(parts, f"--{flag.replace('_', '-')}")
    if getattr(args, "start_method", None):
        changes["start_method"] = args.start_method
    if getattr(args, "lang", None):
        changes["lang"] = normalize_lang(args.lang)
    if getattr(args, "force_exclude", False):
        changes["force_exclude"] = True
    return settings.replace(**changes)


def _exists(path: Path) -> bool:
    """Is there something by that name (a dangling symlink counts)? A name that cannot be
    looked at (a folder on the way may not be entered) counts too: linting it says why."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def command_check(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.stdin_filename:
        data = sys.stdin.buffer.read()
        results = [lint_source(data, args.stdin_filename, settings)]
        if args.fix or args.diff:
            return fix_stdin(data, results[0], args, settings)
    else:
        paths = args.paths or [Path(".")]
        missing = [p for p in paths if not _exists(p)]
        for path in missing:
            print(f"mplint: {printable(str(path))}: no such file or directory", file=sys.stderr)
        if missing:
            return EXIT_ERROR
        from mplint.cache import Cache
        from mplint.engine import iter_python_files
        from mplint.parallel import lint_files
        from mplint.progress import terminal_progress

        cache = None if args.no_cache else Cache(settings.project_root or Path.cwd(), settings)
        count = lambda: sum(1 for _ in iter_python_files(paths, settings))  # noqa: E731
        with terminal_progress(sys.stderr, count) as progress:
            results = lint_files(paths, settings, jobs=args.jobs, cache=cache, progress=progress)
    if args.diff:
        return diff_files(results, args.unsafe_fixes, settings)
    written = True
    if args.fix:
        results, written = fix_files(results, args.unsafe_fixes, settings)
    status = report(
        results,
        args.format,
        args.exit_zero,
        statistics=args.statistics,
        output_file=args.output_file,
        settings=settings,
        unsafe_fixes=args.unsafe_fixes,
    )
    return status if written else EXIT_ERROR


def _fixable(result: LintResult, unsafe: bool) -> bool:
    return any(applies(d.fix, unsafe) for d in result.diagnostics)


def _fix_file(
    result: LintResult, unsafe: bool, settings: Settings
) -> tuple[SourceFile, FixOutcome]:
    """Read the file again and lint that text, so the fixes match what is on disk now."""
    from mplint.fixes import fix_source, read_source_file

    if is_notebook_path(result.path):
        from mplint.notebook_fixes import fix_notebook_file

        return fix_notebook_file(Path(result.path), unsafe, settings)

    source = read_source_file(Path(result.path))
    fresh = lint_source(source.text, result.path, settings)
    outcome = fix_source(
        source.text, fresh.diagnostics, unsafe, settings=settings, path=result.path
    )
    if outcome.result is None:
        outcome.result = fresh
    return source, outcome


def diff_files(results: list[LintResult], unsafe: bool, settings: Settings) -> int:
    """``--diff``: the fixes as a unified diff; exit 1 when anything would change."""
    from mplint.fixes import unified_diff

    changed = count = 0
    failed = False
    for result in results:
        if not _fixable(result, unsafe):
            continue
        try:
            source, outcome = _fix_file(result, unsafe, settings)
        except (OSError, SyntaxError, ValueError) as error:  # ValueError: UnicodeError too
            print(f"mplint: cannot read {printable(result.path)}: {error}", file=sys.stderr)
            failed = True
            continue
        if outcome.source != source.text:
            write_diff(unified_diff(result.path, source.text, outcome.source))
            changed += 1
            count += len(outcome.applied)
    if changed:
        print(f"mplint: would fix {count} finding(s) in {changed} file(s)", file=sys.stderr)
    if failed:
        return EXIT_ERROR
    return EXIT_FINDINGS if changed else EXIT_CLEAN


def fix_files(
    results: list[LintResult], unsafe: bool, settings: Settings
) -> tuple[list[LintResult], bool]:
    """``--fix``: rewrite each file that has fixes. Returns the findings that remain, and
    whether every file that needed it could be read and written."""
    from mplint.fixes import NotWritten, write_source

    remaining: list[LintResult] = []
    count = files = 0
    ok = True
    for result in results:
        if not _fixable(result, unsafe):
            remaining.append(result)
            continue
        try:
            source, outcome = _fix_file(result, unsafe, settings)
            if outcome.source != source.text:
                write_source(
                    Path(result.path), outcome.source, source.encoding, expected=source.data
                )
        except (
            OSError,
            SyntaxError,
            ValueError,
            NotWritten,
        ) as error:  # ValueError: UnicodeError too
            print(f"mplint: cannot fix {printable(result.path)}: {error}", file=sys.stderr)
            remaining.append(result)
            ok = False
            continue
        if outcome.applied:
            count += len(outcome.applied)
            files += 1
        remaining.append(outcome.result or result)
    if count:
        print(f"mplint: fixed {count} finding(s) in {files} file(s)", file=sys.stderr)
    return remaining, ok


def fix_stdin(data: bytes, result: LintResult, args: argparse.Namespace, settings: Settings) -> int:
    """Standard input with ``--fix``: print the fixed text; with ``--diff``: the diff."""
    from mplint.fixes import SourceFile, decode_source_file, fix_source, unified_diff

    try:
        if is_notebook_path(result.path):
            from mplint.notebook_fixes import NOTEBOOK_ENCODING, fix_notebook_text

            source = SourceFile(data.decode(NOTEBOOK_ENCODING), NOTEBOOK_ENCODING, data)
            outcome = fix_notebook_text(source.text, result.path, args.unsafe_fixes, settings)
        else:
            source = decode_source_file(data)
            outcome = fix_source(
                source.text,
                result.diagnostics,
                args.unsafe_fixes,
                settings=settings,
                path=result.path,
            )
    except (SyntaxError, ValueError) as error:  # ValueError: UnicodeDecodeError too
        print(f"mplint: cannot read standard input: {error}", file=sys.stderr)
        return EXIT_ERROR
    if args.diff:
        if outcome.source != source.text:
            write_diff(unified_diff(result.path, source.text, outcome.source))
            return EXIT_FINDINGS
        return EXIT_CLEAN
    sys.stdout.buffer.write(outcome.source.encode(source.encoding))
    sys.stdout.flush()
    final = outcome.result or result
    return (
        EXIT_FINDINGS if (final.diagnostics or final.error) and not args.exit_zero else EXIT_CLEAN
    )


def report(
    results: list[LintResult],
    format_name: str,
    exit_zero: bool,
    *,
    statistics: bool = False,
    output_file: Path | None = None,
    settings: Settings | None = None,
    unsafe_fixes: bool = False,
) -> int:
    if statistics and format_name not in STATISTICS_FORMATS:
        print(
            f"mplint: --statistics works with --format {', '.join(STATISTICS_FORMATS)}, "
            f"not {format_name}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    color = (
        format_name in ("text", "concise")
        and output_file is None
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    shown = [r for r in results if r.diagnostics or r.error]
    if statistics:
        text = format_statistics(shown, format_name, unsafe_fixes)
    else:
        settings = settings or Settings()
        if format_name in ("text", "concise"):
            text = FORMATS[format_name](
                shown,
                color,
                docs_url=settings.docs_url,
                lang=settings.lang,
                unsafe_fixes=unsafe_fixes,
            )
            summary = fix_summary(shown, unsafe_fixes, settings.lang)
            text = f"{text}\n{summary}" if text and summary else text
        else:
            text = FORMATS[format_name](
                shown, color, docs_url=settings.docs_url, lang=settings.lang
            )
    if output_file is not None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            output_file.write_text(
                text + "\n" if text else "", encoding="utf-8", errors="backslashreplace"
            )
        except OSError as error:
            print(
                f"mplint: cannot write {printable(str(output_file))}: {error.strerror or error}",
                file=sys.stderr,
            )
            return EXIT_ERROR
    elif text:
        print_report(text)
    for result in results:
        for check_name, _ in result.internal_errors:
            print(
                f"mplint: internal error in {check_name} on {printable(result.path)}; "
                "other checks still ran. Please report it.",
                file=sys.stderr,
            )
    failed = any(r.diagnostics or r.error for r in results)
    return EXIT_FINDINGS if failed and not exit_zero else EXIT_CLEAN


def write_diff(diff: str) -> None:
    """A diff is for ``patch`` and ``git apply``: a file name that is not UTF-8 is written
    as its own bytes, so that the diff still names the file."""
    sys.stdout.flush()
    sys.stdout.buffer.write(diff.encode(sys.stdout.encoding or "utf-8", "surrogateescape"))
    sys.stdout.flush()


def print_report(text: str) -> None:
    """Print the report whatever standard output's encoding: what it cannot encode (a
    Chinese message to an ASCII pipe) is written as backslash escapes, not lost."""
    try:
        print(text)
    except UnicodeEncodeError:
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\n").encode(encoding, "backslashreplace"))
        sys.stdout.flush()


def command_rules(args: argparse.Namespace) -> int:
    from mplint.catalog import guide_names, guide_text, rule_summary

    lang = settings_for(args).lang
    width = max(len(rule.name) for rule in RULES.values())
    on, off = ("开启", "关闭（需手动开启）") if lang == "zh-CN" else ("on", "off (opt-in)")
    state_width = max(_display_width(on), _display_width(off))
    for rule in RULES.values():
        state = on if rule.default_on else off
        padding = " " * (state_width - _display_width(state))
        print(
            f"{rule.code}  {rule.name:<{width}}  {state}{padding}  {rule_summary(rule.code, lang)}"
        )
    names = guide_names()
    if names:
        heading = (
            "指南（mplint explain guide:名称）"
            if lang == "zh-CN"
            else "Guides (mplint explain guide:NAME)"
        )
        print(f"\n{heading}")
        guide_width = max(len(name) for name in names)
        for name in names:
            title = render_inline((guide_text(name, lang) or "").split("\n", 1)[0][2:].strip())
            print(f"guide:{name:<{guide_width}}  {title}")
    return EXIT_CLEAN


def command_explain(args: argparse.Namespace) -> int:
    from mplint.catalog import guide_name, guide_text

    lang = settings_for(args).lang
    code = args.code.strip().upper()
    name = None if code in RULES else guide_name(args.code)
    if code not in RULES and name is None:
        print(f"mplint: unknown rule or guide {args.code!r}; see `mplint rules`", file=sys.stderr)
        return EXIT_ERROR
    text = page_text(code, lang) if name is None else guide_text(name, lang)
    if text is None:
        what = code if name is None else f"guide:{name}"
        print(f"mplint: the page for {what} is missing from this installation", file=sys.stderr)
        return EXIT_ERROR
    styled = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(render_markdown(text, styled=styled))
    return EXIT_CLEAN


_EXAMPLE_WORDS = {
    "en": {
        "unknown": "mplint: no example for {code!r}; see `mplint rules`",
        "method": "start method: {method}, time limit: {timeout:g} s",
        "run both": "Run both: mplint example {code} --run",
        "expected": "expected",
        "happened": "happened",
        "as declared": "as declared",
        "yes": "yes",
        "no": "NO: {why}",
        "stdout": "stdout",
        "stderr": "stderr",
        "last lines": "{stream} (the telling lines; --full shows all):",
        "all": "{stream}:",
        "nothing": "(nothing)",
        "label": "  {label}: ",
    },
    "zh-CN": {
        "unknown": "mplint：{code!r} 没有示例；请看 `mplint rules`",
        "method": "启动方式：{method}，时间限制：{timeout:g} 秒",
        "run both": "运行这两个程序：mplint example {code} --run",
        "expected": "预期",
        "happened": "实际",
        "as declared": "符合声明",
        "yes": "是",
        "no": "否：{why}",
        "stdout": "标准输出",
        "stderr": "标准错误",
        "last lines": "{stream}（关键的几行；--full 显示全部）：",
        "all": "{stream}：",
        "nothing": "（没有输出）",
        "label": "  {label}：",
    },
}


def command_example(args: argparse.Namespace) -> int:
    from mplint.example_runner import check_example, find_examples, load_declaration

    lang = settings_for(args).lang
    words = _EXAMPLE_WORDS["zh-CN" if lang == "zh-CN" else "en"]
    code = args.code.strip().upper()
    directory = find_examples(examples_dir()).get(code)
    if code not in RULES or directory is None:
        print(words["unknown"].format(code=args.code), file=sys.stderr)
        return EXIT_ERROR
    declaration = load_declaration(directory)
    print(f"{code} {RULES[code].name}: {directory}")
    print(words["method"].format(method=declaration.start_method, timeout=declaration.timeout))
    if not args.run:
        for name, expectation in (("broken", declaration.broken), ("fixed", declaration.fixed)):
            path = directory / f"{name}.py"
            print(f"\n--- {path} ---")
            print(_wrapped(expectation.describe(lang), ""))
            print()
            print(path.read_text(encoding="utf-8").rstrip())
        print("\n" + words["run both"].format(code=code))
        return EXIT_CLEAN
    report = check_example(directory, lang=lang)
    for side, expectation in (
        (report.broken, declaration.broken),
        (report.fixed, declaration.fixed),
    ):
        script = directory / f"{side.side}.py"
        verdict = words["yes"] if side.matches else words["no"].format(why=side.mismatch)
        print(f"\n{side.side}.py")
        for label, text in (
            (words["expected"], expectation.describe(lang)),
            (words["happened"], side.summary),
            (words["as declared"], verdict),
        ):
            print(_wrapped(text, words["label"].format(label=label)))
        for stream in ("stdout", "stderr"):
            lines = _shown_output(side, stream, script, expectation, full=args.full)
            if lines is None:
                continue
            heading = words["all" if args.full else "last lines"].format(stream=words[stream])
            print(f"  {heading}")
            for line in lines or [words["nothing"]]:
                print(f"    {line}")
    return EXIT_CLEAN if report.matches else EXIT_FINDINGS


def _shown_output(
    side: object, stream: str, script: Path, expectation: object, *, full: bool
) -> list[str] | None:
    """What to print of one stream of one run: all of it with ``full``; else the
    traceback's telling lines (stderr) or the last lines (stdout). None: nothing to show."""
    from mplint.example_runner import traceback_excerpt

    text: str = getattr(side.result, stream)  # type: ignore[attr-defined]
    if full:
        return text.rstrip("\n").splitlines()
    if not text.strip():
        return None
    if stream == "stderr":
        wanted = getattr(expectation, "stderr", None)
        return traceback_excerpt(text, script.resolve(), wanted)
    return [line.rstrip() for line in text.splitlines() if line.strip()][-5:]


def _wrapped(text: str, label: str) -> str:
    """``label`` then ``text`` wrapped to the terminal (CJK text counts double)."""
    width = max(40, min(100, _terminal_width()) - _display_width(label) - 2)
    if any(_display_width(ch) == 2 for ch in text):
        lines, current = [], ""
        for ch in text:
            if _display_width(current + ch) > width:
                lines.append(current)
                current = ""
            current += ch
        lines.append(current)
    else:
        lines = textwrap.wrap(text, width) or [""]
    indent = " " * _display_width(label)
    return "\n".join((label if index == 0 else indent) + line for index, line in enumerate(lines))


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![A-Za-z0-9_*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD_ON, _BOLD_OFF, _ITALIC_ON, _ITALIC_OFF = "\033[1m", "\033[22m", "\033[3m", "\033[23m"


def _link_target(target: str) -> str:
    """A page link said the way a terminal reader can follow it: as an mplint command."""
    name = target.rsplit("/", 1)[-1].removesuffix(".md")
    if "guides/" in target and target.endswith(".md"):
        return f"mplint explain guide:{name}"
    if re.fullmatch(r"MP\d{3}", name):
        return f"mplint explain {name}"
    return target


def _render_link(match: re.Match[str]) -> str:
    label, target = match.group(1), _link_target(match.group(2))
    return label if target == f"mplint explain {label}" else f"{label} ({target})"


def render_inline(line: str, *, styled: bool = False) -> str:
    """One line of Markdown prose for the terminal: code spans lose their backticks,
    **bold** and *italic* become ANSI bold and italic (``styled``) or plain text, and a
    link shows where it leads. Nothing inside a code span is touched."""
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match.group(2))
        return f"\ue000{len(spans) - 1}\ue001"

    text = _CODE_SPAN.sub(hide, line)
    text = _LINK.sub(_render_link, text)
    bold = (_BOLD_ON, _BOLD_OFF) if styled else ("", "")
    italic = (_ITALIC_ON, _ITALIC_OFF) if styled else ("", "")
    text = _BOLD.sub(lambda m: f"{bold[0]}{m.group(1)}{bold[1]}", text)
    text = _ITALIC.sub(lambda m: f"{italic[0]}{m.group(1)}{italic[1]}", text)
    return re.sub("\ue000(\\d+)\ue001", lambda m: spans[int(m.group(1))], text)


def render_markdown(text: str, *, styled: bool = False) -> str:
    """Markdown made readable in a terminal: headings underlined, code indented, emphasis
    rendered (ANSI bold/italic when ``styled``, else just the words)."""
    out: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            out.append("    " + line)
        elif line.startswith("# ") or line.startswith("## "):
            level, title = line.split(" ", 1)
            title = render_inline(title.strip())
            rule = ("=" if level == "#" else "-") * _display_width(title)
            out.extend([f"{_BOLD_ON}{title}{_BOLD_OFF}" if styled else title, rule])
        else:
            out.append(render_inline(line, styled=styled))
    return "\n".join(out)


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


if __name__ == "__main__":
    sys.exit(main())
