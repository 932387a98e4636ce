"""Jupyter notebooks through the real command line: cells as one module, IPython lines
that move nothing, findings named by cell in every format, noqa, and --fix that changes
nothing in the JSON but the fixed source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT
from test_formats import JSON_SCHEMA, sarif_schema

from mplint.engine import lint_source
from mplint.notebook import neutralise_magics

MAGIC_CELL = ["%matplotlib inline\n", "import multiprocessing as mp\n", "!pip install numpy"]
DEFINITION_CELL = ["def square(x):\n", "    return x * x"]
POOL_CELL = ["len?\n", "with mp.Pool(2) as pool:\n", "    print(pool.map(square, range(4)))"]
GUARDED_CELL = [
    'if __name__ == "__main__":\n',
    "    %time x = 1\n",
    "    class Point:\n",
    "        pass\n",
    "    p = mp.Process(target=print, args=(Point(),))\n",
    "    p.start()\n",
    "    p.join()",
]


def notebook(*cells: tuple[str, list[str]], **metadata: Any) -> dict[str, Any]:
    """An nbformat 4 notebook as Jupyter writes it: code cells with outputs and ids."""
    built = []
    for index, (kind, source) in enumerate(cells):
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{index}", "metadata": {}}
        if kind == "code":
            cell |= {"execution_count": None, "outputs": []}
        built.append(cell | {"source": source})
    return {
        "cells": built,
        "metadata": metadata
        or {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write(path: Path, data: dict[str, Any], **layout: Any) -> Path:
    options = {"indent": 1, "ensure_ascii": False} | layout
    path.write_text(json.dumps(data, **options) + "\n", encoding="utf-8")
    return path


def analysis(tmp_path: Path) -> Path:
    return write(
        tmp_path / "analysis.ipynb",
        notebook(
            ("markdown", ["# Squares\n", "Counting *every* cell."]),
            ("code", MAGIC_CELL),
            ("code", DEFINITION_CELL),
            ("code", POOL_CELL),
            ("code", GUARDED_CELL),
        ),
    )


def mplint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    for name in ("LANG", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "mplint", "check", "--no-cache", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_text_output_names_the_cell_and_the_line_in_it(tmp_path: Path) -> None:
    analysis(tmp_path)
    completed = mplint(tmp_path, "--format", "concise", "analysis.ipynb")
    assert completed.returncode == 1, completed.stderr
    # Cell 1 is markdown: cells are counted as a reader sees them, every cell from 1.
    # `len?` and the magics above do not move the lines or columns below them.
    assert completed.stdout.splitlines() == [
        "analysis.ipynb:cell 4:3:11: MP113 task-defined-in-main",
        "analysis.ipynb:cell 5:5:9: MP113 task-defined-in-main",
    ]
    full = mplint(tmp_path, "analysis.ipynb").stdout
    assert "`square` is defined in a notebook cell" in full
    assert "Move `square` into a `.py` module next to the notebook" in full
    assert "`Point` is defined in a notebook cell" in full


def test_json_gives_the_cell_and_the_line_in_it(tmp_path: Path) -> None:
    analysis(tmp_path)
    completed = mplint(tmp_path, "--format", "json", "analysis.ipynb")
    items = json.loads(completed.stdout)
    jsonschema.validate(items, JSON_SCHEMA)
    assert [(i["code"], i["cell"], i["location"], i["noqa_row"]) for i in items] == [
        ("MP113", 4, {"row": 3, "column": 11}, 3),
        ("MP113", 5, {"row": 5, "column": 9}, 5),
    ]
    assert items[0]["end_location"] == {"row": 3, "column": 37}


def test_json_of_a_python_file_has_no_cell(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import multiprocessing as mp\nmp.Process(target=print).start()\n", encoding="utf-8"
    )
    items = json.loads(mplint(tmp_path, "--format", "json", "app.py").stdout)
    assert items and all(item["cell"] is None for item in items)


def test_sarif_is_valid_and_names_the_cell(tmp_path: Path) -> None:
    analysis(tmp_path)
    log = json.loads(mplint(tmp_path, "--format", "sarif", "analysis.ipynb").stdout)
    validator = jsonschema.Draft4Validator(sarif_schema())
    assert not [error.message for error in validator.iter_errors(log)]
    places = [
        (
            result["locations"][0]["properties"]["cell"],
            result["locations"][0]["physicalLocation"]["region"]["startLine"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        )
        for result in log["runs"][0]["results"]
    ]
    assert places == [(4, 3, "analysis.ipynb"), (5, 5, "analysis.ipynb")]


def test_github_annotations_name_the_cell_not_a_line_of_the_json(tmp_path: Path) -> None:
    analysis(tmp_path)
    lines = mplint(tmp_path, "--format", "github", "analysis.ipynb").stdout.splitlines()
    assert lines[0].startswith(
        "::error file=analysis.ipynb,title=MP113 task-defined-in-main (cell 4%2C line 3)::"
    )


def test_a_directory_walk_finds_notebooks_and_skips_checkpoints(tmp_path: Path) -> None:
    analysis(tmp_path)
    checkpoints = tmp_path / ".ipynb_checkpoints"
    checkpoints.mkdir()
    analysis(checkpoints)
    completed = mplint(tmp_path, "--format", "concise", ".")
    files = {line.split(":", 1)[0] for line in completed.stdout.splitlines()}
    assert files == {"analysis.ipynb"}


def test_noqa_in_a_cell(tmp_path: Path) -> None:
    pool_cell = [*POOL_CELL[:2], "    print(pool.map(square, range(4)))  # noqa: MP113"]
    write(
        tmp_path / "quiet.ipynb",
        notebook(("code", MAGIC_CELL), ("code", DEFINITION_CELL), ("code", pool_cell)),
    )
    completed = mplint(tmp_path, "quiet.ipynb")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout == ""


def test_reimport_harms_are_not_reported_in_a_notebook(tmp_path: Path) -> None:
    """The same code gives MP101 in a script (children re-import it) and nothing in a
    notebook (nothing re-imports a notebook); an imported task is fine there."""
    cell = [
        "import multiprocessing as mp\n",
        "from work import square\n",
        "mp.set_start_method('spawn')\n",
        "p = mp.Process(target=square, args=(3,))\n",
        "p.start()\n",
        "p.join()",
    ]
    (tmp_path / "script.py").write_text("".join(cell) + "\n", encoding="utf-8")
    write(tmp_path / "clean.ipynb", notebook(("code", cell)))
    script = mplint(tmp_path, "--format", "concise", "script.py")
    assert {"MP101", "MP102"} <= {line.split()[1] for line in script.stdout.splitlines()}
    clean = mplint(tmp_path, "clean.ipynb")
    assert (clean.returncode, clean.stdout) == (0, "")


def test_fork_pinned_notebook_is_silent(tmp_path: Path) -> None:
    cells = [*MAGIC_CELL[:2], "ctx = mp.get_context('fork')\n"]
    pool = ["with ctx.Pool(2) as pool:\n", "    print(pool.map(square, range(4)))"]
    write(
        tmp_path / "fork.ipynb",
        notebook(("code", cells), ("code", DEFINITION_CELL), ("code", pool)),
    )
    assert mplint(tmp_path, "fork.ipynb").stdout == ""


def test_cell_magics_that_are_not_python_are_left_out(tmp_path: Path) -> None:
    bash = ["%%bash\n", "for i in 1 2; do echo $i; done"]
    timed = ["%%time\n", "with mp.Pool(2) as pool:\n", "    pool.map(square, [1])"]
    write(
        tmp_path / "magics.ipynb",
        notebook(("code", MAGIC_CELL), ("code", bash), ("code", DEFINITION_CELL), ("code", timed)),
    )
    completed = mplint(tmp_path, "--format", "concise", "magics.ipynb")
    # %%bash is not Python and not a syntax error; %%time's body is Python, linted.
    assert completed.stdout.splitlines() == ["magics.ipynb:cell 4:3:5: MP113 task-defined-in-main"]


def test_ipython_lines_inside_strings_and_brackets_stay_python() -> None:
    cell = 'text = """\n%not a magic\n!nor this\n"""\nvalues = [\n    1,\n]\n!ls\n'
    assert neutralise_magics(cell) == cell.replace("!ls", "pass")
    assert neutralise_magics("files = !ls -l\n    ?x\n") == "files = None\n    pass\n"
    assert neutralise_magics("!pip install \\\n    numpy") == "pass\n#"
    assert neutralise_magics("%%bash\necho 1\n\necho 2") == "#\n#\n\n#"
    assert neutralise_magics("%%time\nx = 1\n") == "#\nx = 1\n"


def test_unreadable_notebooks_are_file_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    old = notebook(("code", ["import multiprocessing"]))
    write(tmp_path / "old.ipynb", old | {"nbformat": 3})
    syntax = notebook(("code", ["import multiprocessing\n"]), ("code", ["x = (\n", "def"]))
    write(tmp_path / "syntax.ipynb", syntax)
    completed = mplint(tmp_path, "broken.ipynb", "old.ipynb", "syntax.ipynb")
    assert completed.returncode == 1
    out = completed.stdout
    assert "broken.ipynb:1:1: cannot lint: the file is not valid JSON" in out
    assert "old.ipynb:1:1: cannot lint: only nbformat 4 notebooks are read" in out
    assert "syntax.ipynb:" in out and "cannot lint: cell 2: syntax error" in out


def test_a_notebook_of_another_language_is_silent(tmp_path: Path) -> None:
    r_kernel = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    write(
        tmp_path / "r.ipynb", notebook(("code", ["library(parallel)\n", "x <- !TRUE"]), **r_kernel)
    )
    completed = mplint(tmp_path, "r.ipynb")
    assert (completed.returncode, completed.stdout) == (0, "")


# -- --fix ------------------------------------------------------------------------------

JOIN_CELL = ["pool = mp.Pool(2)\n", "pool.map(abs, [-1])\n", "pool.join()  # wait\n", "!echo done"]


def fixable(
    tmp_path: Path, name: str = "fixme.ipynb", **layout: Any
) -> tuple[Path, dict[str, Any]]:
    data = notebook(
        ("code", ["%load_ext autoreload\n", "import multiprocessing as mp"]),
        ("markdown", ["Über *Pools* ✓"]),
        ("code", JOIN_CELL),
    )
    code_cell = data["cells"][2]
    code_cell["execution_count"] = 7
    code_cell["outputs"] = [
        {"name": "stdout", "output_type": "stream", "text": ["done ✓\n"]},
        {
            "data": {"text/plain": ["[1]"]},
            "execution_count": 7,
            "metadata": {},
            "output_type": "execute_result",
        },
    ]
    code_cell["metadata"] = {"tags": ["slow"], "collapsed": False}
    return write(tmp_path / name, data, **layout), data


@pytest.mark.parametrize(
    "layout",
    [{"indent": 1}, {"indent": 2, "ensure_ascii": True}, {"indent": 4, "sort_keys": True}],
    ids=["jupyter", "ascii-escapes", "sorted-keys"],
)
def test_fix_changes_nothing_but_the_fixed_source(tmp_path: Path, layout: dict[str, Any]) -> None:
    path, before = fixable(tmp_path, **layout)
    original = path.read_text(encoding="utf-8")
    completed = mplint(tmp_path, "--fix", "fixme.ipynb")
    assert "fixed 1 finding(s) in 1 file(s)" in completed.stderr, completed.stderr
    after_text = path.read_text(encoding="utf-8")
    after = json.loads(after_text)
    expected = json.loads(json.dumps(before))
    expected["cells"][2]["source"] = [*JOIN_CELL[:2], "pool.close()\n", *JOIN_CELL[2:]]
    assert after == expected
    # The layout is the original's: the text differs by the one added line only.
    added = [line for line in after_text.splitlines() if line not in original.splitlines()]
    assert [line.strip() for line in added] == ['"pool.close()\\n",']
    assert len(after_text.splitlines()) == len(original.splitlines()) + 1
    assert after_text.endswith("}\n")


def test_diff_shows_the_fix_and_leaves_the_notebook(tmp_path: Path) -> None:
    path, _ = fixable(tmp_path)
    original = path.read_bytes()
    completed = mplint(tmp_path, "--diff", "fixme.ipynb")
    assert completed.returncode == 1
    assert '+    "pool.close()\\n",' in completed.stdout.splitlines()
    assert path.read_bytes() == original


def test_fix_refuses_a_layout_it_cannot_write_back(tmp_path: Path) -> None:
    path, data = fixable(tmp_path)
    text = json.dumps(data, indent=1, ensure_ascii=False).replace(
        '"nbformat": 4', '"nbformat":   4'
    )
    path.write_text(text, encoding="utf-8")
    completed = mplint(tmp_path, "--fix", "fixme.ipynb")
    assert completed.returncode == 2
    assert "cannot fix fixme.ipynb: its JSON layout is not one mplint can write back" in (
        completed.stderr
    )
    assert path.read_text(encoding="utf-8") == text


def test_fix_from_standard_input(tmp_path: Path) -> None:
    path, _ = fixable(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    completed = subprocess.run(
        [sys.executable, "-m", "mplint", "check", "--fix", "--stdin-filename", "fixme.ipynb"],
        input=path.read_text(encoding="utf-8"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    fixed = json.loads(completed.stdout)
    assert "pool.close()\n" in fixed["cells"][2]["source"]


# -- the demo notebook ---------------------------------------------------------------------

DEMO = ROOT / "docs" / "notebooks" / "squares.ipynb"


def test_the_demo_notebook_flags_its_broken_cell_only() -> None:
    completed = mplint(DEMO.parent, "--format", "concise", DEMO.name)
    assert completed.stdout.splitlines() == [
        "squares.ipynb:cell 5:2:11: MP113 task-defined-in-main"
    ]


def test_the_demo_fix_runs_in_a_main_without_a_file() -> None:
    """The fixed cell, run as a kernel runs cells (``python -c``: a ``__main__`` with no
    file) under spawn, gets its squares: the child imports ``squares`` by name."""
    cells = json.loads(DEMO.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    program = "\n".join([code[0].replace("%load_ext autoreload", ""), code[3]])
    completed = subprocess.run(
        [sys.executable, "-c", program],
        cwd=DEMO.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.stdout.strip() == "[0, 1, 4, 9, 16]", completed.stderr


# -- the cache, worker processes and odd files ----------------------------------------------


def test_cached_and_parallel_runs_give_the_same_cells(tmp_path: Path) -> None:
    analysis(tmp_path)
    second = tmp_path / "second.ipynb"
    second.write_text((tmp_path / "analysis.ipynb").read_text(encoding="utf-8") + " ")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    command = [sys.executable, "-m", "mplint", "check", "--format", "concise", "-j", "2", "."]
    runs = [
        subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        for _ in range(2)
    ]
    assert (tmp_path / ".mplint_cache").is_dir()
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.splitlines() == [
        "analysis.ipynb:cell 4:3:11: MP113 task-defined-in-main",
        "analysis.ipynb:cell 5:5:9: MP113 task-defined-in-main",
        "second.ipynb:cell 4:3:11: MP113 task-defined-in-main",
        "second.ipynb:cell 5:5:9: MP113 task-defined-in-main",
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[]", "the file is not a Jupyter notebook (no list of cells)"),
        ('{"cells": [{"cell_type": "code", "source": 5}], "nbformat": 4}', "a cell's source"),
        (b"\xff\xfe{", "the notebook is not valid UTF-8"),
    ],
)
def test_odd_notebooks_are_reported_not_crashed_on(text: str | bytes, error: str) -> None:
    result = lint_source(text, "odd.ipynb")
    assert result.error is not None and error in result.error.message
    assert not result.diagnostics


def test_cells_without_source_and_odd_entries_are_skipped() -> None:
    data = notebook(("code", DEFINITION_CELL), ("code", POOL_CELL))
    data["cells"][:0] = ["not a cell", {"cell_type": "code"}, {"cell_type": "raw", "source": "x"}]
    data["cells"].insert(0, {"cell_type": "code", "source": "import multiprocessing as mp\n"})
    result = lint_source(json.dumps(data), "odd.ipynb")
    assert result.error is None
    assert [(d.code, d.cell, d.line) for d in result.diagnostics] == [("MP113", 6, 3)]


def test_a_fix_in_the_json_output_counts_lines_in_its_cell(tmp_path: Path) -> None:
    fixable(tmp_path)
    items = json.loads(mplint(tmp_path, "--format", "json", "fixme.ipynb").stdout)
    (mp302,) = [item for item in items if item["code"] == "MP302"]
    assert (mp302["cell"], mp302["location"]["row"]) == (3, 3)
    (edit,) = mp302["fix"]["edits"]
    assert (edit["content"], edit["location"]) == ("pool.close()\n", {"row": 3, "column": 1})


# -- what the notebook rule sees ----------------------------------------------------------

SENT = {
    "partial": (
        "import functools, multiprocessing as mp\ndef f(a, x): return x\n"
        "with mp.Pool(2) as p:\n    p.map(functools.partial(f, 1), [1])\n",
        [("MP113", 4, "f")],
    ),
    "initializer": (
        "import multiprocessing as mp\ndef init(): pass\nfrom work import g\n"
        "with mp.Pool(2, initializer=init) as p:\n    p.map(g, [1])\n",
        [("MP113", 4, "init")],
    ),
    "executor": (
        "from concurrent.futures import ProcessPoolExecutor\ndef f(x): return x\n"
        "with ProcessPoolExecutor() as ex:\n    ex.submit(f, 1).result()\n",
        [("MP113", 4, "f")],
    ),
    "object of a cell's class": (
        "import multiprocessing as mp\nfrom work import g\nclass Point:\n    pass\n"
        "with mp.Pool(2) as p:\n    p.map(g, [Point()])\n",
        [("MP113", 6, "Point")],
    ),
    "bound method": (
        "import multiprocessing as mp\nclass W:\n    def run1(self, x): return x\nw = W()\n"
        "with mp.Pool(2) as p:\n    p.map(w.run1, [1])\n",
        [("MP113", 6, "W.run1")],
    ),
    "Process subclass": (
        "import multiprocessing as mp\nclass Job(mp.Process):\n    def run(self): print(1)\n"
        "j = Job()\nj.start()\nj.join()\n",
        [("MP113", 4, "Job")],
    ),
    "threads": (
        "from concurrent.futures import ThreadPoolExecutor\ndef f(x): return x\n"
        "with ThreadPoolExecutor() as ex:\n    list(ex.map(f, [1]))\n",
        [],
    ),
    "multiprocessing.dummy": (
        "from multiprocessing.dummy import Pool\ndef f(x): return x\n"
        "with Pool(2) as p:\n    p.map(f, [1])\n",
        [],
    ),
    "nested function (MP103's)": (
        "import multiprocessing as mp\ndef outer():\n    def inner(x): return x\n"
        "    with mp.Pool(2) as p:\n        p.map(inner, [1])\nouter()\n",
        [("MP103", 5, "")],
    ),
}


@pytest.mark.parametrize("case", SENT, ids=list(SENT))
def test_what_a_cell_sends_to_a_child(case: str) -> None:
    source, expected = SENT[case]
    found = lint_source(source, "cells.ipynb", notebook=True).diagnostics
    assert [(d.code, d.line) for d in found] == [(code, line) for code, line, _ in expected]
    for diagnostic, (_, _, name) in zip(found, expected, strict=True):
        if name:
            assert diagnostic.message.startswith(f"`{name}` is defined in a notebook cell")
