"""End-to-end tests of ``mplint lsp`` over stdio, driven by pytest-lsp with the
capabilities real editors send (Neovim 0.7 and latest, Emacs eglot/lsp-mode, VS Code),
and one test with a real headless Neovim."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from mplint.catalog import examples_dir, page_summary

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "mplint", "lsp"]
SERVER_WITH_BROKEN_CHECKS = [
    sys.executable,
    str(ROOT / "tests" / "lsp_server_with_broken_checks.py"),
]
ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}

# neovim@v0.7 is what Debian ships (push, UTF-16, no workspace/configuration, no
# showDocument); neovim latest pulls diagnostics and prefers UTF-8; emacs prefers UTF-32;
# VS Code: UTF-16, codeDescription, documentChanges, showDocument.
PROFILES = ["neovim@v0.7", "neovim", "emacs", "visual_studio_code"]
PUSH_PROFILES = ["neovim@v0.7", "emacs", "visual_studio_code"]

UNGUARDED = """\
import multiprocessing


def work(n):
    print(n * n)


worker = multiprocessing.Process(target=work, args=(3,))
worker.start()
worker.join()
"""

GUARDED = """\
import multiprocessing


def work(n):
    print(n * n)


if __name__ == "__main__":
    worker = multiprocessing.Process(target=work, args=(3,))
    worker.start()
    worker.join()
"""

WIDE = """\
import multiprocessing


def work(n):
    print(n)


label = "😀 中文 𝔘"; worker = multiprocessing.Process(target=work, args=(5,)); worker.start()
worker.join()
"""

FIXABLE = """\
import multiprocessing


def work(n):
    print(n)


if __name__ == "__main__":
    one = multiprocessing.Process(target=work, args=(5))
    two = multiprocessing.Process(target=work, args=5)
    three = multiprocessing.Process(target=work, args=(7))  # noqa: MP101
    for p in (one, two, three):
        p.start()
        p.join()
"""


class RecordingClient(LanguageClient):
    """pytest-lsp's client, also keeping every publishDiagnostics in order."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.profile = ""
        self.encoding = types.PositionEncodingKind.Utf16.value


def record_publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def make_client() -> RecordingClient:
    client = RecordingClient()
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record_publish
    register_lsp_features(client, features)
    return client


@contextlib.asynccontextmanager
async def session(
    profile: str,
    root: Path,
    *,
    server: list[str] | None = None,
    options: Any = None,
    locale: str | None = None,
    configuration: dict[str, Any] | None = None,
) -> AsyncIterator[RecordingClient]:
    config = ClientServerConfig(
        server_command=server or SERVER, client_factory=make_client, server_env=ENV
    )
    client = await config.start()
    assert isinstance(client, RecordingClient)
    client.profile = profile
    if configuration is not None:
        client.set_configuration(configuration, section="mplint")
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
            locale=locale,
        )
    )
    client.encoding = str(result.capabilities.position_encoding or "utf-16")
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def pulls(client: RecordingClient) -> bool:
    return (
        client.capabilities is not None
        and client.capabilities.text_document is not None
        and (client.capabilities.text_document.diagnostic is not None)
    )


async def wait_until(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting for the server")


def open_document(client: RecordingClient, path: Path, text: str, version: int = 1) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )
    return uri


def change_document(client: RecordingClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics(client: RecordingClient, uri: str, version: int) -> list[types.Diagnostic]:
    """What the editor shows for this version: pulled, or the push for this version."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    pushed = await wait_until(
        lambda: [p for p in client.published if p.uri == uri and p.version == version]
    )
    return list(pushed[-1].diagnostics)


# The rule set grows while these programs stay put: the tests look at the codes they are
# about (and the syntax error, which has no code) and let other findings be.
STUDIED = ("MP101", "MP107", None)


def studied(found: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in found if d.code in STUDIED]


def codes(found: list[types.Diagnostic]) -> list[tuple[str, int]]:
    return sorted((str(d.code), d.range.start.line) for d in studied(found))


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def code_points(line: str, count: int, encoding: str) -> int:
    """The client's side of the conversion: units in ``encoding`` -> a code point column."""
    for index in range(len(line) + 1):
        if units(line[:index], encoding) >= count:
            return index
    return len(line)


def text_in(text: str, where: types.Range, encoding: str) -> str:
    lines = text.split("\n")
    start_line, end_line = lines[where.start.line], lines[where.end.line]
    start = code_points(start_line, where.start.character, encoding)
    end = code_points(end_line, where.end.character, encoding)
    if where.start.line == where.end.line:
        return start_line[start:end]
    middle = lines[where.start.line + 1 : where.end.line]
    return "\n".join([start_line[start:], *middle, end_line[:end]])


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        return before + code_points(lines[position.line], position.character, encoding)

    spans = sorted((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits)
    for start, end, new_text in reversed(spans):
        text = text[:start] + new_text + text[end:]
    return text


def edits_of(action: types.CodeAction | types.Command, uri: str) -> list[types.TextEdit]:
    assert isinstance(action, types.CodeAction) and action.edit is not None
    if action.edit.document_changes:
        found: list[types.TextEdit] = []
        for change in action.edit.document_changes:
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == uri
            found.extend(e for e in change.edits if isinstance(e, types.TextEdit))
        return found
    assert action.edit.changes is not None
    return list(action.edit.changes[uri])


async def code_actions(
    client: RecordingClient, uri: str, line: int, only: list[str] | None = None
) -> list[types.CodeAction | types.Command]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(
                start=types.Position(line=line, character=0),
                end=types.Position(line=line, character=200),
            ),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )
    # An action that only carries a command comes back from lsprotocol's converter as a
    # Command (its JSON fits both shapes); an editor reads the JSON itself.
    return list(result or [])


# --- the document's life -----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", PROFILES)
async def test_open_change_close(profile: str, tmp_path: Path) -> None:
    async with session(profile, tmp_path) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        found = await diagnostics(client, uri, 1)
        assert codes(found) == [("MP101", 8)]
        (finding,) = studied(found)
        assert finding.source == "mplint"
        assert finding.severity == types.DiagnosticSeverity.Error
        assert text_in(UNGUARDED, finding.range, client.encoding) == "worker.start()"
        assert "MP101" in finding.message and "__main__" in finding.message
        if profile == "visual_studio_code":
            assert finding.code_description is not None
            assert "MP101" in finding.code_description.href
        else:
            assert finding.code_description is None

        change_document(client, uri, 2, GUARDED)
        assert not studied(await diagnostics(client, uri, 2))
        change_document(client, uri, 3, UNGUARDED)
        assert codes(await diagnostics(client, uri, 3)) == [("MP101", 8)]

        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        if not pulls(client):
            await wait_until(lambda: not client.published[-1].diagnostics)
            assert client.published[-1].uri == uri


@pytest.mark.asyncio
async def test_quick_edits_never_show_stale_results(tmp_path: Path) -> None:
    async with session("visual_studio_code", tmp_path, server=SERVER_WITH_BROKEN_CHECKS) as client:
        uri = open_document(client, tmp_path / "student.py", GUARDED)
        await diagnostics(client, uri, 1)
        # Typing: versions 2..6 arrive one after another. No debounce: each may be linted
        # as it comes, but never is an older version shown after a newer one, and the
        # last one shown is the text as it is now.
        for version in range(2, 7):
            change_document(client, uri, version, UNGUARDED if version % 2 else GUARDED)
        last = await diagnostics(client, uri, 6)
        assert not studied(last)
        shown = [p.version for p in client.published]
        assert shown == sorted(set(shown)) and shown[0] == 1 and shown[-1] == 6

        # A long lint of version 7 (2 s) is overtaken by version 8: 7 is never shown.
        change_document(client, uri, 7, UNGUARDED + "# MPLINT_TEST_SLOW=2\n")
        await asyncio.sleep(0.6)
        change_document(client, uri, 8, UNGUARDED)
        assert codes(await diagnostics(client, uri, 8)) == [("MP101", 8)]
        await asyncio.sleep(2.0)
        shown = [p.version for p in client.published]
        assert shown[shown.index(6) :] == [6, 8]


@pytest.mark.asyncio
async def test_hover_and_code_actions_answered_during_a_long_lint(tmp_path: Path) -> None:
    async with session("visual_studio_code", tmp_path, server=SERVER_WITH_BROKEN_CHECKS) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        await diagnostics(client, uri, 1)
        change_document(client, uri, 2, UNGUARDED + "# MPLINT_TEST_SLOW=4\n")
        await asyncio.sleep(0.5)  # the 4 s lint is running
        started = time.monotonic()
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=8, character=3),
            )
        )
        await code_actions(client, uri, 8)
        # Answered while the lint of version 2 still runs (a loaded CI machine is slow,
        # hence the margin; unanswered they would take the whole 4 s).
        assert not [p for p in client.published if p.version == 2]
        assert time.monotonic() - started < 2.0
        assert hover is not None and "MP101" in str(hover.contents)


# --- hover ---------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", ["neovim@v0.7", "visual_studio_code"])
async def test_hover_on_a_finding_and_on_a_noqa_comment(profile: str, tmp_path: Path) -> None:
    text = UNGUARDED + "again = multiprocessing.Process(target=work)  # noqa: MP107, MP101\n"
    async with session(profile, tmp_path) as client:
        uri = open_document(client, tmp_path / "student.py", text)
        await diagnostics(client, uri, 1)

        async def hover_at(line: int, character: int) -> types.Hover | None:
            return await client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=character),
                )
            )

        on_finding = await hover_at(8, 9)
        assert on_finding is not None
        assert isinstance(on_finding.contents, types.MarkupContent)
        assert on_finding.contents.kind == types.MarkupKind.Markdown
        assert "MP101" in on_finding.contents.value
        assert page_summary("MP101")[:40] in on_finding.contents.value
        assert "](file://" in on_finding.contents.value
        assert on_finding.range is not None
        assert on_finding.range.start == types.Position(line=8, character=0)

        comment_line = text.splitlines()[10]
        at = comment_line.index("MP101") + 2
        on_code = await hover_at(10, at)
        assert on_code is not None and isinstance(on_code.contents, types.MarkupContent)
        assert "MP101" in on_code.contents.value and "MP107" not in on_code.contents.value
        on_other = await hover_at(10, comment_line.index("MP107"))
        assert on_other is not None and "MP107" in str(on_other.contents)
        assert await hover_at(2, 0) is None


@pytest.mark.asyncio
async def test_hover_in_chinese(tmp_path: Path) -> None:
    async with session("visual_studio_code", tmp_path, locale="zh-CN") as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        (finding,) = studied(await diagnostics(client, uri, 1))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in finding.message)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=8, character=3),
            )
        )
        assert hover is not None and page_summary("MP101", "zh-CN")[:20] in str(hover.contents)


# --- positions -----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", PROFILES)
async def test_columns_after_emoji_and_chinese(profile: str, tmp_path: Path) -> None:
    async with session(profile, tmp_path) as client:
        uri = open_document(client, tmp_path / "wide.py", WIDE)
        (finding,) = studied(await diagnostics(client, uri, 1))
        assert finding.code == "MP101"
        assert text_in(WIDE, finding.range, client.encoding) == "worker.start()"
        line = WIDE.splitlines()[7]
        expected = units(line[: line.index("worker.start()")], client.encoding)
        assert finding.range.start.character == expected
        if client.encoding == "utf-16":
            # 😀 and 𝔘 are two UTF-16 units each, 中 and 文 one: not the code point column.
            assert expected == line.index("worker.start()") + 2


# --- code actions --------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", PUSH_PROFILES)
async def test_code_actions(profile: str, tmp_path: Path) -> None:
    async with session(profile, tmp_path) as client:
        uri = open_document(client, tmp_path / "fixable.py", FIXABLE)
        found = await diagnostics(client, uri, 1)
        assert ("MP107", 8) in codes(found) and ("MP107", 9) in codes(found)

        safe_line = await code_actions(client, uri, 8)
        titles = [a.title for a in safe_line]
        assert titles[0] == "MP107: Make args a one-element tuple"
        assert isinstance(safe_line[0], types.CodeAction) and safe_line[0].is_preferred
        fixed = apply_edits(FIXABLE, edits_of(safe_line[0], uri), client.encoding)
        assert "args=((5,)))" in fixed or "args=(5,))" in fixed
        assert "Disable MP107 for this line" in titles
        assert "Show runnable example for MP107" in titles

        disable = next(a for a in safe_line if a.title == "Disable MP107 for this line")
        disabled = apply_edits(FIXABLE, edits_of(disable, uri), client.encoding)
        assert disabled.splitlines()[8].endswith("args=(5))  # noqa: MP107")

        unsafe_line = await code_actions(client, uri, 9)
        assert unsafe_line[0].title == "MP107: Make args a one-element tuple (unsafe)"
        assert isinstance(unsafe_line[0], types.CodeAction) and not unsafe_line[0].is_preferred

        noqa_line = await code_actions(client, uri, 10)
        extend = next(a for a in noqa_line if a.title == "Disable MP107 for this line")
        extended = apply_edits(FIXABLE, edits_of(extend, uri), client.encoding)
        assert extended.splitlines()[10].endswith("# noqa: MP101, MP107")

        (fix_all,) = await code_actions(client, uri, 0, only=["source.fixAll"])
        assert isinstance(fix_all, types.CodeAction) and fix_all.kind == "source.fixAll.mplint"
        after = apply_edits(FIXABLE, edits_of(fix_all, uri), client.encoding)
        assert "args=5)" in after  # the unsafe fix is left out
        assert "args=(5))" not in after and "args=(7))" not in after
        assert await code_actions(client, uri, 0, only=["refactor"]) == []

        example = next(a for a in safe_line if a.title.startswith("Show runnable example"))
        command = example.command if isinstance(example, types.CodeAction) else example
        assert isinstance(command, types.Command)
        if command.command.startswith("{"):  # see code_actions(): the JSON was a CodeAction
            command = types.Command(**ast.literal_eval(command.command))
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )
        fixed_py = examples_dir() / "MP107-args-not-a-tuple" / "fixed.py"
        if profile == "visual_studio_code":
            await wait_until(lambda: client.shown_documents)
            assert client.shown_documents[0].uri == fixed_py.as_uri()
        else:
            await wait_until(lambda: client.messages)
            assert str(fixed_py) in client.messages[-1].message
            assert client.shown_documents == []


def test_fix_all_skips_overlapping_fixes() -> None:
    from mplint.diagnostic import TextEdit
    from mplint.lsp import non_overlapping

    first = (TextEdit(1, 0, 1, 5, "a"),)
    overlapping = (TextEdit(1, 3, 1, 8, "b"),)
    touching = (TextEdit(1, 5, 1, 6, "c"),)
    same_insert = (TextEdit(2, 0, 2, 0, "x"), TextEdit(2, 0, 2, 0, "y"))
    assert non_overlapping([first, overlapping, touching]) == [*first, *touching]
    assert non_overlapping([same_insert[:1], same_insert[1:]]) == [same_insert[0]]


# --- settings ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_pyproject_of_the_documents_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.mplint]\nignore = ["MP101"]\n')
    async with session("neovim@v0.7", tmp_path) as client:
        inside = open_document(client, project / "student.py", UNGUARDED)
        outside = open_document(client, tmp_path / "other.py", UNGUARDED)
        assert not studied(await diagnostics(client, inside, 1))
        assert codes(await diagnostics(client, outside, 1)) == [("MP101", 8)]


@pytest.mark.asyncio
async def test_initialization_options(tmp_path: Path) -> None:
    options = {"mplint": {"ignore": ["MP101"], "extendSelect": ["MP901"]}}
    async with session("emacs", tmp_path, options=options) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        assert not studied(await diagnostics(client, uri, 1))


@pytest.mark.asyncio
async def test_workspace_configuration_and_did_change_configuration(tmp_path: Path) -> None:
    configuration = {"ignore": ["MP101"]}
    async with session("visual_studio_code", tmp_path, configuration=configuration) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        assert not studied(await diagnostics(client, uri, 1))
        client.set_configuration({"lang": "zh-CN"}, section="mplint")
        published = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await wait_until(
            lambda: len(client.published) > published and studied(client.published[-1].diagnostics)
        )
        (finding,) = studied(client.published[-1].diagnostics)
        assert finding.code == "MP101" and "进程" in finding.message


@pytest.mark.asyncio
async def test_did_change_configuration_without_workspace_configuration(tmp_path: Path) -> None:
    async with session("neovim@v0.7", tmp_path) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        assert codes(await diagnostics(client, uri, 1)) == [("MP101", 8)]
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"mplint": {"ignore": ["MP1"]}})
        )
        await wait_until(lambda: not studied(client.published[-1].diagnostics))
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"mplint": {"ignore": ["NOPE"]}})
        )
        await wait_until(lambda: client.messages)
        assert "NOPE" in client.messages[-1].message


# --- the server does not die ---------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("profile", ["neovim@v0.7", "neovim"])
async def test_syntax_error_then_recovery(profile: str, tmp_path: Path) -> None:
    broken = "import multiprocessing\n\ndef work(n:\n    return n\n"
    async with session(profile, tmp_path) as client:
        uri = open_document(client, tmp_path / "broken.py", broken)
        (error,) = studied(await diagnostics(client, uri, 1))
        assert error.severity == types.DiagnosticSeverity.Error
        assert error.source == "mplint" and "syntax error" in error.message
        assert error.range.start.line in (2, 3)
        change_document(client, uri, 2, UNGUARDED)
        assert codes(await diagnostics(client, uri, 2)) == [("MP101", 8)]


@pytest.mark.asyncio
async def test_a_check_that_raises_is_logged_and_the_rest_arrive(tmp_path: Path) -> None:
    async with session("emacs", tmp_path, server=SERVER_WITH_BROKEN_CHECKS) as client:
        uri = open_document(client, tmp_path / "student.py", UNGUARDED + "# MPLINT_TEST_RAISE\n")
        assert codes(await diagnostics(client, uri, 1)) == [("MP101", 8)]
        logged = await wait_until(
            lambda: [m for m in client.log_messages if "raising_check" in m.message]
        )
        assert logged[0].type == types.MessageType.Error
        assert "a check broke on purpose" in logged[0].message


@pytest.mark.asyncio
async def test_shutdown_and_exit(tmp_path: Path) -> None:
    config = ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=ENV)
    client = await config.start()
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("neovim@v0.7"))
    )
    assert isinstance(client, RecordingClient)
    open_document(client, tmp_path / "student.py", UNGUARDED)
    await client.shutdown_session()
    assert client._server is not None
    assert client._server.returncode == 0
    await client.stop()


# --- a real editor -------------------------------------------------------------------------

NVIM_SCRIPT = """
local out = vim.env.MPLINT_NVIM_OUT
local got = nil
local client_id = vim.lsp.start_client({
  name = "mplint",
  cmd = { vim.env.MPLINT_PYTHON, "-m", "mplint", "lsp" },
  root_dir = vim.env.MPLINT_ROOT,
  handlers = {
    ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
      if result and #result.diagnostics > 0 then got = result end
      vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
    end,
  },
})
vim.lsp.buf_attach_client(0, client_id)
local ok = vim.wait(30000, function() return got ~= nil end, 50)
local found = {}
if ok then
  for _, d in ipairs(got.diagnostics) do
    table.insert(found, { code = d.code, line = d.range.start.line, source = d.source })
  end
end
local shown = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(shown, { line = d.lnum, message = d.message })
end
local file = io.open(out, "w")
file:write(vim.fn.json_encode({ ok = ok, found = found, shown = shown }))
file:close()
vim.lsp.stop_client(client_id)
vim.cmd("qa!")
"""


def test_real_neovim_shows_mp101(tmp_path: Path) -> None:
    nvim = shutil.which("nvim")
    if nvim is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("neovim is missing: CI must install it (apt-get install -y neovim)")
        pytest.skip("neovim is not installed (install it with apt-get install -y neovim)")
    student = tmp_path / "student.py"
    student.write_text(UNGUARDED, encoding="utf-8")
    script = tmp_path / "mplint.lua"
    script.write_text(textwrap.dedent(NVIM_SCRIPT), encoding="utf-8")
    out = tmp_path / "out.json"
    env = {
        **ENV,
        "MPLINT_NVIM_OUT": str(out),
        "MPLINT_PYTHON": sys.executable,
        "MPLINT_ROOT": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    command = ["timeout", "60", nvim, "--headless", "--clean", "-n", str(student)]
    command += ["-c", f"luafile {script}"]
    completed = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90
    )
    assert out.exists(), f"neovim wrote nothing: {completed.returncode} {completed.stderr}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ok"], result
    assert result["found"] == [{"code": "MP101", "line": 8, "source": "mplint"}]
    assert [d["line"] for d in result["shown"]] == [8]


@pytest.mark.asyncio
async def test_tcp_binds_localhost_and_lints(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*SERVER, "--tcp", "--port", str(port)], env=ENV)
    client = make_client()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                await asyncio.sleep(0.2)
        await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities("neovim@v0.7"))
        )
        uri = open_document(client, tmp_path / "student.py", UNGUARDED)
        assert codes(await diagnostics(client, uri, 1)) == [("MP101", 8)]
        await client.shutdown_async(None)
        client.exit(None)
        assert await asyncio.to_thread(server.wait, 15) == 0
    finally:
        await client.stop()
        if server.poll() is None:
            server.kill()
            server.wait()
