"""``mplint lsp --tcp``: one session, on a loopback address, for this user only (review D18).

Any user of the machine can connect to a port on 127.0.0.1, and the server then reads files
and answers as the user who started it. So:

- the address must be a loopback one (127.0.0.0/8, ::1, or a name that resolves only to
  such addresses); anything else is refused before binding;
- on Linux a connection is accepted only from a process of the same user: the owner of the
  client's end of the connection is read from /proc/net/tcp (or tcp6), as identd does. Where
  that table does not exist (macOS, Windows) the server says at start that any local user
  may connect;
- the first accepted connection is the only session: the port closes when it starts, and
  the process ends with it;
- configuration is read only inside the workspace folders the client declared
  (SessionLanguageServer.project_settings).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import struct
import sys
from collections.abc import AsyncIterator

from mplint.config import environment_lang
from mplint.lsp_protocol import SessionLanguageServer, serve

EXIT_REFUSED = 2
_TABLES: dict[int, str] = {socket.AF_INET: "/proc/net/tcp", socket.AF_INET6: "/proc/net/tcp6"}

_TEXTS = {
    "en": {
        "not_loopback": "mplint: refusing to listen on {host}: the language server listens only "
        "on a loopback address (127.0.0.1 or ::1), so that other machines cannot reach it",
        "listening": "mplint: language server listening on {where}",
        "cannot_listen": "mplint: cannot listen on {where} port {port}: {error}",
        "any_user": "mplint: this system cannot tell which user connects: "
        "any user of this machine may use the server",
        "refused": "mplint: refused a connection from another user (uid {uid})",
        "unknown": "mplint: refused a connection whose user could not be found",
    },
    "zh-CN": {
        "not_loopback": "mplint：拒绝在 {host} 上监听：语言服务器只监听回环地址（127.0.0.1 或 ::1），"
        "以免其他机器连接",
        "listening": "mplint：语言服务器正在监听 {where}",
        "cannot_listen": "mplint：无法在 {where} 的端口 {port} 上监听：{error}",
        "any_user": "mplint：本系统无法判断连接来自哪个用户：本机的任何用户都能使用该服务器",
        "refused": "mplint：已拒绝来自其他用户（uid {uid}）的连接",
        "unknown": "mplint：已拒绝一个无法确定用户的连接",
    },
}


def say(key: str, **values: object) -> None:
    lang = environment_lang()
    print(_TEXTS.get(lang, _TEXTS["en"])[key].format(**values), file=sys.stderr, flush=True)


def loopback_addresses(host: str) -> list[str] | None:
    """The addresses ``host`` names, when every one of them is a loopback address."""
    if not host.strip():
        return None
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    addresses = sorted({str(info[4][0]) for info in found})
    try:
        loopback = all(ipaddress.ip_address(a.partition("%")[0]).is_loopback for a in addresses)
    except ValueError:
        return None
    return addresses if addresses and loopback else None


def _proc_address(address: tuple[str, int], family: int) -> str:
    """An address as /proc/net/tcp prints it: the address's 32-bit words in host order."""
    packed = socket.inet_pton(family, address[0])
    words = struct.unpack(f"={len(packed) // 4}I", packed)
    return "".join(f"{word:08X}" for word in words) + f":{address[1]:04X}"


def peer_uid(local: tuple[str, int], remote: tuple[str, int], family: int) -> int | None:
    """The user owning the client's end of a loopback connection (``local`` is ours), from
    the kernel's table of TCP sockets; None when it is not there."""
    theirs = (_proc_address(remote, family), _proc_address(local, family))
    with open(_TABLES[family], encoding="ascii") as table:
        next(table, None)
        for line in table:
            fields = line.split()
            if len(fields) > 7 and (fields[1], fields[2]) == theirs:
                return int(fields[7])
    return None


def can_tell_users() -> bool:
    """Linux: the table exists. (Without IPv6 there is no tcp6 table: a connection over
    ::1 cannot happen then, and one that could not be looked up is refused anyway.)"""
    return hasattr(os, "getuid") and os.path.exists(_TABLES[socket.AF_INET])


def same_user(writer: asyncio.StreamWriter) -> bool:
    sock = writer.get_extra_info("socket")
    local, remote = writer.get_extra_info("sockname"), writer.get_extra_info("peername")
    try:
        owner = peer_uid(local[:2], remote[:2], sock.family)
    except (OSError, ValueError, KeyError, TypeError):
        owner = None
    if owner is None:
        say("unknown")
        return False
    if owner != os.getuid():
        say("refused", uid=owner)
        return False
    return True


def serve_tcp(server: SessionLanguageServer, host: str, port: int) -> int:
    addresses = loopback_addresses(host)
    if addresses is None:
        say("not_loopback", host=host or "''")
        return EXIT_REFUSED
    server.confined_to_workspace = True
    check_users = can_tell_users()
    if not check_users:
        say("any_user")
    try:
        return asyncio.run(_session(server, addresses, port, check_users))
    except OSError as error:  # the port is taken, the address not available
        say("cannot_listen", where=", ".join(addresses), port=port, error=error.strerror or error)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130


async def _session(
    server: SessionLanguageServer, addresses: list[str], port: int, check_users: bool
) -> int:
    ended: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    started = False

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal started
        if started or (check_users and not same_user(writer)):
            writer.close()
            return
        started = True
        listener.close()  # no other client, whoever it is
        server.protocol.set_writer(writer)
        status = 1
        try:
            status = await serve(_stream_chunks(reader), server.protocol)
        except ConnectionError:  # the client is gone
            pass
        finally:
            writer.close()
            if not ended.done():
                ended.set_result(status)

    listener = await asyncio.start_server(connected, host=addresses, port=port)
    where = ", ".join(_shown(sock.getsockname()) for sock in listener.sockets)
    say("listening", where=where)
    try:
        return await ended
    finally:
        listener.close()


async def _stream_chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while chunk := await reader.read(65536):
        yield chunk


def _shown(address: tuple[str, int]) -> str:
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
