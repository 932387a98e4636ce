"""Notebooks in ``mplint lsp``, end to end over stdio with pytest-lsp: LSP 3.17 notebook
sync, and cells opened as plain documents with ``vscode-notebook-cell:`` URIs. Either
way the cells are linted as one module and each finding lands on its own cell."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities
from test_lsp import (
    ENV,
    SERVER,
    RecordingClient,
    diagnostics,
    make_client,
    open_document,
    session,
    text_in,
    wait_until,
)

MARKDOWN = "# Squares"
IMPORTS = "%matplotlib inline\nimport multiprocessing as mp"
DEFINITION = "def square(x):\n    return x * x"
RENAMED = "def cube(x):\n    return x ** 3"
POOL = "len?\nwith mp.get_context('spawn').Pool(2) as pool:\n    print(pool.map(square, range(4)))"
UNGUARDED_SCRIPT = "import multiprocessing\np = multiprocessing.Process(target=print)\np.start()\n"
UNGUARDED = "p = mp.Process(target=print)\np.start()\np.join()"


def cell_uri(notebook: Path, handle: int) -> str:
    """A cell URI as VS Code makes it: the notebook's path, and a fragment with a padding
    letter, the cell's handle in base 7, ``s`` and the notebook's scheme in base64."""
    digits = ""
    while True:
        handle, digit = divmod(handle, 7)
        digits = str(digit) + digits
        if handle == 0:
            break
    return f"vscode-notebook-cell:{notebook.as_posix()}#W{digits}sZmlsZQ%3D%3D"


def open_notebook(client: RecordingClient, path: Path, cells: list[tuple[str, str]]) -> list[str]:
    uris = [cell_uri(path, handle) for handle in range(len(cells))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=path.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[
                    types.NotebookCell(
                        kind=types.NotebookCellKind.Markup
                        if language == "markdown"
                        else types.NotebookCellKind.Code,
                        document=uri,
                    )
                    for uri, (language, _) in zip(uris, cells, strict=True)
                ],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
                for uri, (language, text) in zip(uris, cells, strict=True)
            ],
        )
    )
    return uris


def rename_square(client: RecordingClient, path: Path, cell: str) -> None:
    """The cell that defined `square` now defines `cube` (its version 2)."""
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(
                uri=path.as_uri(), version=2
            ),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    text_content=[
                        types.NotebookDocumentCellContentChanges(
                            document=types.VersionedTextDocumentIdentifier(uri=cell, version=2),
                            changes=[types.TextDocumentContentChangeWholeDocument(RENAMED)],
                        )
                    ]
                )
            ),
        )
    )


def published(client: RecordingClient, uri: str) -> list[types.Diagnostic] | None:
    found = [p for p in client.published if p.uri == uri]
    return list(found[-1].diagnostics) if found else None


def with_notebooks(profile: str = "visual_studio_code") -> types.ClientCapabilities:
    """pytest-lsp's profile (VS Code's is 1.65, LSP 3.16) plus what VS Code's language
    client sends since LSP 3.17 (vscode-languageclient 8): notebook document sync."""
    capabilities = client_capabilities(profile)
    capabilities.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities(
            dynamic_registration=True, execution_summary_support=True
        )
    )
    return capabilities


def make_notebook_client() -> RecordingClient:
    """The test client, able to read the server's notebook selector: lsprotocol's
    converter has a structure hook for a filter's ``notebook`` field but not for the
    optional one of NotebookDocumentFilterWithCells (a client library gap, not the
    server's: the JSON is as LSP 3.17 specifies it)."""
    client = make_client()
    converter = client.protocol._converter
    optional = attrs.fields(types.NotebookDocumentFilterWithCells).notebook.type
    plain = attrs.fields(types.NotebookCellTextDocumentFilter).notebook.type
    converter.register_structure_hook(
        optional, lambda value, _: None if value is None else converter.structure(value, plain)
    )
    return client


@contextlib.asynccontextmanager
async def notebook_session(
    root: Path, capabilities: types.ClientCapabilities | None = None
) -> AsyncIterator[RecordingClient]:
    config = ClientServerConfig(
        server_command=SERVER, client_factory=make_notebook_client, server_env=ENV
    )
    client = await config.start()
    assert isinstance(client, RecordingClient)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or with_notebooks(), root_uri=root.as_uri()
        )
    )
    client.encoding = str(result.capabilities.position_encoding or "utf-16")
    sync = result.capabilities.notebook_document_sync
    # The server asks for the Python cells of any notebook, and to hear of saves.
    assert isinstance(sync, types.NotebookDocumentSyncOptions) and sync.save
    (selector,) = sync.notebook_selector
    assert isinstance(selector, types.NotebookDocumentFilterWithCells)
    assert [cell.language for cell in selector.cells] == ["python"]
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.asyncio
async def test_notebook_sync_publishes_each_finding_on_its_cell(tmp_path: Path) -> None:
    path = tmp_path / "analysis.ipynb"
    async with notebook_session(tmp_path) as client:
        cells = [
            ("markdown", MARKDOWN),
            ("python", IMPORTS),
            ("python", DEFINITION),
            ("python", POOL),
            ("python", UNGUARDED),
        ]
        uris = open_notebook(client, path, cells)
        await wait_until(lambda: all(published(client, uri) is not None for uri in uris[1:]))
        pool_found = await wait_until(lambda: published(client, uris[3]))
        (finding,) = pool_found
        assert finding.code == "MP113"
        assert "`square` is defined in a notebook cell" in finding.message
        # Line 3 of the cell (0-based 2): `len?` and the magic above move nothing.
        assert finding.range.start.line == 2
        assert text_in(POOL, finding.range, client.encoding) == "pool.map(square, range(4))"
        # Nothing on the others: no MP101 for an unguarded start in a notebook, no
        # diagnostics for markdown.
        for uri in (uris[1], uris[2], uris[4]):
            assert published(client, uri) == []
        assert published(client, uris[0]) is None

        # Renaming the function in cell 3 changes what cell 4 shows, though cell 4 did
        # not change.
        rename_square(client, path, uris[2])
        await wait_until(lambda: published(client, uris[3]) == [])

        before_close = len(client.published)
        client.notebook_document_did_close(
            types.DidCloseNotebookDocumentParams(
                notebook_document=types.NotebookDocumentIdentifier(uri=path.as_uri()),
                cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in uris],
            )
        )
        cleared = lambda: {p.uri for p in client.published[before_close:] if not p.diagnostics}  # noqa: E731
        await wait_until(lambda: cleared() >= set(uris[1:]))


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", ["visual_studio_code", "neovim"])
async def test_cells_opened_as_plain_documents_are_one_notebook(
    profile: str, tmp_path: Path
) -> None:
    """A client without notebook sync opens each cell as a text document; opened in
    another order than the notebook's, the cells are still read in the notebook's."""
    path = tmp_path / "analysis.ipynb"
    order = [(3, POOL), (1, IMPORTS), (2, DEFINITION)]
    async with session(profile, tmp_path) as client:
        uris = {}
        for handle, text in order:
            uri = cell_uri(path, handle)
            uris[handle] = uri
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="python", version=1, text=text
                    )
                )
            )
        # Pulled or pushed: once every cell is open the pool cell shows MP113.
        found = (
            await wait_until(
                lambda: [d for d in client.diagnostics.get(uris[3], []) if d.code == "MP113"]
            )
            if profile == "visual_studio_code"
            else [d for d in await diagnostics(client, uris[3], 1) if d.code == "MP113"]
        )
        (finding,) = found
        assert finding.range.start.line == 2
        assert text_in(POOL, finding.range, client.encoding) == "pool.map(square, range(4))"
        assert not await diagnostics(client, uris[2], 1)


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", ["visual_studio_code", "neovim"])
async def test_a_document_whose_uri_has_escapes_is_linted(profile: str, tmp_path: Path) -> None:
    """pygls keeps documents under their unquoted URI; the server must find them under
    the URI the client sent (``My%20Project``, a cell's ``%3D%3D``), and answer with it."""
    folder = tmp_path / "My Project"
    folder.mkdir()
    async with session(profile, tmp_path) as client:
        uri = open_document(client, folder / "student.py", UNGUARDED_SCRIPT)
        assert "%20" in uri
        found = await diagnostics(client, uri, 1)
        assert [d.code for d in found if d.code == "MP101"] == ["MP101"]


@pytest.mark.asyncio
async def test_a_pulling_client_is_asked_to_pull_the_other_cells_again(tmp_path: Path) -> None:
    """A client that pulls diagnostics (with refresh support, as VS Code does) is told to
    pull again when a cell changes, and a cell that did not change answers afresh."""
    capabilities = with_notebooks("neovim")
    capabilities.workspace = capabilities.workspace or types.WorkspaceClientCapabilities()
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    path = tmp_path / "analysis.ipynb"
    async with notebook_session(tmp_path, capabilities) as client:
        cells = [("python", IMPORTS), ("python", DEFINITION), ("python", POOL)]
        uris = open_notebook(client, path, cells)
        found = await diagnostics(client, uris[2], 1)
        assert [d.code for d in found] == ["MP113"]
        refreshed = client.diagnostic_refresh_count
        rename_square(client, path, uris[1])
        await wait_until(lambda: client.diagnostic_refresh_count > refreshed)
        assert await diagnostics(client, uris[2], 1) == []


@pytest.mark.asyncio
async def test_a_notebook_opened_as_json_text_shows_nothing(tmp_path: Path) -> None:
    """Findings of a notebook count lines in cells; on the JSON text they would point at
    the wrong lines, so a client that opens the .ipynb file itself gets none."""
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "source": "\n".join([IMPORTS, DEFINITION, POOL]),
        }
    ]
    data = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    async with session("visual_studio_code", tmp_path) as client:
        uri = open_document(client, tmp_path / "raw.ipynb", json.dumps(data, indent=1))
        assert await diagnostics(client, uri, 1) == []
