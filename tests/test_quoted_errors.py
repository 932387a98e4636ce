"""Quoted errors are tested, not remembered.

Every broken example runs once on each of CPython 3.11, 3.12 and 3.13 (a
version that is not installed is skipped, and the skip says so). Then:

- it must behave as its ``example.toml`` declares on every version (the
  declared stderr or stdout text, the declared line, the declared hang);
- every error text a rule's pages (English and Chinese) quote, and every one
  its message quotes, must appear in the real output of that rule's broken
  example (or of a small extra program in ``tests/quoted_errors/`` for a
  variant the example does not show) on every version, unless the quote's
  paragraph names the version that differs (e.g. "3.13: ...").

A quote is an exception line: ``SomeError: text`` or ``SomeWarning: text``
(optionally qualified, ``_pickle.PicklingError: ...``), written in backticks,
in single quotes in a message, or as a line of a ```text block. ``...`` and
``…`` in a quote stand for any text (addresses, pids); bare exception names
(`ValueError`) are names in prose, not quotes, and are not checked.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import example_runs
import pytest

from mplint.catalog import RULES
from mplint.config import Settings
from mplint.example_runner import find_examples, judge_broken, load_declaration
from mplint.parallel import lint_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = find_examples(ROOT / "examples")
EXTRA_PROGRAMS = ROOT / "tests" / "quoted_errors"
CODES = sorted(EXAMPLES)
VERSIONS = example_runs.VERSIONS
LANGS = ("en", "zh-CN")

_NAME = r"(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Warning|Exception)"
EXCEPTION_LINE = re.compile(rf"^{_NAME}: \S.*$")
BACKTICKED = re.compile(r"`([^`\n]+)`")
SINGLE_QUOTED = re.compile(rf"'({_NAME}: .+?)'(?=[\s.,;:)。，；：、（）]|$)")
TEXT_BLOCK = re.compile(r"^```text\n(.*?)^```", re.MULTILINE | re.DOTALL)
VERSION = re.compile(r"\b3\.1\d\b")
WILDCARD = re.compile(r"\.\.\.|…")
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_WRAPPED_LINES = 5
_EXTRA_HEADER = re.compile(r"^# (start-method|timeout|also-for): (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Quote:
    text: str
    context: str
    """The paragraph around it: where a version that differs must be named."""
    source: str

    @property
    def versions_named(self) -> set[str]:
        return set(VERSION.findall(self.context))


def _paragraphs(text: str) -> list[str]:
    return [part for part in re.split(r"\n\s*\n", text) if part.strip()]


def page_quotes(text: str, source: str) -> list[Quote]:
    """The exception lines a page quotes, each with its paragraph."""
    quotes: list[Quote] = []
    blocks = list(TEXT_BLOCK.finditer(text))
    for block in blocks:
        before = _paragraphs(text[: block.start()])[-1:] or [""]
        after = _paragraphs(text[block.end() :])[:1] or [""]
        context = "\n".join((before[0], block.group(1), after[0]))
        for line in block.group(1).splitlines():
            if EXCEPTION_LINE.match(line.strip()):
                quotes.append(Quote(line.strip(), context, source))
    # Code blocks hold code and its comments, not quotes: leave them out.
    prose = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    for paragraph in _paragraphs(prose):
        for span in BACKTICKED.findall(paragraph):
            if EXCEPTION_LINE.match(span.strip()):
                quotes.append(Quote(span.strip(), paragraph, source))
    return quotes


def message_quotes(message: str, source: str) -> list[Quote]:
    spans = BACKTICKED.findall(message) + SINGLE_QUOTED.findall(message)
    return [
        Quote(span.strip(), message, source) for span in spans if EXCEPTION_LINE.match(span.strip())
    ]


def printed(quote: str, output: str) -> bool:
    """Is the quote in the output, its pieces around ``...`` in order?

    A quote without ``...`` must be on one line; ``...`` may also stand for a
    line break (CPython wraps some messages), within a few lines.
    """
    # Addresses differ from run to run: `at 0x7f...>` stands for any of them.
    quote, output = ADDRESS.sub("0x", quote), ADDRESS.sub("0x", output)
    pieces = [piece.strip() for piece in WILDCARD.split(quote) if piece.strip()]
    lines = output.splitlines()
    for index, line in enumerate(lines):
        found = line.find(pieces[0])
        if found < 0:
            continue
        window = "\n".join(lines[index : index + _WRAPPED_LINES])
        position = found + len(pieces[0])
        for piece in pieces[1:]:
            found = window.find(piece, position)
            if found < 0:
                break
            position = found + len(piece)
        else:
            return True
    return False


# ------------------------------------------------------------------ the programs


def extra_programs(code: str) -> list[tuple[Path, str, float]]:
    """``tests/quoted_errors/MPxxx_*.py`` (and those naming ``code`` in ``# also-for:``),
    each with its start method and time limit."""
    found = []
    for path in sorted(EXTRA_PROGRAMS.glob("MP*_*.py")):
        header = dict(_EXTRA_HEADER.findall(path.read_text(encoding="utf-8")))
        if path.name.startswith(f"{code}_") or code in header.get("also-for", "").split():
            method, limit = header.get("start-method", "spawn").strip(), header.get("timeout", "20")
            found.append((path, method, float(limit)))
    return found


def programs(code: str) -> list[tuple[Path, str, float]]:
    declaration = load_declaration(EXAMPLES[code])
    return [
        (declaration.broken_path, declaration.start_method, declaration.timeout),
        *extra_programs(code),
    ]


def _expected_seconds(code: str, path: Path, limit: float) -> float:
    declaration = load_declaration(EXAMPLES[code])
    hangs = path == declaration.broken_path and declaration.broken.outcome == "hang"
    return limit if hangs else 1.0


@pytest.fixture(scope="module", autouse=True)
def _start_all_runs(request: pytest.FixtureRequest) -> None:
    """Start every run the selected tests of this module need, at once."""
    codes = {
        item.callspec.params["code"]
        for item in request.session.items
        if item.module is sys.modules[__name__]
        and "code" in getattr(getattr(item, "callspec", None), "params", {})
    }
    example_runs.prefetch(
        (
            example_runs.key(path, method, limit, version),
            _expected_seconds(code, path, limit),
        )
        for code in codes
        for path, method, limit in programs(code)
        for version in VERSIONS
    )


def outputs(code: str) -> dict[str, str]:
    """Everything the rule's programs printed, per installed version."""
    found: dict[str, str] = {}
    for version in VERSIONS:
        if example_runs.python_for(version) is None:
            continue
        texts = []
        for path, method, limit in programs(code):
            result = example_runs.run(path, method, limit, version)
            texts.extend((result.stdout, result.stderr))
        found[version] = "\n".join(texts)
    return found


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def covered(version: str, named: set[str], printed_by: set[str]) -> bool:
    """May a quote be missing from ``version``'s output, given the versions its text names?

    Yes when the text names that version; or names an older version that does not
    print it either (the wording changed there: "3.12 and later: ..."); or names a
    newer version that does print it (the quote is that version's wording: "3.13: ...").
    """
    if version in named:
        return True
    for other in named:
        if _number(other) < _number(version) and other not in printed_by:
            return True
        if _number(other) > _number(version) and other in printed_by:
            return True
    return False


def verdicts(quotes: list[Quote], code: str) -> list[str]:
    """What is wrong with the quotes: none printed, or a difference the text hides."""
    by_version = outputs(code)
    problems = []
    for quote in quotes:
        where = {version for version, output in by_version.items() if printed(quote.text, output)}
        if where == set(by_version):
            continue
        if not where:
            problems.append(
                f"{quote.source}: {quote.text!r} is printed by no version "
                f"({', '.join(sorted(by_version))})"
            )
            continue
        named = quote.versions_named & set(VERSIONS)
        hidden = sorted(v for v in set(by_version) - where if not covered(v, named, where))
        if hidden:
            problems.append(
                f"{quote.source}: {quote.text!r} is not printed by {', '.join(hidden)}, "
                f"and its text does not say so (it names {', '.join(sorted(named)) or 'no version'})"
            )
    return problems


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("code", CODES)
def test_broken_example_behaves_as_declared_on_every_version(code: str, version: str) -> None:
    if example_runs.python_for(version) is None:
        pytest.skip(example_runs.missing_reason(version))
    declaration = load_declaration(EXAMPLES[code])
    result = example_runs.run(
        declaration.broken_path, declaration.start_method, declaration.timeout, version
    )
    report = judge_broken(
        declaration.broken, result, declaration.timeout, script=declaration.broken_path
    )
    assert report.matches, (
        f"{code} broken.py on {version}: {report.mismatch}\n"
        f"--- stdout ---\n{result.stdout[-2000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", CODES)
def test_errors_quoted_in_the_pages_are_printed(code: str, lang: str) -> None:
    page = ROOT / "rules" / (f"{code}.md" if lang == "en" else f"{lang}/{code}.md")
    if not page.is_file():
        pytest.fail(f"{page} is missing")
    quotes = page_quotes(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))
    problems = verdicts(quotes, code)
    assert not problems, "\n".join(problems)


@functools.cache
def _messages(lang: str) -> dict[str, list[tuple[str, int, str]]]:
    """Every message each rule gives on its broken example and its fixtures, in ``lang``:
    code -> [(path, line, message)]. Linted once, in two processes."""
    paths = [EXAMPLES[code] / "broken.py" for code in CODES]
    paths += sorted((ROOT / "fixtures").glob("MP*/*.py"))
    settings = Settings(select=("ALL",), lang=lang)
    found: dict[str, list[tuple[str, int, str]]] = {}
    for result in lint_files(paths, settings, jobs=2):
        path = Path(result.path)
        own = path.parent.name[:5]  # examples/MP101-name/ or fixtures/MP101/
        for diagnostic in result.diagnostics:
            if diagnostic.code == own:
                where = (str(path.relative_to(ROOT)), diagnostic.line, diagnostic.message)
                found.setdefault(own, []).append(where)
    return found


@pytest.mark.parametrize("code", CODES)
def test_errors_quoted_in_the_messages_are_printed(code: str) -> None:
    """Every variant of the message: on the broken example and on every fixture."""
    quotes: dict[str, Quote] = {}
    for lang in LANGS:
        for path, line, message in _messages(lang).get(code, []):
            where = f"{code} message ({lang}, on {path}:{line})"
            for quote in message_quotes(message, where):
                quotes.setdefault(quote.text, quote)
    problems = verdicts(list(quotes.values()), code)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------ the extraction itself


def test_quotes_are_found_in_backticks_text_blocks_and_messages() -> None:
    page = (
        "Intro.\n\n```text\nRuntimeError:\n    context\nTypeError: cannot pickle 'x'\n```\n\n"
        "It says `AttributeError: Can't get local object 'f'` (3.13), not `ValueError`.\n\n"
        "```python\nraise KeyError('x')  # KeyError: 'x'\n```\n"
    )
    quotes = page_quotes(page, "page")
    assert [q.text for q in quotes] == [
        "TypeError: cannot pickle 'x'",
        "AttributeError: Can't get local object 'f'",
    ]
    assert quotes[1].versions_named == {"3.13"}
    message = "dies with 'TypeError: cannot pickle '_thread.lock' object'. Or `OSError: [Errno 9]`."
    assert [q.text for q in message_quotes(message, "m")] == [
        "OSError: [Errno 9]",
        "TypeError: cannot pickle '_thread.lock",
    ]


def test_a_quote_matches_with_wildcards_on_one_line_only() -> None:
    output = "x\n_pickle.PicklingError: Can't pickle <function <lambda> at 0x7f01>: attribute\n"
    assert printed("PicklingError: Can't pickle <function <lambda> at 0x7f...>: attribute", output)
    assert printed("PicklingError: Can't pickle <function <lambda> at 0x…", output)
    assert not printed("PicklingError: Can't pickle local object", output)
    assert not printed("PicklingError...zzz", output)
    wrapped = "RuntimeError: \n        An attempt has been made ... before the\n        bootstrapping phase.\n"
    assert printed("RuntimeError: ... bootstrapping phase", wrapped)
    assert not printed("RuntimeError: An attempt", wrapped)


def test_a_version_that_differs_must_be_named() -> None:
    everywhere = {"3.11", "3.12", "3.13"}
    # "3.13: `Can't get local object`": the old wording is missing only from 3.13.
    assert covered("3.13", {"3.13"}, everywhere - {"3.13"})
    # ... and the 3.13 wording, missing from 3.11 and 3.12, is labelled as 3.13's.
    assert covered("3.11", {"3.13"}, {"3.13"}) and covered("3.12", {"3.13"}, {"3.13"})
    # "3.12 and later: ...": a wording that changed in 3.12 is missing from 3.13 too.
    assert covered("3.13", {"3.12"}, {"3.11"})
    # "3.13 says ..." about a wording that changed in 3.12 hides 3.12.
    assert not covered("3.12", {"3.13"}, {"3.11"})
    assert not covered("3.12", set(), {"3.11", "3.13"})


def test_every_rule_with_an_example_is_covered() -> None:
    assert set(CODES) <= set(RULES) and len(CODES) >= 40
