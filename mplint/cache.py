"""Results of earlier runs, keyed by file content and settings, for repeated runs
(pre-commit, editors, CI on a warm checkout).

An entry is one file, ``.mplint_cache/v2/<2 hex>/<sha256>.json``, named by the hash
of: the mplint build (its version and the size and modification time of its own
source files, so an edited rule never serves stale results), the settings'
``cache_key()``, the codes enabled for the file, and the file's bytes. The path is
not part of the key: two files with the same bytes and the same codes share an entry.
JSON, never pickle: a cache folder that came with a repository must not be able to
run code.

What the cache trusts: only entries this user's mplint wrote. The folder travels
with the project (``git add -f``, a shared folder, a container image), so each entry
starts with an HMAC-SHA256 of its name and its JSON under this user's key (see
mplint.user_key), which no project carries. An entry is read only when it is a
regular file (never through a symbolic link, never a FIFO or a device) of at most
``MAX_ENTRY_BYTES``, its signature matches, and every field passes the checks of
mplint.cache_entry. Anything else is a miss: the file is linted and the entry
rewritten. Without a key there is no cache.

The folder itself is used only when ``.mplint_cache`` and ``v2`` are real folders:
a symbolic link (a repository can carry one pointing anywhere) turns the cache off
for the run, with one note, and nothing is written through it. Every file is opened
relative to the folder already checked, never by following a link.

Writes go to a temporary file in the same folder and are then renamed over the
entry, so a reader sees a whole entry or none. A cache that cannot be written
(read-only checkout) is silently turned off for the rest of the run.

Pruning (mplint.cache_pruning): a hit refreshes the entry's modification time when
it is more than a day old, so the time says when the entry was last used; at most
once a day, what has not been used for 30 days goes.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import stat
import sys
import time
import weakref
from functools import cache
from pathlib import Path

from mplint import __version__
from mplint.cache_entry import Bounds, result_from_json, result_to_json
from mplint.cache_pruning import DAY, prune_if_due, touch_marker
from mplint.config import Settings
from mplint.engine import LintResult
from mplint.user_key import user_key

CACHE_DIR_NAME = ".mplint_cache"
FORMAT_VERSION = "v2"
MAX_ENTRY_BYTES = 8 * 1024 * 1024
SIGNATURE_BYTES = 64  # hex of an HMAC-SHA256, then a newline, then the JSON

# Flags Windows lacks; there mplint.user_key finds no safe key, so the cache is off.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
_EXISTING_FILE = getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW  # a FIFO must not block the open

_REFUSED = {
    "en": "mplint: not using the cache: {path} is a symbolic link or not a folder; "
    "remove it to use the cache again",
    "zh-CN": "mplint：未使用缓存：{path} 是符号链接或不是文件夹；删除它即可重新使用缓存",
}


@cache
def build_fingerprint() -> str:
    """What identifies this mplint: its version and the state of its source files."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for source in sorted(package.rglob("*.py")):
        try:
            status = source.stat()
        except OSError:
            continue
        relative = source.relative_to(package).as_posix()
        digest.update(f"{relative}:{status.st_size}:{status.st_mtime_ns};".encode())
    return digest.hexdigest()


class Cache:
    """One run's view of ``<root>/.mplint_cache`` for one set of settings."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.top = root / CACHE_DIR_NAME
        self.prefix = f"{build_fingerprint()}|{settings.cache_key()}|".encode()
        self.lang = settings.lang
        self.secret = user_key()
        self.usable = self.secret is not None  # False: neither read nor write
        self.writable = self.usable
        self.hits = 0
        self.misses = 0
        self._top: int | None = None  # folder descriptors, opened on first use
        self._folder: int | None = None
        self._marked = False  # CACHEDIR.TAG and .gitignore are there
        self._descriptors: list[int] = []
        weakref.finalize(self, _close_all, self._descriptors)

    def key(self, data: bytes, enabled: frozenset[str]) -> str:
        digest = hashlib.sha256(self.prefix)
        digest.update(",".join(sorted(enabled)).encode())
        digest.update(b"|")
        digest.update(data)
        return digest.hexdigest()

    def get(self, key: str, path: str, data: bytes) -> LintResult | None:
        """The stored result for ``data`` (the bytes ``key`` was made from), if a
        trusted entry holds one."""
        result = None
        folder = self._open(create=False)
        if folder is not None:
            try:
                body = self._read(folder, key)
                if body is not None:
                    result = result_from_json(json.loads(body), path, Bounds(data))
            except Exception:  # an entry is data from disk: whatever is wrong, it is a miss
                result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, key: str, result: LintResult) -> None:
        """Store a result; results of a check that raised are never stored."""
        if not self.writable or result.internal_errors:
            return
        try:
            body = json.dumps(result_to_json(result), ensure_ascii=False).encode()
        except ValueError:  # a lone surrogate in a message: not worth a traceback
            return
        if SIGNATURE_BYTES + 1 + len(body) > MAX_ENTRY_BYTES:
            return
        folder = self._open(create=True)
        if folder is None:
            return
        try:
            shard = _open_folder(key[:2], folder, create=True)
        except OSError as error:
            if not _is_not_a_real_folder(error):
                self.writable = False
            return  # a link or a file where this entry's folder should be: skip it
        temporary = f".tmp-{os.urandom(8).hex()}.json"
        try:
            handle = os.open(temporary, _NEW_FILE, 0o600, dir_fd=shard)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(self._sign(key, body) + b"\n" + body)
                os.replace(temporary, f"{key}.json", src_dir_fd=shard, dst_dir_fd=shard)
            except BaseException:
                _unlink(temporary, shard)
                raise
        except IsADirectoryError:
            pass  # a folder where the entry should be: leave it, lint that file each run
        except OSError:
            self.writable = False
        finally:
            os.close(shard)

    def _sign(self, key: str, body: bytes) -> bytes:
        assert self.secret is not None
        message = b"mplint cache entry\0" + key.encode() + b"\0" + body
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest().encode()

    def _read(self, folder: int, key: str) -> bytes | None:
        """The entry's JSON if it is a regular file of bounded size, signed with our key."""
        try:
            shard = _open_folder(key[:2], folder, create=False)
        except OSError:
            return None
        try:
            handle = os.open(f"{key}.json", os.O_RDONLY | _EXISTING_FILE, dir_fd=shard)
        except OSError:
            return None
        finally:
            os.close(shard)
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_ENTRY_BYTES:
                return None
            content = _read_at_most(handle, status.st_size)
            if len(content) != status.st_size:
                return None  # it changed while it was read
            signature, _, body = content.partition(b"\n")
            if not hmac.compare_digest(signature, self._sign(key, body)):
                return None
            if status.st_mtime < time.time() - DAY:
                _touch(handle)  # used now: not to be pruned for another 30 days
            return body
        finally:
            os.close(handle)

    def _open(self, *, create: bool) -> int | None:
        """The folder of this format's entries, checked; None when there is none (yet)
        or it is refused."""
        if self._folder is not None or not self.usable:
            return self._folder
        try:
            if self._top is None:
                self._top = self._open_top(create=create)
                if self._top is None:
                    return None
            if create and not self._marked:
                _mark_as_cache(self._top)
                self._marked = True
            self._folder = self._keep(_open_folder(FORMAT_VERSION, self._top, create=create))
        except FileNotFoundError:
            return None
        except OSError as error:
            if _is_not_a_real_folder(error):
                self._refuse()
            else:  # cannot be read or written (permissions, read-only): run without
                self.usable = self.writable = False
            return None
        return self._folder

    def _open_top(self, *, create: bool) -> int | None:
        """``.mplint_cache`` itself, made if asked; pruned when it is due."""
        try:
            top = self._keep(os.open(self.top, _FOLDER))
        except FileNotFoundError:
            if not create:
                return None
            top = self._keep(_open_folder(str(self.top), None, create=True))
            touch_marker(top)  # new: nothing to prune for a day
            return top
        prune_if_due(top)
        return top

    def _keep(self, descriptor: int) -> int:
        self._descriptors.append(descriptor)
        return descriptor

    def _refuse(self) -> None:
        """A link or a file where a cache folder should be: never read it or write
        through it. Said once: each later call finds the cache off."""
        self.usable = self.writable = False
        where = self.top if self._top is None else self.top / FORMAT_VERSION
        note = _REFUSED.get(self.lang, _REFUSED["en"])
        print(note.format(path=where), file=sys.stderr)


def _open_folder(name: str, parent: int | None, *, create: bool) -> int:
    """A descriptor for the folder ``name`` in ``parent``, refusing a symbolic link."""
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
    try:
        os.mkdir(name, dir_fd=parent)
    except FileExistsError:
        pass  # made by another run just now
    return os.open(name, _FOLDER, dir_fd=parent)


def _is_not_a_real_folder(error: OSError) -> bool:
    return error.errno in (errno.ELOOP, errno.ENOTDIR)


def _read_at_most(handle: int, size: int) -> bytes:
    """Up to ``size`` + 1 bytes: one more than expected tells that the file grew."""
    chunks = []
    left = size + 1
    while left > 0:
        chunk = os.read(handle, left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _touch(handle: int) -> None:
    try:
        os.utime(handle)
    except OSError:
        pass  # not ours, or read-only: it may be pruned earlier, no harm


def _unlink(name: str, folder: int) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except OSError:
        pass


def _mark_as_cache(top: int) -> None:
    """Tell git and backup tools that the folder is a cache. Written only into the
    checked folder, and never through a link that happens to have the same name."""
    for name, text in (
        ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# mplint's cache.\n"),
        (".gitignore", "# Created by mplint.\n*\n"),
    ):
        try:
            handle = os.open(name, _NEW_FILE, 0o644, dir_fd=top)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)


def _close_all(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        try:
            os.close(descriptor)
        except OSError:
            pass
