"""Every message says the same thing in both languages: the same placeholders in each
variant and phrase, and no English left in the Chinese text outside code and quoted errors."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from mplint import checks
from mplint.checks import MESSAGES, Phrase
from mplint.config import Settings
from mplint.engine import lint_source

# Names of Python objects, platforms and tools: Chinese text names them as they are.
TERMS = {
    "Array", "AsyncResult", "Barrier", "BrokenPipeError", "Condition", "ConnectionRefusedError",
    "Event", "False", "FileNotFoundError", "Future", "Linux", "Lock", "Manager", "None",
    "NotImplementedError", "Pipe", "Pool", "Process", "ProcessPoolExecutor", "Python", "Queue",
    "RLock", "RawArray", "RawValue", "RuntimeError", "SSH", "Semaphore", "ThreadPoolExecutor",
    "True", "VPN", "Value", "Windows", "fork", "forkserver", "lambda", "macOS", "multiprocessing",
    "pickle", "spawn", "functools.partial", "Celery", "Flask", "FastAPI", "Django", "DataLoader",
    "joblib", "torch", "SIGCHLD",
}  # fmt: skip
CODE = re.compile(r"`[^`]*`")
# A quoted error text: from an opening quote to the quote before the next Chinese character
# or the end (quoted texts may contain quotes themselves).
QUOTED = re.compile(r"'[^\u4e00-\u9fff\uff08\uff09\u3002\uff0c\uff1a\uff1b]*'")
WORD = re.compile(r"[A-Za-z][A-Za-z_.]*[A-Za-z]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def every_phrase() -> Iterator[tuple[str, Phrase]]:
    """Phrases kept in the check modules' tables (constants, dicts, tuples, dataclasses)."""

    def walk(where: str, value: object, depth: int = 0) -> Iterator[tuple[str, Phrase]]:
        if isinstance(value, Phrase):
            yield where, value
        elif depth < 3 and isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{where}[{key!r}]", item, depth + 1)
        elif depth < 3 and isinstance(value, tuple | list):
            for index, item in enumerate(value):
                yield from walk(f"{where}[{index}]", item, depth + 1)
        elif depth < 3 and dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                yield from walk(f"{where}.{field.name}", getattr(value, field.name), depth + 1)

    for info in pkgutil.walk_packages(checks.__path__, "mplint.checks."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            yield from walk(f"{module.__name__}.{name}", value)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_each_variant_takes_the_same_placeholders_in_both_languages(code: str) -> None:
    for variant, message in MESSAGES[code].items():
        assert fields(message.en) == fields(message.zh), (code, variant)


def test_each_phrase_takes_the_same_placeholders_in_both_languages() -> None:
    phrases = list(every_phrase())
    assert len(phrases) > 50, "the phrase tables were not found"
    for where, phrase in phrases:
        assert fields(phrase.en) == fields(phrase.zh), where


def english_words(message: str) -> set[str]:
    prose = QUOTED.sub("", CODE.sub("", message))
    return {word for word in WORD.findall(prose) if word not in TERMS}


def test_the_english_word_finder_sees_leftovers() -> None:
    assert english_words("进程的 `start()` 会报 'RuntimeError: it failed'。") == set()
    assert english_words("它的 worker processes 会一直运行") == {"worker", "processes"}


def linted_files() -> list[Path]:
    return sorted(ROOT.glob("fixtures/MP*/*.py")) + sorted(ROOT.glob("examples/*/*.py"))


def test_chinese_messages_have_no_english_outside_code_and_quoted_errors() -> None:
    settings = dataclasses.replace(Settings(), extend_select=("MP9",), lang="zh-CN")
    leftovers: dict[str, str] = {}
    seen = 0
    for path in linted_files():
        result = lint_source(path.read_text(encoding="utf-8"), str(path), settings)
        for diagnostic in result.diagnostics:
            seen += 1
            for word in english_words(diagnostic.message):
                leftovers.setdefault(word, f"{path.relative_to(ROOT)}: {diagnostic.message}")
    assert seen > 200, "the fixtures gave too few findings to judge the Chinese messages"
    assert leftovers == {}
