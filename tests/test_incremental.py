"""The language server's incremental parse gives what a whole parse gives."""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest

from mplint.catalog import RULES
from mplint.config import Settings
from mplint.engine import lint_source
from mplint.incremental import IncrementalParser

ROOT = Path(__file__).resolve().parent.parent
BASES = sorted(ROOT.glob("examples/*/broken.py"))[:12] + sorted(ROOT.glob("fixtures/MP2*/bad_*.py"))
SNIPPETS = [
    "x = 1\n",
    "    y = 2\n",
    "        z = 3\n",
    "# a comment\n",
    "    # an indented comment\n",
    "\n",
    "    \n",
    "else:\n    pass\n",
    "def added():\n    return 1\n",
    "class Added:\n    pass\n",
    "@decorator\n",
    "if x:\n",
    "(",
    ")",
    '"""',
    "\\\n",
    "p = multiprocessing.Process(target=print)\np.start()\n",
    "worker.join()\n",
    "import multiprocessing\n",
    "elif y:\n    pass\n",
]


def document(seed: int) -> str:
    """Several fixtures one after another: long enough to be parsed incrementally."""
    chooser = random.Random(seed)
    parts = [path.read_text(encoding="utf-8") for path in chooser.sample(BASES, 7)]
    return "import multiprocessing\n\n" + "\n\n".join(parts)


def edit(text: str, chooser: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    where = chooser.randrange(len(lines) + 1)
    kind = chooser.random()
    if kind < 0.5:  # insert a snippet at a line start, or inside a line
        snippet = chooser.choice(SNIPPETS)
        if chooser.random() < 0.8:
            return "".join(lines[:where]) + snippet + "".join(lines[where:])
        at = chooser.randrange(len(text) + 1)
        return text[:at] + snippet + text[at:]
    if kind < 0.8:  # delete some lines
        count = chooser.randint(1, 4)
        return "".join(lines[:where] + lines[where + count :])
    at = chooser.randrange(len(text) + 1)  # type or delete a character
    if chooser.random() < 0.5:
        return text[:at] + chooser.choice("x :(\n#'") + text[at:]
    return text[:at] + text[at + 1 :]


def outcome(source: str, parser: IncrementalParser | None) -> object:
    result = lint_source(source, "doc.py", Settings(), codes=list(RULES), parser=parser)
    error = (result.error.message, result.error.line) if result.error else None
    return [(d.code, d.line, d.column, d.end_line, d.end_column) for d in result.diagnostics], error


@pytest.mark.parametrize("seed", range(8))
def test_random_edits_lint_as_a_whole_parse_does(seed: int) -> None:
    chooser = random.Random(seed)
    text = document(seed)
    parser = IncrementalParser()
    reused = 0
    valid = text
    for _ in range(30):
        text = edit(valid, chooser)
        expected = outcome(text, None)
        assert outcome(text, parser) == expected, text
        reused += parser.reused
        if expected[1] is None:  # it parses: go on from here, else undo the typo
            valid = text
            if parser.source == text:
                assert parser.module is not None and parser.module.code == text
    assert reused > 0  # the incremental path was taken


def test_kept_statements_are_the_same_nodes_and_keep_their_positions() -> None:
    text = document(1)
    parser = IncrementalParser()
    first = parser.parse(text)
    second = parser.parse(text + "# one more line\n")
    assert second.body[0] is first.body[0] and second.body[-2] is first.body[-2]
    assert second.code == text + "# one more line\n"


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("\n\n\ndef ", "\n\n\n    # indented\ndef ", 1),  # could join a block
        lambda t: t + "else:\n    pass\n",  # belongs to the statement before, or is an error
        lambda t: t.replace("\ndef ", "\n@decorator\ndef ", 1),
    ],
)
def test_edges_a_piece_cannot_decide_alone(change: object) -> None:
    text = document(2)
    parser = IncrementalParser()
    parser.parse(text)
    changed = change(text)  # type: ignore[operator]
    try:
        whole = cst.parse_module(changed)
    except cst.ParserSyntaxError:
        with pytest.raises(cst.ParserSyntaxError):
            parser.parse(changed)
        return
    assert parser.parse(changed).code == whole.code == changed
