"""Positions computed per statement must equal libcst's whole-module positions."""

from __future__ import annotations

import libcst as cst
import pytest
from conftest import ROOT
from libcst.metadata import MetadataWrapper, PositionProvider

from mplint.facts import Facts
from mplint.positions import positions_for, source_lines

TRICKY = '''#!/usr/bin/env python
# a header comment

"""Docstring."""
import os; import multiprocessing as mp


@staticmethod
# a comment between decorators
@property
def decorated(x):
    return mp.Process(target=x)

\f
class Outer(
    object,
):
    """Doc."""

    @classmethod
    def make(cls):
        s = """a
multi-line string"""; mp.Queue()
        return cls(mp.Pool(2))


mp.Queue()
TEXT = """
mp.Queue()
"""
mp.Queue()

if __name__ == "__main__":
\tp = mp.Process(target=print, args=("é😀",)); p.start()
'''


def sources() -> list[tuple[str, str]]:
    found = [("tricky", TRICKY), ("tricky-crlf", TRICKY.replace("\n", "\r\n"))]
    for path in sorted((ROOT / "fixtures").glob("MP*/*.py"))[:60]:
        found.append((path.name, path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize(("name", "source"), sources(), ids=[n for n, _ in sources()])
def test_statement_positions_match_the_whole_module(name: str, source: str) -> None:
    module = cst.parse_module(source)
    facts = Facts(module)
    nodes = [*facts.calls, *facts.attribute_uses, *facts.functions]
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    placed = positions_for(module, source, nodes, facts.parent)
    for node in nodes:
        assert placed[node] == expected[node], cst.Module(body=[]).code_for_node(node)


def test_lines_break_only_at_newlines() -> None:
    assert source_lines("a\fb\r\nc\u2028d\re\n") == ["a\fb", "c\u2028d", "e", ""]
