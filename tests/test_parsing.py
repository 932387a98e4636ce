"""mplint.parsing: libcst's parse without node validation, and validation back after it."""

from __future__ import annotations

import threading
from pathlib import Path

import libcst as cst
import pytest

from mplint import parsing

ROOT = Path(__file__).resolve().parent.parent


def test_parse_gives_the_tree_libcst_gives() -> None:
    for path in sorted((ROOT / "mplint").rglob("*.py"))[:40]:
        text = path.read_text(encoding="utf-8")
        ours = parsing.parse_module(text)
        assert ours.code == text
        assert ours.deep_equals(cst.parse_module(text)), path


def test_nodes_built_by_hand_are_checked_after_a_parse() -> None:
    parsing.parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_syntax_errors_still_raise_and_leave_checking_on() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parsing.parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_a_partial_config_gives_what_libcst_gives_with_it() -> None:
    config = cst.PartialParserConfig(default_indent="\t", default_newline="\r\n")
    text = "if x:\r\n\ty = 1\r\n"
    module = parsing.parse_module(text, config)
    assert module.deep_equals(cst.parse_module(text, config))
    assert module.code == text


def test_threads_parsing_at_once_leave_checking_on_when_all_are_done() -> None:
    text = (ROOT / "mplint" / "facts.py").read_text(encoding="utf-8")
    errors: list[BaseException] = []

    def parse() -> None:
        try:
            for _ in range(3):
                parsing.parse_module(text)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=parse) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert parsing._holders == 0
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_the_parse_does_not_check_its_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    validate = cst.Name._validate

    def counting(self: cst.Name) -> None:
        checked.append(self.value)
        validate(self)

    monkeypatch.setattr(cst.Name, "_validate", counting)
    module = parsing.parse_module("alpha = beta(gamma)\n")
    assert module.code == "alpha = beta(gamma)\n"
    assert checked == []
    cst.Name("delta")
    assert checked == ["delta"]
