"""A small class of student repositories on disk, for the report's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A student's string that would be markup if the report did not escape it.
HOSTILE = "<script>document.title='pwned'</script><img src=https://example.invalid/x.png>"


def example(code: str, side: str = "broken") -> str:
    (directory,) = EXAMPLES.glob(f"{code}-*")
    return (directory / f"{side}.py").read_text(encoding="utf-8")


def make_class(root: Path) -> Path:
    """alice (pyproject.toml, ignores MP101), bob (.git), carol (clean), and a folder
    that is not a repository (no marker), which the report must not count."""
    klass = root / "class"
    alice, bob, carol = klass / "alice", klass / "bob", klass / "carol"
    for folder in (alice, bob / ".git", carol / ".git", klass / "notes"):
        folder.mkdir(parents=True)
    (alice / "pyproject.toml").write_text('[tool.mplint]\nignore = ["MP101"]\n', "utf-8")
    (alice / "args.py").write_text(example("MP107"), "utf-8")
    (alice / "start.py").write_text(example("MP101"), "utf-8")  # ignored by alice's config
    (alice / "hostile.py").write_text(
        "import multiprocessing as mp\n\n\ndef work(text):\n    print(text)\n\n\n"
        'if __name__ == "__main__":\n'
        f"    p = mp.Process(target=work, args=({HOSTILE!r}))\n"
        "    p.start()\n    p.join()\n",
        "utf-8",
    )
    (bob / "start.py").write_text(example("MP101"), "utf-8")
    (bob / "args.py").write_text(example("MP107"), "utf-8")
    (carol / "fine.py").write_text(example("MP101", "fixed"), "utf-8")
    (klass / "notes" / "draft.py").write_text(example("MP107"), "utf-8")
    return klass


def mplint(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "-m", "mplint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )
