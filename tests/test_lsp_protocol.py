"""The language server's protocol corners (review D17) and its TCP transport (D18), driven
over the real ``mplint lsp`` with raw JSON-RPC bytes: what a broken or hostile client sends,
which no LSP client library would let us send. Every wait has a timeout, so a server that
stays silent fails the test instead of hanging it."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from mplint.lsp_protocol import HEADER_LINE_LIMIT, FrameParser, FramingError
from mplint.lsp_tcp import loopback_addresses

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, "-m", "mplint", "lsp"]
ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
WAIT = 20.0  # seconds: generous for a loaded machine, still a failure rather than a hang

UNGUARDED = (
    "import multiprocessing\n\nworker = multiprocessing.Process(target=print)\nworker.start()\n"
)


class RawClient:
    """Writes whatever bytes a test gives it; reads the server's messages on a thread."""

    def __init__(self, write: Callable[[bytes], None], stream: BinaryIO) -> None:
        self.write = write
        self.received: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.next_id = 1
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: BinaryIO) -> None:
        try:
            while True:
                length = None
                while (line := stream.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("ascii").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                if not line or length is None:
                    break
                self.received.put(json.loads(stream.read(length)))
        except (OSError, ValueError):
            pass
        self.received.put(None)

    def send(self, message: Any) -> None:
        body = json.dumps(message).encode()
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any = None) -> int:
        msg_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, wanted: Callable[[dict[str, Any]], bool], wait: float = WAIT) -> Any:
        for message in self.seen:
            if wanted(message):
                return message
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self.received.get(timeout=left)
            except queue.Empty:
                break
            if message is None:
                raise AssertionError("the server closed the connection")
            self.seen.append(message)
            if wanted(message):
                return message
        raise AssertionError(f"no such message within {wait} s; got {self.seen[-5:]}")

    def answer(self, msg_id: int | str | None) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("id") == msg_id and ("result" in m or "error" in m))

    def call(self, method: str, params: Any = None) -> dict[str, Any]:
        return self.answer(self.request(method, params))

    def initialize(self, root: Path | None = None) -> None:
        params = {"processId": None, "capabilities": {}, "rootUri": root and root.as_uri()}
        assert "result" in self.call("initialize", params)
        self.notify("initialized", {})

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        document = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})
        return uri

    def codes_published(self, uri: str) -> list[str]:
        published = self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            )
        )
        return sorted(d.get("code") for d in published["params"]["diagnostics"])

    def still_answers(self) -> None:
        hover = {
            "textDocument": {"uri": "file:///nowhere.py"},
            "position": {"line": 0, "character": 0},
        }
        assert self.call("textDocument/hover", hover)["result"] is None


def stdio_server() -> tuple[subprocess.Popen[bytes], RawClient]:
    process = subprocess.Popen(
        SERVER,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=ENV,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    stdin = process.stdin

    def write(data: bytes) -> None:
        stdin.write(data)
        stdin.flush()

    return process, RawClient(write, process.stdout)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(WAIT)


@pytest.fixture
def fresh() -> Iterator[tuple[subprocess.Popen[bytes], RawClient]]:
    """A server of its own, for a test that ends the session."""
    process, client = stdio_server()
    try:
        client.initialize()
        yield process, client
    finally:
        stop(process)


@pytest.fixture(scope="module")
def shared() -> Iterator[RawClient]:
    """One server for the corners that leave the session running: each test checks that
    it still answers afterwards."""
    process, client = stdio_server()
    try:
        client.initialize()
        yield client
    finally:
        stop(process)


def error_of(message: dict[str, Any]) -> int:
    assert "error" in message, message
    return int(message["error"]["code"])


def unnamed_reply(client: RawClient, data: bytes) -> dict[str, Any]:
    """The answer to bytes whose id cannot be read: the next reply with an id of null."""
    client.seen.clear()
    client.write(data)
    return client.answer(None)


# --- D17: what a broken client sends over stdio ----------------------------------------------


def test_a_body_that_is_not_json_gets_a_parse_error(shared: RawClient) -> None:
    assert error_of(unnamed_reply(shared, b"Content-Length: 10\r\n\r\n{not json}")) == -32700
    shared.still_answers()


def test_a_header_block_without_content_length_gets_a_parse_error(shared: RawClient) -> None:
    # The body cannot be told from what follows: the next message must still get through.
    body = json.dumps({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}).encode()
    header = b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
    assert error_of(unnamed_reply(shared, header + body)) == -32700
    shared.still_answers()
    assert not [m for m in shared.seen if m.get("id") == 999]


@pytest.mark.parametrize("message", [[1, 2], "x", 5, None])
def test_json_that_is_not_a_message_object_gets_invalid_request(
    shared: RawClient, message: Any
) -> None:
    body = json.dumps(message).encode()
    data = b"Content-Length: %d\r\n\r\n" % len(body) + body
    assert error_of(unnamed_reply(shared, data)) == -32600
    shared.still_answers()


@pytest.mark.parametrize(
    "message",
    [
        {"jsonrpc": "2.0", "id": 701, "method": 5, "params": {}},
        {"jsonrpc": "2.0", "id": 702, "params": {}},
        {"id": 703, "method": "textDocument/hover", "params": {}},
        {"jsonrpc": "2.0", "id": 704, "method": "textDocument/didClose", "params": {}},
    ],
    ids=["method is a number", "no method", "no jsonrpc", "a notification as a request"],
)
def test_a_malformed_request_with_an_id_gets_invalid_request(
    shared: RawClient, message: dict[str, Any]
) -> None:
    shared.send(message)
    assert error_of(shared.answer(message["id"])) == -32600
    shared.still_answers()


@pytest.mark.parametrize(
    "params",
    [
        "x",
        {"textDocument": {"uri": "file:///a.py"}, "position": {"line": -1, "character": -5}},
        {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 2**31, "character": 0}},
    ],
    ids=["params is a string", "negative position", "line 2**31"],
)
def test_hover_with_invalid_params_gets_invalid_params(shared: RawClient, params: Any) -> None:
    assert error_of(shared.call("textDocument/hover", params)) == -32602
    shared.still_answers()


def test_a_request_after_shutdown_gets_invalid_request(
    fresh: tuple[subprocess.Popen[bytes], RawClient],
) -> None:
    process, client = fresh
    assert client.call("shutdown")["result"] is None
    hover = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 0, "character": 0}}
    assert error_of(client.call("textDocument/hover", hover)) == -32600
    client.notify("exit")
    assert process.wait(WAIT) == 0


def test_a_request_before_initialize_gets_server_not_initialized() -> None:
    process, client = stdio_server()
    try:
        client.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///a.py"}})
        hover = {"textDocument": {"uri": "file:///a.py"}, "position": {"line": 0, "character": 0}}
        assert error_of(client.call("textDocument/hover", hover)) == -32002
        client.initialize()
        client.still_answers()
    finally:
        stop(process)


def test_exit_without_shutdown_exits_1(fresh: tuple[subprocess.Popen[bytes], RawClient]) -> None:
    process, client = fresh
    client.notify("exit")
    assert process.wait(WAIT) == 1


# --- D18: the TCP transport ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TcpServer:
    """``mplint lsp --tcp`` on a free port, with what it says on stderr."""

    def __init__(self, *options: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*SERVER, "--tcp", "--port", str(self.port), *options],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=ENV,
            text=True,
        )
        self.said: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.said.put(line)

    def says(self, text: str) -> bool:
        deadline = time.monotonic() + WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                if text in self.said.get(timeout=left):
                    return True
            except queue.Empty:
                break
        return False

    def connect(self) -> RawClient:
        """A connection, once the server listens (the first one that succeeds)."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
                return RawClient(connection.sendall, connection.makefile("rb"))
            except ConnectionRefusedError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    def end(self, client: RawClient) -> int:
        assert client.call("shutdown")["result"] is None
        client.notify("exit")
        return self.process.wait(WAIT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WAIT)


@pytest.fixture
def tcp() -> Iterator[TcpServer]:
    server = TcpServer()
    try:
        yield server
    finally:
        server.stop()


def test_tcp_listens_on_loopback_only() -> None:
    completed = subprocess.run(
        [*SERVER, "--tcp", "--host", "0.0.0.0", "--port", "0"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert completed.returncode == 2
    assert "loopback" in completed.stderr


def test_which_hosts_are_loopback() -> None:
    assert loopback_addresses("127.0.0.1") == ["127.0.0.1"]
    assert loopback_addresses("::1") == ["::1"]
    assert loopback_addresses("localhost") in (["127.0.0.1"], ["127.0.0.1", "::1"], ["::1"])
    for host in ("0.0.0.0", "::", "", "::ffff:127.0.0.1", "example.invalid"):
        assert loopback_addresses(host) is None, host


def test_tcp_on_a_port_in_use_says_so_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        completed = subprocess.run(
            [*SERVER, "--tcp", "--port", port],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
    assert completed.returncode == 2
    assert completed.stderr.startswith(f"mplint: cannot listen on 127.0.0.1 port {port}: ")
    assert completed.stderr.count("\n") == 1


def test_tcp_serves_one_client_only(tcp: TcpServer) -> None:
    client = tcp.connect()
    client.initialize()
    try:
        connection = socket.create_connection(("127.0.0.1", tcp.port), timeout=WAIT)
        intruder = RawClient(connection.sendall, connection.makefile("rb"))
    except OSError:  # the port is closed once the session started
        pass
    else:  # or the connection is closed unanswered
        intruder.request("initialize", {"processId": None, "capabilities": {}})
        with pytest.raises(AssertionError, match="closed the connection"):
            intruder.answer(1)
    client.still_answers()
    assert tcp.end(client) == 0


def test_tcp_reads_no_configuration_outside_the_declared_folders(
    tcp: TcpServer, tmp_path: Path
) -> None:
    ignoring = '[tool.mplint]\nignore = ["MP101"]\n'
    workspace, elsewhere = tmp_path / "workspace", tmp_path / "elsewhere"
    inside = workspace / "inside"
    for folder in (inside, elsewhere):
        folder.mkdir(parents=True)
        (folder / "pyproject.toml").write_text(ignoring, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(ignoring, encoding="utf-8")
    client = tcp.connect()
    client.initialize(workspace)
    # Above the declared folder and beside it: not read, so MP101 is not ignored.
    assert "MP101" in client.codes_published(client.open(workspace / "top.py", UNGUARDED))
    assert "MP101" in client.codes_published(client.open(elsewhere / "other.py", UNGUARDED))
    # Inside it: read.
    assert "MP101" not in client.codes_published(client.open(inside / "own.py", UNGUARDED))
    assert tcp.end(client) == 0


def test_tcp_refuses_another_user(tcp: TcpServer) -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run as root: this test connects as the user nobody")
        pytest.skip("connecting as another user needs root")
    outcome = connect_as_nobody(tcp.port)
    assert outcome == "closed unanswered"
    assert tcp.says("refused a connection from another user (uid 65534)")
    # The server is still waiting for its own user.
    client = tcp.connect()
    client.initialize()
    assert tcp.end(client) == 0


def connect_as_nobody(port: int) -> str:
    """What a client running as the user nobody gets when it sends initialize."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: become nobody, knock, report through the pipe
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            outcome = knock(port)
        except BaseException as error:
            outcome = repr(error)
        os.write(write_end, outcome.encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read().decode()


def knock(port: int) -> str:
    deadline = time.monotonic() + WAIT
    while True:  # until the server listens
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                return "the server never listened"
            time.sleep(0.1)
    with connection:
        params = {"processId": None, "capabilities": {}}
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
        connection.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body.encode())
        try:
            return "answered" if connection.recv(65536) else "closed unanswered"
        except ConnectionResetError:
            return "closed unanswered"


# --- the framing on its own -----------------------------------------------------------------


def frames(*chunks: bytes) -> list[bytes | FramingError]:
    parser = FrameParser()
    return [frame for chunk in chunks for frame in parser.feed(chunk)]


def test_frames_arrive_whole_however_the_bytes_are_cut() -> None:
    stream = b"Content-Length: 2\r\n\r\n{}\r\n\r\ncontent-length:  3 \r\nX-Other: 1\r\n\r\n[1]"
    assert frames(stream) == [b"{}", b"[1]"]
    assert frames(*(stream[i : i + 1] for i in range(len(stream)))) == [b"{}", b"[1]"]


def test_a_frame_without_a_usable_length_is_reported_and_the_next_one_found() -> None:
    found = frames(
        b'Content-Type: x\r\n\r\n{"lost": 1}Content-Length: 2\r\n\r\n{}',
        b"Content-Length: -3\r\n\r\nContent-Length: 2\r\n\r\n[]",
    )
    assert found == [
        FramingError("the header block has no Content-Length"),
        b"{}",
        FramingError("Content-Length is not a number: '-3'"),
        b"[]",
    ]


def test_noise_without_line_breaks_is_not_kept() -> None:
    parser = FrameParser()
    for _ in range(100):
        parser.feed(b"x" * 10_000)
    assert len(parser.buffer) <= HEADER_LINE_LIMIT
    assert parser.feed(b"Content-Length: 2\r\n\r\n{}") == [b"{}"]
