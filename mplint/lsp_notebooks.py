"""Notebooks in the language server: the code cells of a notebook linted as one module,
as ``mplint check`` lints an ``.ipynb``, and each finding published on its own cell.

Two ways a client shows a notebook to a server, both handled:

- LSP 3.17 notebook sync (``notebookDocument/didOpen|didChange|didSave|didClose``): the
  server says which cells it wants (Python code cells) and pygls keeps the notebook and
  its cells in the workspace, the cells as text documents in notebook order.
- Cells opened as plain text documents with ``vscode-notebook-cell:`` URIs (a client
  without notebook sync): the open cells of one notebook (the same URI but for the
  fragment) are put in order by the cell handle the fragment carries.

Either way a cell is linted through the server's usual path (``lint_document``): the
whole notebook is linted once for a given state of its cells (kept in a small cache
keyed by the cells' texts), and the cell takes its share, with lines counted in the
cell. When one cell changes, findings on the others may change (a function defined in
cell 2, sent to a pool in cell 4): the cells last linted against another state are
linted again, which costs nothing but the cache look-up.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from lsprotocol import types

from mplint.config import Settings
from mplint.diagnostic import Diagnostic, FileError
from mplint.engine import lint_source
from mplint.notebook import (
    Cell,
    Notebook,
    error_in_cell,
    is_notebook_path,
    neutralise_magics,
    place_in_cell,
)

CELL_SCHEME = "vscode-notebook-cell"
PYTHON = "python"
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[
        types.NotebookDocumentFilterWithCells(cells=[types.NotebookCellLanguage(language=PYTHON)])
    ],
    save=True,
)
_CACHED_STATES = 16
# VS Code's cell fragment: a padding letter, the handle in base 7, "s", the scheme.
_CELL_HANDLE = re.compile(r"^[A-Za-z]([0-6]+)s")

State = tuple[str, tuple[tuple[str, str], ...]]


class _Server(Protocol):
    """What this module uses of the language server."""

    @property
    def workspace(self) -> Any: ...

    @property
    def pull_mode(self) -> bool: ...

    def document(self, uri: str) -> Any: ...

    def supports(self, path: str) -> bool: ...

    def workspace_diagnostic_refresh(self, params: None) -> Any: ...

    def schedule(self, uri: str, delay: float) -> None: ...

    def clear(self, uri: str) -> None: ...


@dataclass
class CellResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: FileError | None = None
    internal_errors: list[tuple[str, str]] = field(default_factory=list)


class NotebookLints:
    """The server's notebooks: which cells belong together, and the last lints."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: OrderedDict[State, dict[str, CellResult]] = OrderedDict()
        self.state_of: dict[str, State] = {}

    # -- which cells make a notebook --

    def cells_of(self, server: _Server, uri: str) -> tuple[str, list[str]] | None:
        """The notebook a cell belongs to (its path) and its Python code cells in order;
        None for a document that is not a cell."""
        notebook = server.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            cells = [
                cell.document
                for cell in notebook.cells
                if cell.kind == types.NotebookCellKind.Code
                and _is_python(server.document(cell.document))
            ]
            return _notebook_path(notebook.uri), cells
        parsed = urlparse(uri)
        if parsed.scheme != CELL_SCHEME:
            return None
        siblings = [
            document.uri
            for document in server.workspace.text_documents.values()
            if _same_notebook(document.uri, parsed) and _is_python(document)
        ]
        opened = {other: position for position, other in enumerate(siblings)}
        siblings.sort(key=lambda other: (_cell_handle(other), opened[other]))
        return unquote(parsed.path), siblings

    # -- linting (in the server's worker thread) --

    def lint_cell(
        self, server: _Server, uri: str, source: str, settings: Settings
    ) -> CellResult | None:
        """This cell's findings, from a lint of its whole notebook with ``source`` as
        this cell's text; None when the document is not a cell of a notebook."""
        found = self.cells_of(server, uri)
        if found is None:
            # A notebook's JSON opened as a text document: its findings have cell lines,
            # not lines of the JSON, so none are shown there.
            return CellResult() if is_notebook_path(urlparse(uri).path) else None
        path, cells = found
        if uri not in cells:
            return CellResult()  # not a Python cell
        state = _state(server, path, cells, uri, source)
        texts = state[1]
        with self.lock:
            results = self.results.get(state)
        if results is None:
            results = lint_cells(path, texts, settings)
            with self.lock:
                self.results[state] = results
                while len(self.results) > _CACHED_STATES:
                    self.results.popitem(last=False)
        with self.lock:
            self.state_of[uri] = state
        return results.get(uri, CellResult())

    def is_stale(self, server: _Server, uri: str) -> bool:
        """Was this cell last linted against other texts of its notebook's cells?"""
        with self.lock:
            state = self.state_of.get(uri)
        if state is None:
            return False
        found = self.cells_of(server, uri)
        if found is None:
            return False
        path, cells = found
        document = server.document(uri)
        return _state(server, path, cells, uri, _text(document)) != state

    def stale_siblings(self, server: _Server, uri: str) -> list[str]:
        """The other cells of ``uri``'s notebook last linted against another state."""
        with self.lock:
            state = self.state_of.get(uri)
        if state is None:
            return []
        with self.lock:
            return [
                cell for cell, _ in state[1] if cell != uri and self.state_of.get(cell) != state
            ]

    def forget(self, uri: str) -> None:
        with self.lock:
            self.state_of.pop(uri, None)


def lint_cells(
    path: str, cells: Sequence[tuple[str, str]], settings: Settings
) -> dict[str, CellResult]:
    """Lint the cells (uri, text) as one notebook; each cell's findings in its lines."""
    notebook = Notebook({})
    first_line = 1
    for number, (_, text) in enumerate(cells, start=1):
        cell = Cell(number, number - 1, text, neutralise_magics(text), first_line)
        notebook.cells.append(cell)
        first_line += cell.line_count
    results = {uri: CellResult() for uri, _ in cells}
    uri_of = {cell.number: uri for cell, (uri, _) in zip(notebook.cells, cells, strict=True)}
    module = lint_source(notebook.source, path, settings, notebook=True)
    if module.error is not None:
        where = notebook.cell_at(module.error.line)
        if where is not None:
            results[uri_of[where[0].number]].error = error_in_cell(notebook, module.error)
    for diagnostic in module.diagnostics:
        placed = place_in_cell(notebook, diagnostic)
        if placed is not None and placed.cell is not None:
            results[uri_of[placed.cell]].diagnostics.append(replace(placed, cell=None))
    if module.internal_errors and cells:
        results[cells[0][0]].internal_errors = module.internal_errors
    return results


def register(server: Any, lints: NotebookLints) -> None:
    """The notebookDocument/* notifications: lint (push mode) or forget the cells."""

    def lint_all(uri: str) -> None:
        notebook = server.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is None:
            return
        if server.pull_mode:
            # The client pulls each cell; a change to one may change the others' findings.
            if server.supports("workspace.diagnostics.refresh_support"):
                server.workspace_diagnostic_refresh(None)
            return
        for cell in notebook.cells:
            if cell.kind == types.NotebookCellKind.Code:
                server.schedule(cell.document, 0)

    def closed(cells: Sequence[types.TextDocumentIdentifier]) -> None:
        for cell in cells:
            lints.forget(cell.uri)
            server.clear(cell.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: types.DidOpenNotebookDocumentParams) -> None:
        lint_all(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: types.DidChangeNotebookDocumentParams) -> None:
        structure = params.change.cells.structure if params.change.cells else None
        if structure is not None and structure.did_close:
            closed(structure.did_close)
        lint_all(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def did_save(ls: Any, params: types.DidSaveNotebookDocumentParams) -> None:
        lint_all(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: types.DidCloseNotebookDocumentParams) -> None:
        closed(params.cell_text_documents)


def relint_siblings(server: _Server, lints: NotebookLints, uri: str) -> None:
    """After a cell's lint was published: the cells it may have changed, linted again."""
    for sibling in lints.stale_siblings(server, uri):
        if server.document(sibling) is not None:
            server.schedule(sibling, 0)


def _state(server: _Server, path: str, cells: list[str], uri: str, source: str) -> State:
    """The notebook as it is now, with ``source`` as the text of ``uri``."""
    texts = tuple((cell, source if cell == uri else _text(server.document(cell))) for cell in cells)
    return path, texts


def _is_python(document: Any) -> bool:
    return document is not None and getattr(document, "language_id", PYTHON) in (PYTHON, None)


def _text(document: Any) -> str:
    return str(document.source) if document is not None else ""


def _notebook_path(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.path else uri


def _same_notebook(uri: str, notebook: Any) -> bool:
    parsed = urlparse(uri)
    return (parsed.scheme, parsed.netloc, parsed.path) == (
        notebook.scheme,
        notebook.netloc,
        notebook.path,
    )


def _cell_handle(uri: str) -> int:
    """The order VS Code made the cell in (cells are made top to bottom when a notebook
    is opened); cells whose URI says nothing come last, in the order they were opened."""
    match = _CELL_HANDLE.match(urlparse(uri).fragment)
    return int(match.group(1), 7) if match else 1 << 62
