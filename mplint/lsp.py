"""The language server: the engine's diagnostics, hovers and fixes in any LSP editor.

An adapter over ``lint_source`` built on pygls 2.x. The flow for one document:

    didOpen / didChange / didSave -> lint now, unless a lint of the document runs:
        then wait for it (edits that arrive meanwhile replace each other, so typing
        costs one lint of the newest text, not one per keystroke)
    lint (worker thread) -> Snapshot (the text that was linted and what was found)
        -> dropped when the document moved on meanwhile, else kept and published

Each open document keeps an IncrementalParser: an edit re-parses only the top-level
statements it touched, and the positions of the others are kept.

There is no fixed debounce: a lint of a student's script takes a few tens of
milliseconds, less than any debounce worth having, and a long one is never
interrupted by the next keystroke, only followed by one lint of the latest text.

Everything the editor asks about later (hover, code actions, pulled diagnostics)
is answered from the kept Snapshot, on the event loop, without linting again, so
a long lint never delays them. Positions are code points inside the engine and
converted to the negotiated position encoding (UTF-16 unless the client offers
another) only here, against the lines of the text that was linted.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types

from mplint import __version__
from mplint.catalog import RULES, doc_url, examples_dir, normalize_lang, page_summary
from mplint.config import (
    ConfigError,
    Settings,
    environment_lang,
    settings_from_table,
)
from mplint.diagnostic import Applicability, Diagnostic, FileError, Severity, TextEdit
from mplint.engine import lint_source
from mplint.fixes import applies, apply_fixes, text_edit_between
from mplint.incremental import IncrementalParser
from mplint.lsp_notebooks import NOTEBOOK_SYNC, NotebookLints, relint_siblings
from mplint.lsp_notebooks import register as register_notebook_features
from mplint.lsp_protocol import SessionLanguageServer, serve_stdio

T = TypeVar("T")
SOURCE = "mplint"
# How long didChange waits before linting. None needed: see the module's docstring.
DEBOUNCE_SECONDS = 0.0
CONFIGURATION_TIMEOUT = 2.0
FIX_ALL_KIND = "source.fixAll.mplint"
SHOW_EXAMPLE_COMMAND = "mplint.showExample"
# The [tool.mplint] keys an editor may set; editors also spell them extendSelect etc.
EDITOR_KEYS = ("select", "ignore", "extend-select", "start-method", "lang", "docs-url")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NOQA_WITH_CODES = re.compile(
    r"#\s*noqa:\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.IGNORECASE
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

_TEXTS = {
    "en": {
        "disable": "Disable {code} for this line",
        "example": "Show runnable example for {code}",
        "fix_all": "Fix all mplint problems",
        "unsafe": "(unsafe)",
        "page": "Rule page",
        "example_at": "Runnable example for {code}: {path} (the broken version is beside it)",
        "no_example": "mplint has no runnable example for {code}",
        "check_failed": "mplint: the check {name} failed on {uri}; the other checks still ran. "
        "Please report it.\n{traceback}",
        "config": "mplint: configuration error, using the defaults instead: {error}",
    },
    "zh-CN": {
        "disable": "在此行禁用 {code}",
        "example": "查看 {code} 的可运行示例",
        "fix_all": "修复所有 mplint 问题",
        "unsafe": "(不安全)",
        "page": "规则说明",
        "example_at": "{code} 的可运行示例：{path}（出错的版本在同一目录）",
        "no_example": "mplint 没有 {code} 的可运行示例",
        "check_failed": "mplint：检查 {name} 在 {uri} 上出错；其余检查照常运行。请报告此问题。\n{traceback}",
        "config": "mplint：配置有误，改用默认设置：{error}",
    },
}


def text(lang: str, key: str, **values: str) -> str:
    return _TEXTS.get(lang, _TEXTS["en"])[key].format(**values)


# --- positions ---------------------------------------------------------------------------


def split_lines(source: str) -> list[str]:
    """Lines as LSP counts them: only CR LF, CR and LF end a line (not form feeds)."""
    return _LINE_BREAK.split(source)


def units_of(text_: str, encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text_.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text_)
    return len(text_.encode("utf-16-le", "surrogatepass")) // 2


def to_client_column(line: str, column: int, encoding: str) -> int:
    """A code point column to the client's units (UTF-16 code units unless negotiated)."""
    return units_of(line[:column], encoding)


def from_client_column(line: str, units: int, encoding: str) -> int:
    """The client's units back to a code point column, clamped to the line."""
    if encoding == types.PositionEncodingKind.Utf32:
        return min(units, len(line))
    counted = 0
    for index, char in enumerate(line):
        if counted >= units:
            return index
        counted += units_of(char, encoding)
    return len(line)


# --- what a lint produced ----------------------------------------------------------------


@dataclass
class Snapshot:
    """One lint of one version of a document, in the engine's coordinates."""

    uri: str
    version: int | None
    generation: int
    lines: list[str]
    settings: Settings
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: FileError | None = None
    internal_errors: list[tuple[str, str]] = field(default_factory=list)
    config_error: str | None = None

    @property
    def result_id(self) -> str:
        return f"{self.version}:{self.generation}"

    def line(self, number: int) -> str:
        """A 1-based line of the linted text."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


def contains(diagnostic: Diagnostic, line: int, column: int) -> bool:
    start = (diagnostic.line, diagnostic.column)
    end = (diagnostic.end_line, diagnostic.end_column)
    return start <= (line, column) <= end


def overlaps(diagnostic: Diagnostic, start: tuple[int, int], end: tuple[int, int]) -> bool:
    return (diagnostic.line, diagnostic.column) <= end and start <= (
        diagnostic.end_line,
        diagnostic.end_column,
    )


def editor_table(value: object) -> dict[str, Any]:
    """Settings from an editor: flat or under "mplint", keys spelled as in [tool.mplint]
    or camelCase / snake_case. Unknown keys are left out."""
    if not isinstance(value, Mapping):
        return {}
    nested = value.get("mplint")
    settings: Mapping[object, object] = nested if isinstance(nested, Mapping) else value
    table = {}
    for key, item in settings.items():
        name = re.sub(r"(?<=[a-z])([A-Z])", r"-\1", str(key)).replace("_", "-").lower()
        if name in EDITOR_KEYS and item is not None:
            table[name] = item
    return table


def non_overlapping(edit_groups: Iterable[Sequence[TextEdit]]) -> list[TextEdit]:
    """Edits of whole fixes, in order, skipping any fix that touches an earlier one's span.
    Two insertions at the same point also count as touching: their order would matter."""
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    chosen: list[TextEdit] = []
    for group in edit_groups:
        spans = [((e.start_line, e.start_column), (e.end_line, e.end_column)) for e in group]
        if any(
            start < other_end and other_start < end or start == other_start
            for start, end in spans
            for other_start, other_end in taken
        ):
            continue
        taken.extend(spans)
        chosen.extend(group)
    return chosen


# --- the server ----------------------------------------------------------------------------


class MplintServer(SessionLanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__, notebook_document_sync=NOTEBOOK_SYNC)
        self.notebooks = NotebookLints()  # cells of notebooks: see mplint.lsp_notebooks
        self.debounce = DEBOUNCE_SECONDS
        self.locale: str | None = None
        self.initialization_options: dict[str, Any] = {}
        self.pushed_settings: dict[str, Any] = {}
        self.client_settings: dict[str, dict[str, Any]] = {}
        self.snapshots: dict[str, Snapshot] = {}
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.running: dict[str, asyncio.Future[Snapshot]] = {}
        # Per document: parses again only the statements an edit touched. Used by one
        # lint at a time (lint_now waits for the running one).
        self.parsers: dict[str, IncrementalParser] = {}
        self.generation = 0
        self.reported: set[str] = set()

    def document(self, uri: str) -> Any:
        """The open document ``uri`` names. pygls keeps documents under their unquoted
        URI; clients send them quoted (``My%20Project``, a notebook cell's ``%3D``)."""
        return self.workspace.text_documents.get(unquote(uri))

    # -- what the client can do --

    def supports(self, path: str) -> bool:
        """A client capability given as a dotted path of lsprotocol attribute names."""
        value: Any = self.client_capabilities
        for name in path.split("."):
            value = getattr(value, name, None)
            if value is None:
                return False
        return bool(value) if not hasattr(value, "__attrs_attrs__") else True

    @property
    def pull_mode(self) -> bool:
        return self.supports("text_document.diagnostic")

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    @property
    def lang(self) -> str:
        return normalize_lang(self.locale) if self.locale else environment_lang()

    # -- settings --

    def settings_for(self, uri: str, path: str | None) -> tuple[Settings, str | None]:
        """Defaults, [tool.mplint] of the document's folder, the client's locale, then the
        editor's settings: initializationOptions, didChangeConfiguration, workspace/configuration."""
        start = Path(path).parent if path else self.workspace_root()
        problem = None
        try:
            settings = self.project_settings(start)
        except ConfigError as error:
            settings, problem = Settings(lang=environment_lang()), str(error)
        if self.locale:
            settings = settings.replace(lang=normalize_lang(self.locale))
        for where, table in (
            ("initializationOptions", self.initialization_options),
            ("didChangeConfiguration", self.pushed_settings),
            ("workspace/configuration", self.client_settings.get(uri, {})),
        ):
            if not table:
                continue
            try:
                settings = settings_from_table(table, f"editor settings ({where})", settings)
            except ConfigError as error:
                problem = str(error)
        return settings, problem

    def workspace_root(self) -> Path:
        root = self.workspace.root_path
        return Path(root) if root else Path.cwd()

    async def fetch_client_settings(self, uris: Iterable[str]) -> None:
        """Ask workspace/configuration (section "mplint") for each document, when the
        client says it answers; a client that never answers does not stall linting."""
        uris = list(uris)
        if not uris or not self.supports("workspace.configuration"):
            return
        params = types.ConfigurationParams(
            items=[types.ConfigurationItem(scope_uri=uri, section="mplint") for uri in uris]
        )
        try:
            answers = await asyncio.wait_for(
                self.workspace_configuration_async(params), CONFIGURATION_TIMEOUT
            )
        except Exception as error:  # a timeout or an error reply: keep what we had
            self.log(types.MessageType.Warning, f"mplint: workspace/configuration: {error!r}")
            return
        for uri, answer in zip(uris, answers or [], strict=False):
            self.client_settings[uri] = editor_table(answer)

    # -- linting --

    def lint_document(self, uri: str, version: int | None, source: str) -> Snapshot:
        """Runs in a worker thread: no messages are sent from here."""
        path = path_of(uri)
        settings, problem = self.settings_for(uri, path)
        lines = split_lines(source)
        snapshot = Snapshot(uri, version, self.generation, lines, settings, config_error=problem)
        if path is not None and settings.exclude and settings.is_excluded(Path(path)):
            return snapshot
        cell = self.notebooks.lint_cell(self, uri, source, settings)
        if cell is not None:  # a notebook's cell: linted with the other cells
            snapshot.diagnostics, snapshot.error = cell.diagnostics, cell.error
            snapshot.internal_errors = cell.internal_errors
            return snapshot
        parser = self.parsers.setdefault(uri, IncrementalParser())
        result = lint_source(source, path or "<untitled>", settings, parser=parser)
        snapshot.diagnostics = result.diagnostics
        snapshot.error = result.error
        snapshot.internal_errors = result.internal_errors
        return snapshot

    async def lint_now(self, uri: str) -> Snapshot | None:
        # One lint per document at a time: a newer version waits for the running one (whose
        # result will be dropped) rather than competing with it for the interpreter.
        running = self.running.get(uri)
        if running is not None and not running.done():
            await asyncio.wait([running])
        document = self.document(uri)
        if document is None:
            return None
        future = in_worker_thread(self.lint_document, uri, document.version, document.source)
        self.running[uri] = future
        # Shielded: cancelling this task (a newer edit) leaves ``future`` to tell when the
        # thread is done.
        return await asyncio.shield(future)

    def schedule(self, uri: str, delay: float) -> None:
        """(Re)start the document's lint; a newer edit cancels the older wait or lint."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.ensure_future(self._lint_and_publish(uri, delay))
        self.pending[uri] = task
        task.add_done_callback(lambda done: self._forget(uri, done))

    def _forget(self, uri: str, task: asyncio.Future[Any]) -> None:
        if self.pending.get(uri) is task:
            del self.pending[uri]
        if not task.cancelled() and task.exception() is not None:
            self.log(types.MessageType.Error, f"mplint: linting {uri} failed: {task.exception()!r}")

    async def _lint_and_publish(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        snapshot = await self.lint_now(uri)
        if snapshot is not None and self.keep(snapshot):
            self.publish(snapshot)
            relint_siblings(self, self.notebooks, uri)

    def keep(self, snapshot: Snapshot) -> bool:
        """Keep a lint only while it describes the document as it is now."""
        document = self.document(snapshot.uri)
        if document is None or document.version != snapshot.version:
            return False
        if snapshot.generation != self.generation:
            return False
        self.snapshots[snapshot.uri] = snapshot
        self.report_problems(snapshot)
        return True

    def report_problems(self, snapshot: Snapshot) -> None:
        lang = snapshot.settings.lang
        for name, traceback in snapshot.internal_errors:
            key = f"{name}\n{traceback}"
            if key not in self.reported:
                self.reported.add(key)
                message = text(
                    lang, "check_failed", name=name, uri=snapshot.uri, traceback=traceback
                )
                self.log(types.MessageType.Error, message)
        if snapshot.config_error and snapshot.config_error not in self.reported:
            self.reported.add(snapshot.config_error)
            message = text(lang, "config", error=snapshot.config_error)
            self.log(types.MessageType.Warning, message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=message)
            )

    def publish(self, snapshot: Snapshot) -> None:
        if self.pull_mode:
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=snapshot.uri,
                version=snapshot.version,
                diagnostics=self.lsp_diagnostics(snapshot),
            )
        )

    def clear(self, uri: str) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.snapshots.pop(uri, None)
        self.running.pop(uri, None)
        self.parsers.pop(uri, None)
        self.client_settings.pop(uri, None)
        if not self.pull_mode:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    def settings_changed(self) -> None:
        """New settings: every open document is linted again."""
        self.generation += 1
        if self.pull_mode:
            if self.supports("workspace.diagnostics.refresh_support"):
                self.workspace_diagnostic_refresh(None)
            return
        for uri in [document.uri for document in self.workspace.text_documents.values()]:
            self.schedule(uri, 0)

    def log(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # -- converting to the protocol --

    def lsp_range(
        self, lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]
    ) -> types.Range:
        """1-based lines and code point columns of ``lines`` -> an LSP range."""

        def position(line: int, column: int) -> types.Position:
            text_ = lines[line - 1] if 0 < line <= len(lines) else ""
            return types.Position(
                line=max(line - 1, 0), character=to_client_column(text_, column, self.encoding)
            )

        return types.Range(start=position(*start), end=position(*end))

    def lsp_diagnostic(self, diagnostic: Diagnostic, lines: Sequence[str]) -> types.Diagnostic:
        href = None
        if diagnostic.url and self.supports(
            "text_document.publish_diagnostics.code_description_support"
        ):
            href = types.CodeDescription(href=diagnostic.url)
        return types.Diagnostic(
            range=self.lsp_range(
                lines,
                (diagnostic.line, diagnostic.column),
                (diagnostic.end_line, diagnostic.end_column),
            ),
            message=diagnostic.message,
            severity=(
                types.DiagnosticSeverity.Error
                if diagnostic.severity == Severity.ERROR
                else types.DiagnosticSeverity.Warning
            ),
            code=diagnostic.code,
            code_description=href,
            source=SOURCE,
            data={"name": diagnostic.name, "fixable": diagnostic.fix is not None},
        )

    def error_diagnostic(self, error: FileError, lines: Sequence[str]) -> types.Diagnostic:
        """A file that does not parse: one diagnostic on the character where it stops."""
        line = min(max(error.line, 1), max(len(lines), 1))
        text_ = lines[line - 1] if lines else ""
        start = min(max(error.column, 0), len(text_))
        if start == len(text_) and start > 0:
            start -= 1
        end = min(start + 1, len(text_))
        return types.Diagnostic(
            range=self.lsp_range(lines, (line, start), (line, end)),
            message=error.message,
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
        )

    def lsp_diagnostics(self, snapshot: Snapshot) -> list[types.Diagnostic]:
        found = [self.lsp_diagnostic(d, snapshot.lines) for d in snapshot.diagnostics]
        if snapshot.error is not None:
            found.insert(0, self.error_diagnostic(snapshot.error, snapshot.lines))
        return found

    def lsp_edit(self, edit: TextEdit, lines: Sequence[str]) -> types.TextEdit:
        return types.TextEdit(
            range=self.lsp_range(
                lines, (edit.start_line, edit.start_column), (edit.end_line, edit.end_column)
            ),
            new_text=edit.new_text,
        )

    def workspace_edit(self, snapshot: Snapshot, edits: Sequence[TextEdit]) -> types.WorkspaceEdit:
        lsp_edits = [self.lsp_edit(e, snapshot.lines) for e in edits]
        if self.supports("workspace.workspace_edit.document_changes"):
            return types.WorkspaceEdit(
                document_changes=[
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=snapshot.uri, version=snapshot.version
                        ),
                        edits=list(lsp_edits),
                    )
                ]
            )
        return types.WorkspaceEdit(changes={snapshot.uri: list(lsp_edits)})

    # -- the editor's questions --

    def current_snapshot(self, uri: str) -> Snapshot | None:
        """The kept lint, if it still describes the document's current text."""
        snapshot = self.snapshots.get(uri)
        document = self.document(uri)
        if snapshot is None or document is None or document.version != snapshot.version:
            return None
        if self.notebooks.is_stale(self, uri):  # another cell of its notebook changed
            return None
        return snapshot

    def server_position(self, snapshot: Snapshot, position: types.Position) -> tuple[int, int]:
        line = position.line + 1
        return line, from_client_column(snapshot.line(line), position.character, self.encoding)

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        snapshot = self.snapshots.get(params.text_document.uri)
        if snapshot is None:
            return None
        line, column = self.server_position(snapshot, params.position)
        settings = snapshot.settings
        found = [d for d in snapshot.diagnostics if contains(d, line, column)]
        if found:
            codes = list(dict.fromkeys(d.code for d in found))
            first = found[0]
            where = self.lsp_range(
                snapshot.lines, (first.line, first.column), (first.end_line, first.end_column)
            )
        else:
            noqa = noqa_codes_at(snapshot.line(line), column)
            if noqa is None:
                return None
            codes, (start, end) = noqa
            where = self.lsp_range(snapshot.lines, (line, start), (line, end))
        markdown = self.supports_markdown_hover()
        parts = [rule_hover(code, settings, markdown) for code in codes]
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
                value="\n\n---\n\n".join(parts) if markdown else "\n\n".join(parts),
            ),
            range=where,
        )

    def supports_markdown_hover(self) -> bool:
        hover = getattr(self.client_capabilities.text_document, "hover", None)
        formats = getattr(hover, "content_format", None) or []
        return types.MarkupKind.Markdown in formats

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        snapshot = self.current_snapshot(params.text_document.uri)
        if snapshot is None:
            return []
        only = params.context.only or []

        def wanted(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)

        lang = self.lang_of(snapshot)
        start = self.server_position(snapshot, params.range.start)
        end = self.server_position(snapshot, params.range.end)
        actions: list[types.CodeAction] = []
        if wanted(types.CodeActionKind.QuickFix):
            in_range = [d for d in snapshot.diagnostics if overlaps(d, start, end)]
            fixes, others = [], []
            seen: set[tuple[str, int]] = set()
            for diagnostic in in_range:
                lsp_diagnostic = self.lsp_diagnostic(diagnostic, snapshot.lines)
                if diagnostic.fix is not None:
                    fixes.append(self.fix_action(snapshot, diagnostic, lsp_diagnostic, lang))
                if (diagnostic.code, diagnostic.line) in seen:
                    continue
                seen.add((diagnostic.code, diagnostic.line))
                others.append(self.disable_action(snapshot, diagnostic, lsp_diagnostic, lang))
                example = self.example_action(diagnostic, lsp_diagnostic, lang)
                if example is not None:
                    others.append(example)
            fixes.sort(key=lambda action: not action.is_preferred)
            actions.extend(fixes + others)
        if wanted(FIX_ALL_KIND):
            fix_all = self.fix_all_action(snapshot, lang)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    def lang_of(self, snapshot: Snapshot) -> str:
        return snapshot.settings.lang

    def fix_action(
        self,
        snapshot: Snapshot,
        diagnostic: Diagnostic,
        lsp_diagnostic: types.Diagnostic,
        lang: str,
    ) -> types.CodeAction:
        assert diagnostic.fix is not None
        fix = diagnostic.fix
        safe = fix.applicability == Applicability.SAFE
        title = f"{diagnostic.code}: {fix.title}"
        if not safe:
            title += " " + text(lang, "unsafe")
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diagnostic],
            edit=self.workspace_edit(snapshot, fix.edits),
            is_preferred=safe,
        )

    def disable_action(
        self,
        snapshot: Snapshot,
        diagnostic: Diagnostic,
        lsp_diagnostic: types.Diagnostic,
        lang: str,
    ) -> types.CodeAction:
        line = snapshot.line(diagnostic.line)
        edit = noqa_edit(diagnostic.line, line, diagnostic.code)
        return types.CodeAction(
            title=text(lang, "disable", code=diagnostic.code),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diagnostic],
            edit=self.workspace_edit(snapshot, [edit]),
        )

    def example_action(
        self, diagnostic: Diagnostic, lsp_diagnostic: types.Diagnostic, lang: str
    ) -> types.CodeAction | None:
        if example_path(diagnostic.code) is None:
            return None
        title = text(lang, "example", code=diagnostic.code)
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diagnostic],
            command=types.Command(
                title=title, command=SHOW_EXAMPLE_COMMAND, arguments=[diagnostic.code]
            ),
        )

    def fix_all_action(self, snapshot: Snapshot, lang: str) -> types.CodeAction | None:
        """Every safe fix, as ``mplint check --fix`` applies them (fixes.apply_fixes: rounds
        of non-overlapping fixes, linted again in between), as one edit of the changed lines."""
        document = self.document(snapshot.uri)
        if document is None or not any(applies(d.fix, False) for d in snapshot.diagnostics):
            return None
        source = document.source
        fixed, _ = apply_fixes(
            source,
            snapshot.diagnostics,
            False,
            settings=snapshot.settings,
            path=path_of(snapshot.uri) or "<untitled>",
        )
        edit = text_edit_between(source, fixed)
        if edit is None:
            return None
        return types.CodeAction(
            title=text(lang, "fix_all"),
            kind=FIX_ALL_KIND,
            edit=self.workspace_edit(snapshot, [edit]),
        )

    async def show_example(self, code: str) -> None:
        code = str(code).strip().upper()
        path = example_path(code)
        if path is None:
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning, message=text(self.lang, "no_example", code=code)
                )
            )
            return
        if self.supports("window.show_document.support"):
            result = await self.window_show_document_async(
                types.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
            )
            if result is not None and result.success:
                return
        self.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info,
                message=text(self.lang, "example_at", code=code, path=str(path)),
            )
        )

    async def pull_diagnostics(
        self, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        snapshot = self.current_snapshot(uri)
        if snapshot is None or snapshot.generation != self.generation:
            snapshot = await self.lint_now(uri)
            if snapshot is None:
                return types.RelatedFullDocumentDiagnosticReport(items=[])
            self.keep(snapshot)
        if params.previous_result_id == snapshot.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=snapshot.result_id)
        return types.RelatedFullDocumentDiagnosticReport(
            items=self.lsp_diagnostics(snapshot), result_id=snapshot.result_id
        )


# --- helpers that need no server -----------------------------------------------------------


def in_worker_thread(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Run ``function`` in a daemon thread; its result arrives on the event loop. Daemon
    threads, not an executor: a lint still running when the editor says ``exit`` must not
    keep the process alive (an executor's threads are joined at interpreter exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)  # type: ignore[arg-type]

    def work() -> None:
        try:
            outcome, error = function(*args), None
        except BaseException as raised:  # handed to the awaiting task
            outcome, error = None, raised
        try:
            loop.call_soon_threadsafe(settle, outcome, error)
        except RuntimeError:  # the loop is gone: the server is exiting
            pass

    threading.Thread(target=work, name="mplint-lint", daemon=True).start()
    # Retrieved here so that an error nobody awaits any more is not reported as lost.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    return future


def path_of(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    from pygls.uris import to_fs_path

    return to_fs_path(uri)


def example_path(code: str) -> Path | None:
    if code not in RULES:
        return None
    fixed = examples_dir() / f"{code}-{RULES[code].name}" / "fixed.py"
    return fixed if fixed.is_file() else None


def rule_hover(code: str, settings: Settings, markdown: bool) -> str:
    rule = RULES.get(code)
    if rule is None:
        return code
    summary = page_summary(code, settings.lang)
    url = doc_url(code, settings.lang, settings.docs_url)
    label = text(settings.lang, "page")
    if markdown:
        return f"**{code}** `{rule.name}`\n\n{summary}\n\n[{label}: {code}]({url})"
    return f"{code} {rule.name}\n\n{summary}\n\n{label}: {url}"


def noqa_codes_at(line: str, column: int) -> tuple[list[str], tuple[int, int]] | None:
    """The known codes of a ``# noqa: ...`` comment under the cursor, with their span:
    the one code under the cursor, or all of them when it is on ``# noqa:`` itself."""
    match = _NOQA_WITH_CODES.search(line)
    if match is None or not match.start() <= column <= match.end():
        return None
    codes = [(m.group().upper(), m.span()) for m in _CODE.finditer(line, *match.span("codes"))]
    codes = [(code, span) for code, span in codes if code in RULES]
    for code, (start, end) in codes:
        if start <= column <= end:
            return [code], (start, end)
    if not codes or column >= match.start("codes"):
        return None
    return [code for code, _ in codes], match.span()


def noqa_edit(line_number: int, line: str, code: str) -> TextEdit:
    """Add ``code`` to the line's ``# noqa:`` comment, or add one at the end of the line."""
    match = _NOQA_WITH_CODES.search(line)
    if match is not None:
        at = match.end("codes")
        return TextEdit(line_number, at, line_number, at, f", {code}")
    end = len(line.rstrip())
    return TextEdit(line_number, end, line_number, len(line), f"  # noqa: {code}")


def create_server() -> MplintServer:
    server = MplintServer()
    register_notebook_features(server, server.notebooks)

    @server.feature(types.INITIALIZE)
    def initialize(ls: MplintServer, params: types.InitializeParams) -> None:
        ls.locale = params.locale
        ls.initialization_options = editor_table(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MplintServer, params: types.InitializedParams) -> None:
        ls.log(
            types.MessageType.Info,
            f"mplint {__version__}: {'pull' if ls.pull_mode else 'push'} diagnostics, "
            f"{ls.encoding} positions, messages in {ls.lang}",
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: MplintServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        await ls.fetch_client_settings([uri])
        if not ls.pull_mode:
            ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MplintServer, params: types.DidChangeTextDocumentParams) -> None:
        if not ls.pull_mode:
            ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MplintServer, params: types.DidSaveTextDocumentParams) -> None:
        if not ls.pull_mode:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MplintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.clear(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def diagnostic(
        ls: MplintServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        return await ls.pull_diagnostics(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: MplintServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if ls.supports("workspace.configuration"):
            await ls.fetch_client_settings(list(ls.workspace.text_documents))
        else:
            ls.pushed_settings = editor_table(params.settings)
        ls.settings_changed()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: MplintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: MplintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    @server.command(SHOW_EXAMPLE_COMMAND)
    async def show_example(ls: MplintServer, *arguments: Any) -> None:
        if arguments:
            await ls.show_example(str(arguments[0]))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MplintServer, params: None) -> None:
        for task in ls.pending.values():
            task.cancel()
        ls.pending.clear()

    return server


def main(args: argparse.Namespace | None = None) -> int:
    """``mplint lsp``: stdio unless ``--tcp`` (a loopback address, 127.0.0.1 unless told
    otherwise). The exit status is the session's (mplint.lsp_protocol)."""
    server = create_server()
    if args is not None and getattr(args, "tcp", False):
        from mplint.lsp_tcp import serve_tcp

        return serve_tcp(server, getattr(args, "host", "127.0.0.1"), getattr(args, "port", 2087))
    return serve_stdio(server)
