"""What ``mplint check --fix`` promises about the files it writes, checked with the real
command: an edit saved while it runs is never lost, the file keeps its owner, mode and
hard links, a read-only file is reported and left alone, and comments stay."""

from __future__ import annotations

import ctypes
import os
import select
import struct
import subprocess
import sys
from pathlib import Path

MPLINT = [sys.executable, "-m", "mplint", "check", "--no-cache"]
BUGGY = (
    "import multiprocessing\n\n\ndef f(n):\n    pass\n\n\n"
    'if __name__ == "__main__":\n'
    "    p = multiprocessing.Process(target=f, args=(5))\n"
    "    p.start()\n    p.join()\n"
)
FIXED_LINE = "args=(5,)"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MPLINT, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


# -- D6: an edit saved while --fix runs ----------------------------------------------------

_IN_CLOSE_NOWRITE = 0x10
_EVENT = struct.Struct("iIII")  # struct inotify_event without its name (a file's own watch)


class ReadWatch:
    """Counts the times a file is opened for reading and closed again (Linux inotify)."""

    def __init__(self, path: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init()
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        watch = libc.inotify_add_watch(self.fd, os.fsencode(path), _IN_CLOSE_NOWRITE)
        assert watch >= 0, os.strerror(ctypes.get_errno())
        self.reads = 0

    def wait_for_read(self, number: int, seconds: float) -> None:
        while self.reads < number:
            assert self._take_events(seconds), (
                f"the file was read {self.reads} time(s), not {number}"
            )

    def count_all(self) -> int:
        """Every read so far (call it once the reader has ended)."""
        while self._take_events(0):
            pass
        return self.reads

    def _take_events(self, seconds: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return False
        data = os.read(self.fd, 4096)
        for offset in range(0, len(data), _EVENT.size):
            _, mask, _, _ = _EVENT.unpack_from(data, offset)
            self.reads += bool(mask & _IN_CLOSE_NOWRITE)
        return True

    def close(self) -> None:
        os.close(self.fd)


def reads_of_a_lint(target: Path) -> int:
    """How many times linting the file reads it (without --fix)."""
    watch = ReadWatch(target)
    try:
        run("-j", "1", target.name, cwd=target.parent)
        return watch.count_all()
    finally:
        watch.close()


def test_an_edit_saved_while_fixing_is_kept(tmp_path: Path) -> None:
    """``--fix`` lints the file, then reads it once more to fix what is on disk then;
    the edit lands right after that read, while mplint lints and fixes that text (about
    a second for this file), the window in which an editor's save used to be lost."""
    target = tmp_path / "big.py"
    filler = "".join(f"def g{i}(a):\n    return a + {i}\n" for i in range(3000))
    target.write_text(BUGGY + filler, encoding="utf-8")
    fix_read = reads_of_a_lint(target) + 1
    watch = ReadWatch(target)
    try:
        process = subprocess.Popen(
            [*MPLINT, "-j", "1", "--fix", "big.py"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            watch.wait_for_read(fix_read, 60)
            with open(target, "a", encoding="utf-8") as editor:
                editor.write("USER_EDIT = 'must survive'\n")
            _, err = process.communicate(timeout=120)
        finally:
            process.kill()
            process.wait()
    finally:
        watch.close()
    text = target.read_text(encoding="utf-8")
    assert "USER_EDIT = 'must survive'" in text
    assert FIXED_LINE not in text  # nothing written over the edit
    assert err.splitlines() == [
        "mplint: cannot fix big.py: it changed while it was being fixed (run mplint again)"
    ]
    assert process.returncode == 2


# -- D12: owner, mode, hard links, read-only files --------------------------------------------


def test_fix_keeps_owner_mode_and_hard_links_and_leaves_read_only_files(tmp_path: Path) -> None:
    read_only = tmp_path / "read_only.py"
    read_only.write_text(BUGGY, encoding="utf-8")
    read_only.chmod(0o444)
    # Run as root (pre-commit in a container, on a user's checkout), mplint must give the
    # file back to its owner; run as anyone else, the file is theirs and must stay so.
    owned = tmp_path / "owned.py"
    owned.write_text(BUGGY, encoding="utf-8")
    owned.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(owned, 65534, 65534)
    owner = owned.stat()
    linked = tmp_path / "linked.py"
    linked.write_text(BUGGY, encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    other_name = tmp_path / "elsewhere" / "same_file.py"
    os.link(linked, other_name)
    inode = linked.stat().st_ino

    completed = run("--fix", "read_only.py", "owned.py", "linked.py", cwd=tmp_path)

    assert completed.returncode == 2
    assert "mplint: cannot fix read_only.py: the file is read-only" in completed.stderr.splitlines()
    assert read_only.read_text(encoding="utf-8") == BUGGY
    assert (read_only.stat().st_mode & 0o777) == 0o444
    after = owned.stat()
    assert FIXED_LINE in owned.read_text(encoding="utf-8")
    assert (after.st_uid, after.st_gid) == (owner.st_uid, owner.st_gid)
    assert (after.st_mode & 0o7777) == 0o640
    assert FIXED_LINE in other_name.read_text(encoding="utf-8")
    assert linked.stat().st_ino == inode and linked.stat().st_nlink == 2
    assert not [p.name for p in tmp_path.rglob("*mplint-fix*")], "temporary files left"


# -- D13: comments inside MP107's parentheses ------------------------------------------------


def test_safe_mp107_fix_keeps_comments_inside_the_parentheses(tmp_path: Path) -> None:
    source = BUGGY.replace(
        "args=(5))",
        "args=(\n        5  # the retry count, see ticket 123\n    ))",
    )
    target = tmp_path / "a.py"
    target.write_text(source, encoding="utf-8")
    finding = run("a.py", cwd=tmp_path).stdout.splitlines()[0]
    assert finding.startswith("a.py:10:9: MP107 ") and finding.endswith(
        "See `mplint explain MP107`."
    )
    assert "`args=(5)` is not a tuple" in finding  # one line, without the comment
    completed = run("--fix", "a.py", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert target.read_text(encoding="utf-8") == source.replace("5  # the retry", "5,  # the retry")
