"""Jupyter notebooks (``.ipynb``, nbformat 4): read the cells, lint them as one module,
say where each finding is, and write fixes back.

The notebook is read as plain JSON with the standard library, not with the
``nbformat`` package: mplint needs only the cells' ``cell_type`` and ``source``, and
``nbformat`` (with ``jsonschema`` and ``fastjsonschema`` behind it) would add start-up
time and dependencies to every run for a validation mplint does not need. A file that
is not a notebook mplint can read is reported as a file error, never guessed at.

The code cells, in order, make one Python module: the kernel runs them in one
namespace, so a function defined in cell 1 and sent to a pool in cell 3 is one story.
IPython syntax (``%magic``, ``!shell``, ``name?`` help) is replaced line for line by
``pass`` (``name = None`` for ``files = !ls``; ``#`` for the continuation lines of a
magic and for a cell magic's line, and for every line of a cell magic whose body is
not Python, ``%%bash``), so that no other line moves: a finding's line in the module is a line of exactly one cell, at the same
column. Cells are numbered from 1 at the top of the notebook, every cell counted
(markdown and raw cells too), as a reader counts them scrolling down, and as
``cells[number - 1]`` finds them in the file.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mplint.diagnostic import Diagnostic, FileError, Fix

NOTEBOOK_SUFFIX = ".ipynb"
# Cell magics whose body is Python the kernel runs in the notebook's namespace; the body
# of any other (%%bash, %%html, %%writefile, ...) is not Python and is left out.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ASSIGNED_MAGIC = re.compile(
    r"^(?P<target>\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=)\s*[%!]"
)
_HELP = re.compile(r"^\s*(?:\?{1,2}\s*[\w.]+|[\w.]+\s*\?{1,2})\s*$")


def is_notebook_path(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True, slots=True)
class Cell:
    """A code cell: its number (1-based, every cell counted), its text as the notebook
    holds it, the same text with IPython syntax neutralised, and the module line its
    first line is."""

    number: int
    index: int  # position in the notebook's ``cells`` list
    text: str
    python: str
    first_line: int

    @property
    def line_count(self) -> int:
        return len(_lines(self.python))


@dataclass
class Notebook:
    data: dict[str, Any]
    cells: list[Cell] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The code cells as one module, each cell ending with a line break."""
        return "".join(_ended(cell.python) for cell in self.cells)

    def cell_at(self, module_line: int) -> tuple[Cell, int] | None:
        """The cell holding a (1-based) line of the module, and the line in that cell."""
        for cell in self.cells:
            if cell.first_line <= module_line < cell.first_line + cell.line_count:
                return cell, module_line - cell.first_line + 1
        return None


def _ended(text: str) -> str:
    return text if not text or text.endswith(("\n", "\r")) else text + "\n"


def _lines(text: str) -> list[str]:
    """The lines of a cell, without their line breaks; a cell's last line break ends
    its last line (it does not start an empty one)."""
    if not text:
        return []
    return _LINE_BREAK.split(_ended(text))[:-1]


# -- reading ------------------------------------------------------------------------------


class NotebookError(ValueError):
    """The file is not a notebook mplint can read; the message says why."""


def cell_text(source: object) -> str:
    """A cell's ``source``: a string, or a list of strings joined as they are."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise NotebookError("a cell's source is neither text nor a list of lines")


def parse_notebook(text: str) -> Notebook:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise NotebookError(f"the file is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("the file is not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") != 4:
        raise NotebookError(
            f"only nbformat 4 notebooks are read; this one is nbformat {data.get('nbformat')!r}"
        )
    notebook = Notebook(data)
    if not _is_python(data.get("metadata")):
        return notebook  # an R or Julia notebook: nothing of it is Python
    first_line = 1
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        written = cell_text(cell.get("source", ""))
        python = neutralise_magics(written)
        code_cell = Cell(index + 1, index, written, python, first_line)
        notebook.cells.append(code_cell)
        first_line += code_cell.line_count
    return notebook


def _is_python(metadata: object) -> bool:
    """Unless the notebook says its kernel runs another language, it is Python."""
    if not isinstance(metadata, dict):
        return True
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(name), str):
            return bool(section[name].lower() == "python")
    return True


# -- IPython syntax ------------------------------------------------------------------------


def neutralise_magics(text: str) -> str:
    """The cell with every IPython-only line replaced by one that is Python and means
    nothing: same number of lines, every other line unchanged. A line left out becomes
    ``#`` (never empty, so that a cell's last line is still a line)."""
    lines = _LINE_BREAK.split(text)
    breaks = _LINE_BREAK.findall(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    blanked: set[int] = set()
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            return _join(["#" if line else "" for line in lines], breaks)  # %%bash: not Python
        blanked.add(first)
    replaced: dict[int, str] = {}
    continued = False
    for number, line in enumerate(lines):
        if number in blanked:
            continue
        if continued:
            blanked.add(number)
        elif _is_ipython_line(line):
            replaced[number] = _placeholder(line)
        else:
            continue
        continued = line.rstrip().endswith("\\")
    candidate = [replaced.get(i, "#" if i in blanked else line) for i, line in enumerate(lines)]
    if replaced:
        starts = _logical_line_starts(_join(candidate, breaks))
        if starts is not None:
            # A line inside a string or inside brackets is Python text, whatever it
            # starts with.
            for number in replaced:
                if number + 1 not in starts:
                    candidate[number] = lines[number]
    return _join(candidate, breaks)


def _is_ipython_line(line: str) -> bool:
    stripped = line.lstrip()
    if stripped.startswith(("%", "!", "?")):
        return True
    return bool(_HELP.match(line) or _ASSIGNED_MAGIC.match(line))


def _placeholder(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        return f"{assigned.group('target')} None"
    return f"{indent}pass"


def _join(lines: Sequence[str], breaks: Sequence[str]) -> str:
    out = []
    for number, line in enumerate(lines):
        out.append(line)
        if number < len(breaks):
            out.append(breaks[number])
    return "".join(out)


def _logical_line_starts(text: str) -> set[int] | None:
    """The (1-based) lines on which a logical line of Python begins; None when the text
    does not tokenize (the parser will say why)."""
    starts: set[int] = set()
    depth = 0
    at_start = True
    skipped = {tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENCODING}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                at_start = at_start or (token.type == tokenize.NEWLINE or depth == 0)
                continue
            if token.type in skipped or token.type == tokenize.ENDMARKER:
                continue
            if at_start:
                starts.add(token.start[0])
                at_start = False
            if token.type == tokenize.OP:
                if token.string in "([{":
                    depth += 1
                elif token.string in ")]}":
                    depth = max(0, depth - 1)
    except (tokenize.TokenError, SyntaxError):
        return None
    return starts


# -- linting -------------------------------------------------------------------------------


def read_notebook(source: str | bytes, path: str) -> Notebook | FileError:
    """The notebook in a file's bytes or text, or why it cannot be linted."""
    try:
        text = source.decode("utf-8-sig") if isinstance(source, bytes) else source
        return parse_notebook(text.removeprefix("\ufeff"))
    except UnicodeDecodeError:
        return FileError(path, "cannot lint: the notebook is not valid UTF-8")
    except NotebookError as error:
        return FileError(path, f"cannot lint: {error}")


def error_in_cell(notebook: Notebook, error: FileError) -> FileError:
    """A file error (a syntax error in a cell) placed in its cell."""
    where = notebook.cell_at(error.line)
    if where is None:
        return error
    cell, line = where
    message = error.message.replace("cannot lint:", f"cannot lint: cell {cell.number}:", 1)
    return FileError(error.path, message, line, error.column)


def place_in_cell(notebook: Notebook, diagnostic: Diagnostic) -> Diagnostic | None:
    """A module diagnostic as its cell shows it. A finding's range ends in its cell; a
    fix that would edit another cell is left out."""
    start = notebook.cell_at(diagnostic.line)
    if start is None:
        return None
    cell, line = start
    offset = cell.first_line - 1
    end_line = min(diagnostic.end_line - offset, cell.line_count)
    end_column = diagnostic.end_column if diagnostic.end_line - offset == end_line else 0
    return replace(
        diagnostic,
        line=line,
        end_line=end_line,
        end_column=end_column,
        cell=cell.number,
        fix=_fix_in_cell(diagnostic.fix, cell),
    )


def _fix_in_cell(fix: Fix | None, cell: Cell) -> Fix | None:
    """The fix with its edits in the cell's lines; None when an edit reaches outside
    the cell (it is not offered: a cell is edited on its own)."""
    if fix is None:
        return None
    offset = cell.first_line - 1
    after = cell.first_line + cell.line_count  # an edit may end where the next line starts
    moved = []
    for edit in fix.edits:
        inside = cell.first_line <= edit.start_line and (
            edit.end_line < after or (edit.end_line == after and edit.end_column == 0)
        )
        if not inside:
            return None
        moved.append(
            replace(edit, start_line=edit.start_line - offset, end_line=edit.end_line - offset)
        )
    return Fix(fix.title, fix.applicability, tuple(moved))


# -- fixing --------------------------------------------------------------------------------


class CannotWriteBack(ValueError):
    """The fixed text cannot be put back into the notebook without changing more."""


def apply_to_cells(notebook: Notebook, fixed_module: str) -> list[tuple[Cell, str]]:
    """Each cell whose text the fixed module changes, with its new text. Lines a fix
    added go to the cell of the line before them; a change that spans two cells, or that
    touches a line of IPython syntax, is refused."""
    before = notebook.source
    old_lines = _LINE_BREAK.split(before)[:-1]
    new_lines = _LINE_BREAK.split(fixed_module)
    if new_lines and new_lines[-1] == "":
        new_lines.pop()
    owner: list[Cell] = []
    for cell in notebook.cells:
        owner.extend([cell] * cell.line_count)
    written: dict[int, list[str]] = {cell.number: _lines(cell.text) for cell in notebook.cells}
    rebuilt: dict[int, list[str]] = {cell.number: [] for cell in notebook.cells}
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i in range(i1, i2):
                cell = owner[i]
                rebuilt[cell.number].append(written[cell.number][i - cell.first_line + 1])
            continue
        cells = {owner[i].number for i in range(i1, i2)}
        if len(cells) > 1:
            raise CannotWriteBack("a fix would change two cells at once")
        for i in range(i1, i2):
            cell = owner[i]
            if written[cell.number][i - cell.first_line + 1] != old_lines[i]:
                raise CannotWriteBack("a fix would change a line of IPython syntax")
        if cells:
            target = cells.pop()
        elif i1 > 0:
            target = owner[i1 - 1].number
        else:
            target = notebook.cells[0].number
        rebuilt[target].extend(new_lines[j1:j2])
    changed = []
    for cell in notebook.cells:
        lines = rebuilt[cell.number]
        if lines == written[cell.number]:
            continue
        newline = m.group() if (m := _LINE_BREAK.search(cell.text)) else "\n"
        text = newline.join(lines)
        if cell.text.endswith(("\n", "\r")) or (lines and cell.text == ""):
            text += newline
        changed.append((cell, text))
    return changed


_JSON_LAYOUTS: tuple[dict[str, Any], ...] = tuple(
    {"indent": indent, "ensure_ascii": ascii_only, "separators": separators}
    for indent in (1, 2, 4, None, 3, "\t")
    for ascii_only in (False, True)
    for separators in ((",", ": "), (", ", ": "))
    if indent is None or separators == (",", ": ")
)


def dump_like(data: Any, original: str) -> str:
    """``data`` as JSON laid out as ``original`` is (indent, escapes, key order, final
    line break). Raises CannotWriteBack when no layout tried gives back the original for
    the original's own data, so the fixed notebook would differ in more than the fix."""
    parsed = json.loads(original)
    final = "\n" if original.endswith("\n") else ""
    for layout in _JSON_LAYOUTS:
        if json.dumps(parsed, **layout) + final == original:
            return json.dumps(data, **layout) + final
    raise CannotWriteBack("its JSON layout is not one mplint can write back unchanged")


def rewrite_notebook(original: str, notebook: Notebook, changes: list[tuple[Cell, str]]) -> str:
    """The notebook's JSON text with the changed cells' sources replaced, nothing else."""
    data = json.loads(original)
    for cell, text in changes:
        entry = data["cells"][cell.index]
        if isinstance(entry.get("source"), list):
            entry["source"] = text.splitlines(keepends=True)
        else:
            entry["source"] = text
    return dump_like(data, original)
