"""Unit tests for the pieces the fixtures reach only through whole rules: the prefilter,
noqa comments and flow.exclusive."""

from __future__ import annotations

import libcst as cst
import pytest

from mplint.engine import is_suppressed, might_use_processes, noqa_codes
from mplint.facts import Facts
from mplint.flow import exclusive


@pytest.mark.parametrize(
    "text",
    [
        "import multiprocessing\n",
        "import os, multiprocessing as mp\n",
        "from multiprocessing import Process\n",
        "from concurrent.futures import ProcessPoolExecutor\n",
        "import billiard\n",
        "    from multiprocessing.pool import Pool  # inside a function\n",
        "from torch import multiprocessing\n",
        "from torch.utils.data import DataLoader\n",
        "import joblib\n",
        "import os\npid = os.fork()\n",
        "x = 1\r\nimport multiprocessing\r\n",
    ],
)
def test_the_prefilter_lets_through_every_process_import(text: str) -> None:
    assert might_use_processes(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "print('no processes here')\n",
        "# this module avoids multiprocessing on purpose\n",
        'HELP = "see the concurrent.futures docs"\n',
        "forks = 3\n",
        "from torch import nn\n",
    ],
)
def test_the_prefilter_skips_files_that_only_mention_processes(text: str) -> None:
    assert not might_use_processes(text)


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("p.start()", None),
        ("p.start()  # noqa", frozenset()),
        ("p.start()  # NOQA", frozenset()),
        ("p.start()  # noqa: MP101", frozenset({"MP101"})),
        ("p.start()  # noqa:MP101,MP107", frozenset({"MP101", "MP107"})),
        ("p.start()  # noqa: mp101 MP107", frozenset({"MP101", "MP107"})),
        ("p.start()  # a note about noqa", None),
    ],
)
def test_noqa_codes(line: str, codes: frozenset[str] | None) -> None:
    assert noqa_codes(line) == codes


def test_a_noqa_code_suppresses_the_codes_it_starts() -> None:
    assert is_suppressed("MP101", "x  # noqa")
    assert is_suppressed("MP101", "x  # noqa: MP1")
    assert is_suppressed("MP101", "x  # noqa: E501, MP101")
    assert not is_suppressed("MP101", "x  # noqa: MP107")
    assert not is_suppressed("MP101", "x")


def _two_calls(source: str) -> tuple[Facts, cst.Call, cst.Call]:
    facts = Facts(cst.parse_module(source))
    first, second = (c for c in facts.calls if isinstance(c.func, cst.Name))
    return facts, first, second


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("if x:\n    a()\nelse:\n    b()\n", True),
        ("if x:\n    a()\nelif y:\n    b()\n", True),
        ("if x:\n    a()\nelif y:\n    pass\nelse:\n    b()\n", True),
        ("if x:\n    a()\n    b()\n", False),
        ("if x:\n    a()\nb()\n", False),
        ("try:\n    pass\nexcept E:\n    a()\nexcept F:\n    b()\n", True),
        ("try:\n    a()\nexcept E:\n    b()\n", False),
        ("try:\n    a()\nfinally:\n    b()\n", False),
        ("match x:\n    case 1:\n        a()\n    case _:\n        b()\n", True),
        ("match x:\n    case 1:\n        a()\n        b()\n", False),
        ("for i in x:\n    a()\nelse:\n    b()\n", False),
    ],
)
def test_exclusive_branches(source: str, expected: bool) -> None:
    facts, first, second = _two_calls(source)
    assert exclusive(facts, first, second) is expected
    assert exclusive(facts, second, first) is expected


_WALKED = """\
import multiprocessing as mp


class Pool(mp.Process):
    def run(self):
        data = [x for x in range(3)]
        return lambda: (yield data)


def main():
    with mp.Pool(2) as pool:
        print(pool.map(abs, [-1, 2]))
"""


@pytest.mark.parametrize(
    "kinds",
    [
        cst.Name,
        (cst.Call, cst.Attribute),
        cst.BaseExpression,  # abstract: answered by isinstance
        (cst.Name, cst.BaseSmallStatement),
        (),
    ],
)
def test_nodes_in_by_exact_type_finds_what_isinstance_finds(kinds: type | tuple) -> None:
    from mplint.semantic.syntax import NESTED_SCOPES, _children, exact_types, nodes_in

    def by_isinstance(root: cst.CSTNode, skip: tuple[type, ...]) -> list[cst.CSTNode]:
        found, stack = [], [root]
        while stack:
            current = stack.pop()
            if current is not root and isinstance(current, skip):
                continue
            if isinstance(current, kinds):
                found.append(current)
            stack.extend(_children(current))
        return found

    module = cst.parse_module(_WALKED)
    for skip in ((), NESTED_SCOPES):
        assert nodes_in(module, kinds, skip) == by_isinstance(module, skip)
    leaves = exact_types(kinds)
    every = kinds if isinstance(kinds, tuple) else (kinds,)
    assert (leaves is None) == any(k.__subclasses__() for k in every)
