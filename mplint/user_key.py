"""This user's secret key, which signs the entries of the results cache.

A cache folder travels with a project (a repository, a shared folder, a container
layer), so its entries cannot be trusted for what they are: anyone can write one. An
entry is trusted only when it carries a signature made with a key that only this user
can read, kept outside every project: ``$MPLINT_KEY_DIR/key`` when that variable is
set (tests point it at a temporary folder), else ``$XDG_CACHE_HOME/mplint/key``, else
``~/.cache/mplint/key``.

The folder is created private (0700) and the key (32 random bytes) private (0600); the
key is written under a temporary name and linked into place, so two first runs at
once agree on one key. When the key cannot be made or read safely (a folder or key
that someone else owns or can write, a symbolic link, a key of the wrong size, a
platform without ``O_NOFOLLOW``), there is no key and the cache is off.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

KEY_DIR_VARIABLE = "MPLINT_KEY_DIR"
KEY_NAME = "key"
KEY_BYTES = 32


def key_directory() -> Path | None:
    """Where this user's key lives; None when there is no home to put it in."""
    chosen = os.environ.get(KEY_DIR_VARIABLE)
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is ignored
        return Path(xdg) / "mplint"
    try:
        return Path.home() / ".cache" / "mplint"
    except RuntimeError:  # no HOME and no password entry
        return None


def user_key() -> bytes | None:
    """This user's key, created on first use; None when it cannot be had safely."""
    if not _platform_can_check() or (directory := key_directory()) is None:
        return None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not _private_folder(os.fstat(folder)):
            return None
        key = _read_key(folder)
        if key is None:
            _create_key(folder)
            key = _read_key(folder)
        return key
    except OSError:
        return None
    finally:
        os.close(folder)


def _platform_can_check() -> bool:
    return (
        hasattr(os, "O_NOFOLLOW")
        and hasattr(os, "getuid")
        and os.open in os.supports_dir_fd
        and os.link in os.supports_dir_fd
    )


def _private_folder(status: os.stat_result) -> bool:
    """Ours, and no one else can add, remove or rename what is in it."""
    return (
        stat.S_ISDIR(status.st_mode)
        and status.st_uid == os.getuid()
        and status.st_mode & 0o022 == 0
    )


def _read_key(folder: int) -> bytes | None:
    """The key, if it is there and safe: a regular file of ours that only we can read."""
    try:
        handle = os.open(
            KEY_NAME,
            os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
            dir_fd=folder,
        )
    except FileNotFoundError:
        return None
    try:
        status = os.fstat(handle)
        if not (
            stat.S_ISREG(status.st_mode)
            and status.st_uid == os.getuid()
            and status.st_mode & 0o077 == 0
            and status.st_size == KEY_BYTES
        ):
            raise PermissionError(f"{KEY_NAME} is not a private {KEY_BYTES}-byte file")
        key = os.read(handle, KEY_BYTES + 1)
    finally:
        os.close(handle)
    if len(key) != KEY_BYTES:
        raise PermissionError(f"{KEY_NAME} changed while it was read")
    return key


def _create_key(folder: int) -> None:
    """Write a new key under a temporary name, then link it into place unless another
    run did so first."""
    temporary = f".{KEY_NAME}-{os.urandom(8).hex()}"
    handle = os.open(
        temporary,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
        dir_fd=folder,
    )
    try:
        try:
            os.write(handle, os.urandom(KEY_BYTES))
            os.fsync(handle)
        finally:
            os.close(handle)
        try:
            os.link(temporary, KEY_NAME, src_dir_fd=folder, dst_dir_fd=folder)
        except FileExistsError:
            pass  # another run made the key first: use theirs
    finally:
        os.unlink(temporary, dir_fd=folder)
