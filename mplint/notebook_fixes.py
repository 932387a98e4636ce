"""``--fix`` and ``--diff`` for notebooks: the cells' module is fixed like any file, then
each changed cell's source is put back into the notebook's JSON, and nothing else.

Outputs, metadata, ids, key order, indentation, escapes and the final line break are
kept: the JSON is written with the layout that gives back the original file byte for
byte (mplint.notebook.dump_like), or not at all. A fix that would span two cells or
change a line of IPython syntax is refused, with the file left as it was.
"""

from __future__ import annotations

from pathlib import Path

from mplint.config import Settings
from mplint.diagnostic import FileError
from mplint.engine import lint_source
from mplint.fixes import FixOutcome, SourceFile, fix_source
from mplint.notebook import (
    CannotWriteBack,
    apply_to_cells,
    place_in_cell,
    read_notebook,
    rewrite_notebook,
)

NOTEBOOK_ENCODING = "utf-8"


def fix_notebook_text(
    text: str, path: str, unsafe: bool, settings: Settings | None = None
) -> FixOutcome:
    """The notebook's JSON text with its fixes applied. Raises CannotWriteBack (a
    ValueError) when the fixed cells cannot be written back unchanged otherwise."""
    notebook = read_notebook(text, path)
    if isinstance(notebook, FileError):
        raise CannotWriteBack(notebook.message.removeprefix("cannot lint: "))
    module = lint_source(notebook.source, path, settings, notebook=True)
    # Only the fixes that stay in their cell (the ones the report marks with [*]).
    in_cells = [d for d in module.diagnostics if (p := place_in_cell(notebook, d)) and p.fix]
    fixed = fix_source(
        notebook.source, in_cells, unsafe, settings=settings, path=path, notebook=True
    )
    if fixed.source == notebook.source:
        return FixOutcome(text)
    new_text = rewrite_notebook(text, notebook, apply_to_cells(notebook, fixed.source))
    return FixOutcome(new_text, fixed.applied, lint_source(new_text, path, settings))


def fix_notebook_file(
    path: Path, unsafe: bool, settings: Settings | None = None
) -> tuple[SourceFile, FixOutcome]:
    """The notebook as read, and the outcome of fixing it (not yet written)."""
    data = path.read_bytes()
    text = data.decode(NOTEBOOK_ENCODING)
    source = SourceFile(text, NOTEBOOK_ENCODING, data)
    return source, fix_notebook_text(text, str(path), unsafe, settings)
