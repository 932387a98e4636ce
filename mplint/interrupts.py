"""Ctrl-C and SIGTERM: stop what mplint started, clean up, say so in one line.

While a command runs (``handled()``), SIGINT and SIGTERM first stop the processes
mplint started (the ``--jobs`` workers, the programs ``mplint example --run`` runs)
and then unwind the main thread with an exception: ``KeyboardInterrupt`` for
SIGINT, ``Terminated`` for SIGTERM. Unwinding runs the ``finally`` blocks and
``with`` exits that remove temporary files; ``cli.main`` turns the exception into
one line and the exit status 130 or 143. The children are stopped before the
unwinding because a pool's or a thread pool's ``with`` exit waits for its work.

A second signal while the first is being handled ends mplint at once.

A worker process does not handle these signals itself (``prepare_worker``): it
ignores SIGINT, which its parent answers for it, dies of SIGTERM, and on Linux
gets SIGTERM when its parent dies, even of SIGKILL, so no worker outlives mplint
holding its standard output open.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that only the code
    that cleans up (``finally``, ``with``) runs on the way out."""


_owner: int | None = None  # the process whose handlers these are
_stopping = False
_process_groups: set[int] = set()


def exit_status(signal_number: int) -> int:
    """The shell's convention: 128 plus the signal's number (130, 143)."""
    return 128 + signal_number


def _stop_children() -> None:
    for group in list(_process_groups):
        _kill_group(group)
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:  # not imported: no worker was ever started
        return
    # In a signal handler nothing may raise but the exception that stops mplint.
    with contextlib.suppress(Exception):
        for child in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                child.terminate()


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def _on_signal(signal_number: int, frame: FrameType | None) -> None:
    global _stopping
    if os.getpid() != _owner:
        # A worker forked a moment ago, before prepare_worker() reset its handlers.
        os._exit(exit_status(signal_number))
    if _stopping:
        _stop_children()
        os._exit(exit_status(signal_number))
    _stopping = True
    _stop_children()
    if signal_number == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signal_number)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Handle SIGINT and SIGTERM as this module says while the block runs, then put the
    previous handlers back. Outside the main thread (signals cannot be handled there)
    it does nothing."""
    global _owner, _stopping
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in HANDLED}
    _owner, _stopping = os.getpid(), False
    for number in HANDLED:
        signal.signal(number, _on_signal)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _owner = None


@contextlib.contextmanager
def process_group(group: int) -> Iterator[None]:
    """A process group (a program run in a session of its own) that a signal must kill.
    A group added once mplint is already stopping is killed at once."""
    _process_groups.add(group)
    try:
        if _stopping:
            _kill_group(group)
        yield
    finally:
        _process_groups.discard(group)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs (writing a file in place): they
    are handled when it ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def prepare_worker(parent: int) -> None:
    """A worker process's first step: leave SIGINT to the parent, die of SIGTERM, and
    (on Linux) die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl() took effect
        os._exit(exit_status(signal.SIGTERM))
