"""Keeping ``.mplint_cache`` from growing without bound.

Every version of every file gets its own entry, and an mplint upgrade orphans them
all, so the folder is pruned: a hit refreshes its entry's modification time when it
is more than a day old (mplint.cache), so that time says when the entry was last used.
At most once a day (the time of ``.mplint_cache/last-pruned``), the first run to open
the folder removes the entries unused for 30 days, in every version's folder, and
temporary files a killed run left; then the least recently used until the folder is
under ``MAX_CACHE_BYTES``. Walking 20,000 entries costs about 0.1 s of CPU; removing
files on a slow disk can take milliseconds each, so removing stops after
``PRUNE_SECONDS`` and the rest is left for the next run.
"""

from __future__ import annotations

import os
import re
import stat
import time

MAX_CACHE_BYTES = 256 * 1024 * 1024  # on disk; pruning brings it down to three quarters
UNUSED_FOR = 30 * 24 * 3600
DAY = 24 * 3600
PRUNE_MARKER = "last-pruned"
PRUNE_SECONDS = 0.5  # of removing files, per run

# Never follow a link; a FIFO must not block the open.
_MARKER_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_VERSION_NAME = re.compile(r"v\d+")
_SHARD_NAME = re.compile(r"[0-9a-f]{2}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json")
_TEMPORARY_NAME = re.compile(r"\.tmp-[0-9a-f]+\.json")


def touch_marker(top: int) -> bool:
    """Record that the folder is pruned as of now. False when it cannot be recorded.
    Something else under the marker's name (a link, a FIFO) is replaced."""
    for attempt in range(2):
        try:
            handle = os.open(PRUNE_MARKER, _MARKER_FLAGS, 0o644, dir_fd=top)
        except OSError:
            handle = None
        if handle is not None:
            try:
                if stat.S_ISREG(os.fstat(handle).st_mode):
                    os.utime(handle)
                    return True
            except OSError:
                return False
            finally:
                os.close(handle)
        if attempt == 0:
            try:
                os.unlink(PRUNE_MARKER, dir_fd=top)
            except OSError:
                return False
    return False


def prune_if_due(top: int) -> None:
    """Prune once a day; the run that records the day's pruning does it. A pruning
    cut short by its time budget is left due, for the next run to go on with."""
    now = time.time()
    try:
        marked = os.stat(PRUNE_MARKER, dir_fd=top, follow_symlinks=False).st_mtime
        if now - DAY < marked <= now + DAY:
            return
    except FileNotFoundError:
        pass
    except OSError:
        return
    if touch_marker(top) and not prune(top, now):  # a read-only cache is never walked
        try:
            os.utime(PRUNE_MARKER, (now - 2 * DAY,) * 2, dir_fd=top, follow_symlinks=False)
        except OSError:
            pass


def prune(
    top: int, now: float, max_bytes: int = MAX_CACHE_BYTES, seconds: float = PRUNE_SECONDS
) -> bool:
    """Remove what has not been used for ``UNUSED_FOR`` seconds (or claims to be from
    the future) and temporary files older than a day, then the least recently used
    entries until the rest fits in three quarters of ``max_bytes``. Only names mplint
    writes are touched, in the folders it makes; links are never followed. Removing
    stops after ``seconds`` (a slow disk can take milliseconds a file); returns
    whether everything due was removed."""
    doomed: list[str] = []  # paths from top
    kept: list[tuple[float, int, str]] = []  # (last used, bytes on disk, path from top)
    try:
        for folder, subfolders, files, descriptor in os.fwalk(".", dir_fd=top):
            depth = folder.count("/")
            wanted = _VERSION_NAME if depth == 0 else _SHARD_NAME
            subfolders[:] = [] if depth >= 2 else [s for s in subfolders if wanted.fullmatch(s)]
            if depth != 2:
                continue
            for name in files:
                is_entry = _ENTRY_NAME.fullmatch(name) is not None
                if not is_entry and not _TEMPORARY_NAME.fullmatch(name):
                    continue
                status = os.stat(name, dir_fd=descriptor, follow_symlinks=False)
                age_limit = UNUSED_FOR if is_entry else DAY
                if status.st_mtime < now - age_limit or status.st_mtime > now + DAY:
                    doomed.append(f"{folder}/{name}")
                else:
                    size = getattr(status, "st_blocks", 0) * 512 or status.st_size
                    kept.append((status.st_mtime, size, f"{folder}/{name}"))
    except OSError:
        return True  # changed under us: next day
    total = sum(size for _, size, _ in kept)
    if total > max_bytes:
        kept.sort()
        for _, size, path in kept:
            if total <= max_bytes * 3 // 4:
                break
            doomed.append(path)
            total -= size
    deadline = time.monotonic() + seconds
    emptied: set[str] = set()
    for path in doomed:
        if time.monotonic() > deadline:
            return False
        try:
            os.unlink(path, dir_fd=top)
        except FileNotFoundError:
            continue
        except OSError:
            return True  # read-only: nothing more can go
        emptied.add(os.path.dirname(path))
    for folder in sorted(emptied, reverse=True):
        for path in (folder, os.path.dirname(folder)):
            try:
                os.rmdir(path, dir_fd=top)  # only succeeds once the folder is empty
            except OSError:
                pass
    return True
