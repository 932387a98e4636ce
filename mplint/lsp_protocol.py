"""The language server's wire: framing, JSON-RPC errors and the end of a session.

pygls 2.1 reads the stream itself and drops what it cannot handle without a word: a body
that is not JSON, a header block without Content-Length, a request whose params do not fit
its method (a client waiting on that id waits for ever), a request after ``shutdown``; and
``exit`` without ``shutdown`` ends the process with status 0 (review D17). So mplint reads
the stream and hands pygls only messages that are well formed:

    bytes -> FrameParser: a header block with Content-Length, then that many bytes
          -> JSON -> a JSON-RPC envelope -> params structured to the method's type
          -> pygls dispatches it to the feature

Each step that fails answers whoever can be answered:
    -32700 Parse error (id null): a header block without a usable Content-Length, or a body
        that is not JSON;
    -32600 Invalid Request: JSON that is not a message object, a bad id, a method that is not
        a string, a notification's method sent as a request, any request after ``shutdown``;
    -32602 Invalid params: a request whose params do not fit its method (a negative position,
        a line beyond 2^31 - 1, ``params: "x"``);
    -32002 Server not initialized: a request before ``initialize``.
A notification that fails is logged: JSON-RPC never answers notifications.

``exit`` ends the session with status 0 after ``shutdown`` and 1 without it, as the LSP
asks; a client that closes the stream ends it with 0.

What a client may make the server read is also decided here: SessionLanguageServer's
``project_settings``, confined to the declared workspace folders for a TCP client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse

import attrs
import cattrs
from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, LanguageServerProtocol
from pygls.protocol.json_rpc import RPCMessage, RPCRequest
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from mplint.config import Settings, environment_lang, load_settings

logger = logging.getLogger(__name__)

# A header line longer than this is not a header: it is dropped as noise.
HEADER_LINE_LIMIT = 64 * 1024
READ_SIZE = 64 * 1024
_HEADER_NAME = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTENT_LENGTH = b"content-length:"


@dataclass(frozen=True)
class FramingError:
    """A header block that does not say how long its body is."""

    reason: str


class FrameParser:
    """Cuts the byte stream into message bodies, without doing any I/O.

    A header block is ``Name: value`` lines up to an empty line, then Content-Length bytes
    of body. A header block without a usable Content-Length gives a FramingError; its body
    cannot be told from what follows, so lines that are not headers are skipped until a
    ``Content-Length:`` shows up again (also in the middle of a line, where a body without a
    line break ran into the next message's header). Memory grows only with the bytes that
    actually arrived, whatever Content-Length claims.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.in_block = False
        self.body_length: int | None = None

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        self.buffer += data
        found: list[bytes | FramingError] = []
        while True:
            if self.body_length is not None:
                if len(self.buffer) < self.body_length:
                    return found
                found.append(bytes(self.buffer[: self.body_length]))
                del self.buffer[: self.body_length]
                self.body_length = None
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > HEADER_LINE_LIMIT:
                    # Keep a tail that may hold the start of a "Content-Length:".
                    del self.buffer[: -len(_CONTENT_LENGTH)]
                    self.in_block = True
                return found
            line = bytes(self.buffer[:end]).strip()
            del self.buffer[: end + 1]
            problem = self.header_line(line)
            if problem is not None:
                found.append(problem)

    def header_line(self, line: bytes) -> FramingError | None:
        """Take one line of a header block; at its end, expect the body or report why not."""
        if line:
            self.in_block = True
            at = line.lower().rfind(_CONTENT_LENGTH)
            if at > 0:  # noise, then the next message's header
                self.headers = {b"content-length": line[at + len(_CONTENT_LENGTH) :].strip()}
                return None
            name, colon, value = line.partition(b":")
            if colon and _HEADER_NAME.fullmatch(name):
                self.headers[name.lower()] = value.strip()
            return None
        if not self.in_block:  # blank lines between messages
            return None
        headers, self.headers, self.in_block = self.headers, {}, False
        length = headers.get(b"content-length")
        if length is None:
            return FramingError("the header block has no Content-Length")
        if not (length.isascii() and length.isdigit()):
            shown = length[:40].decode("ascii", "replace")
            return FramingError(f"Content-Length is not a number: {shown!r}")
        self.body_length = int(length)
        return None


def valid_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _has_id(message_type: type) -> bool:
    return attrs.has(message_type) and any(f.name == "id" for f in attrs.fields(message_type))


def describe(error: Exception) -> str:
    """What did not fit, in a line: cattrs' paths, else the error's text."""
    if isinstance(error, cattrs.BaseValidationError):
        details = cattrs.transform_error(error)
        text = "; ".join(details)
    else:
        text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class SessionProtocol(LanguageServerProtocol):
    """pygls' LanguageServerProtocol, fed through ``receive`` and answering every request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # None while the session runs; the process's exit status once ``exit`` arrived.
        self.exit_status: int | None = None

    def reply_error(self, msg_id: str | int | None, code: int, message: str) -> None:
        # A plain dict: lsprotocol's ResponseErrorMessage leaves out an id of null, and
        # JSON-RPC asks for "id": null when the id could not be read.
        self._send_data(
            {"jsonrpc": "2.0", "id": msg_id, "error": {"code": int(code), "message": message}}
        )

    def receive(self, body: bytes) -> None:
        """One message body from the client: checked, then dispatched by pygls."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as error:
            self.reply_error(None, types.ErrorCodes.ParseError, f"not valid JSON: {error}")
            return
        if not isinstance(data, dict):
            self.reply_error(
                None, types.ErrorCodes.InvalidRequest, "a message must be a JSON object"
            )
            return
        if "method" not in data and ("result" in data or "error" in data):
            self.receive_response(data)
            return
        # From here on, an id of None means a notification: a null id is refused.
        msg_id = data.get("id")
        if "id" in data and not valid_id(msg_id):
            self.reply_error(
                None, types.ErrorCodes.InvalidRequest, "the id must be a number or a string"
            )
            return
        method = data.get("method")
        if data.get("jsonrpc") != "2.0":
            self.reply_error(
                msg_id, types.ErrorCodes.InvalidRequest, 'a message must have "jsonrpc": "2.0"'
            )
            return
        if not isinstance(method, str):
            self.reply_error(msg_id, types.ErrorCodes.InvalidRequest, "the method must be a string")
            return
        message_type = self.get_message_type(method)
        if message_type is None:  # not an LSP method: pygls answers MethodNotFound
            params = data.get("params")
            if msg_id is None:
                self.dispatch(JsonRPCNotification(method=method, jsonrpc="2.0", params=params))
            else:
                self.dispatch(
                    JsonRPCRequestMessage(id=msg_id, method=method, jsonrpc="2.0", params=params)
                )
            return
        if msg_id is not None and not _has_id(message_type):
            self.reply_error(
                msg_id,
                types.ErrorCodes.InvalidRequest,
                f"{method} is a notification, not a request",
            )
            return
        try:
            message = self._converter.structure(data, message_type)
        except Exception as error:  # whatever the params were, they do not fit the method
            if msg_id is not None:
                text = f"invalid params for {method}: {describe(error)}"
                self.reply_error(msg_id, types.ErrorCodes.InvalidParams, text)
            else:
                logger.warning("ignored %s: invalid params: %s", method, describe(error))
            return
        self.dispatch(message)

    def receive_response(self, data: dict[str, Any]) -> None:
        """The client's answer to one of our requests. Never answered back."""
        if data.get("jsonrpc") != "2.0" or "id" not in data:
            logger.warning("ignored a response without jsonrpc 2.0 or id")
            return
        try:
            self.dispatch(self.structure_message(data))
        except Exception as error:
            logger.warning("ignored a response that does not fit: %s", describe(error))

    def dispatch(self, message: RPCMessage) -> None:
        try:
            self.handle_message(message)
        except Exception as error:  # pygls answers errors in handlers; this is its own
            logger.exception("failed to handle %s", getattr(message, "method", "a response"))
            if isinstance(message, RPCRequest):
                self.reply_error(message.id, types.ErrorCodes.InternalError, describe(error))

    def handle_message(self, message: RPCMessage) -> None:
        if self._shutdown and isinstance(message, RPCRequest) and message.method != types.EXIT:
            self.reply_error(
                message.id,
                types.ErrorCodes.InvalidRequest,
                f"the server is shut down: {message.method} after shutdown",
            )
            return
        method = getattr(message, "method", None)
        if self._workspace is None and method not in (None, types.INITIALIZE, types.EXIT):
            # Before initialize there is no workspace: requests get the protocol's error,
            # notifications are dropped, as the LSP asks.
            if isinstance(message, RPCRequest):
                self.reply_error(
                    message.id,
                    types.ErrorCodes.ServerNotInitialized,
                    f"{method} before initialize",
                )
            return
        super().handle_message(message)

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Any:
        """Ends the session; pygls' own raises SystemExit, which ``start_io`` swallows."""
        if (user_handler := self.fm.features.get(types.EXIT)) is not None:
            yield user_handler, args, None
        self.exit_status = 0 if self._shutdown else 1


class SessionLanguageServer(LanguageServer):
    """A LanguageServer whose protocol is SessionProtocol, served by ``serve_stdio`` or
    mplint.lsp_tcp.serve_tcp, which return the process's exit status."""

    protocol: SessionProtocol

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("protocol_cls", SessionProtocol)
        super().__init__(*args, **kwargs)
        # Set for a TCP client, who may be anyone: read configuration only inside the
        # workspace folders it declared.
        self.confined_to_workspace = False

    def declared_folders(self) -> list[Path]:
        uris = [folder.uri for folder in self.workspace.folders.values()]
        if self.workspace.root_uri:
            uris.append(self.workspace.root_uri)
        return [Path(path) for uri in uris if (path := file_path(uri)) is not None]

    def project_settings(self, start: Path) -> Settings:
        """[tool.mplint] for a document in ``start``: from the nearest pyproject.toml, or,
        when confined, from one inside the declared folder holding ``start`` (none outside)."""
        if not self.confined_to_workspace:
            return load_settings(start)
        folder = folder_holding(start, self.declared_folders())
        if folder is None:
            return Settings(lang=environment_lang())
        return load_settings(start, stop_at=folder)


def file_path(uri: str) -> str | None:
    if urlparse(uri).scheme != "file":
        return None
    return to_fs_path(uri)


def folder_holding(start: Path, folders: list[Path]) -> Path | None:
    """The folder among ``folders`` that holds ``start``, resolved (a symbolic link out of
    the folder counts as outside)."""
    where = start.resolve()
    for folder in folders:
        folder = folder.resolve()
        if where == folder or folder in where.parents:
            return folder
    return None


async def serve(chunks: AsyncIterator[bytes], protocol: SessionProtocol) -> int:
    """Feed the client's bytes to ``protocol`` until ``exit`` or the end of the stream."""
    parser = FrameParser()
    async for chunk in chunks:
        for frame in parser.feed(chunk):
            if isinstance(frame, FramingError):
                protocol.reply_error(None, types.ErrorCodes.ParseError, frame.reason)
            else:
                protocol.receive(frame)
            if protocol.exit_status is not None:
                return protocol.exit_status
            await asyncio.sleep(0)  # let the handlers just scheduled run between messages
    return 0


async def stdin_chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    """The bytes of ``stream``, read by a daemon thread, so that a blocked read never keeps
    the process alive at exit; from the file descriptor, because a daemon thread blocked
    inside sys.stdin's buffer holds its lock and the interpreter aborts on it at exit. At
    most a few chunks wait: a fast client is slowed down, not buffered without bound."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4)
    descriptor = stream.fileno()

    def read() -> None:
        while True:
            try:
                chunk = os.read(descriptor, READ_SIZE)
            except OSError:
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
            except (Exception, asyncio.CancelledError):  # the loop is gone: the server exits
                return
            if not chunk:
                return

    threading.Thread(target=read, name="mplint-stdin", daemon=True).start()
    while chunk := await queue.get():
        yield chunk


def serve_stdio(server: SessionLanguageServer) -> int:
    protocol = server.protocol
    protocol.set_writer(StdoutWriter(sys.stdout.buffer))

    async def session() -> int:
        try:
            return await serve(stdin_chunks(sys.stdin.buffer), protocol)
        except BrokenPipeError:  # the client is gone
            return 1

    try:
        return asyncio.run(session())
    except KeyboardInterrupt:
        return 130
