"""The real-code corpus: where its files live and how they get there.

The corpus is application and student code that uses multiprocessing, taken
from public GitHub repositories.  Those files are other people's code, so they
are never committed; ``manifest.tsv`` (next to this script) pins each one by
repository, path and commit, and says why it was chosen.

Local layout (outside the repository)::

    /work/corpus-files/<owner>/<name>/<path inside the repository>

e.g. ``/work/corpus-files/minus9d/python_exercise/parallel_and_concurrent/
multiprocessing_pool.py``.  ``--root`` changes the top directory.

Getting the texts: on this machine the only source is the stored-code search
tool (its ``read_file`` verb takes repository, path and commit), so each text
was stored with ``add`` as it was read.  Anywhere with network access,
``fetch`` downloads every file of the manifest from
``raw.githubusercontent.com`` at the pinned commit.

Usage::

    python benchmarks/corpus/fetch.py add OWNER/NAME PATH COMMIT CATEGORY WHY < text
    python benchmarks/corpus/fetch.py check          # every manifest file present?
    python benchmarks/corpus/fetch.py fetch          # download what is missing
    python benchmarks/corpus/fetch.py stats          # files, repositories, categories
"""

from __future__ import annotations

import argparse
import csv
import sys
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.tsv"
DEFAULT_ROOT = Path("/work/corpus-files")
COLUMNS = ["repo", "path", "commit", "category", "why"]


def read_manifest() -> list[dict[str, str]]:
    """The manifest's rows, in file order."""
    if not MANIFEST.exists():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def local_path(root: Path, repo: str, path: str) -> Path:
    """Where one corpus file is stored on this machine."""
    return root / repo / path


def add(root: Path, repo: str, path: str, commit: str, category: str, why: str) -> None:
    """Store one file's text (from stdin) and pin it in the manifest."""
    text = sys.stdin.read()
    target = local_path(root, repo, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    rows = read_manifest()
    if any(r["repo"] == repo and r["path"] == path for r in rows):
        return
    new = not MANIFEST.exists()
    with MANIFEST.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        if new:
            writer.writerow(COLUMNS)
        writer.writerow([repo, path, commit, category, why])


def check(root: Path) -> int:
    """Report manifest files missing on disk; exit status 1 if any."""
    missing = [r for r in read_manifest() if not local_path(root, r["repo"], r["path"]).exists()]
    for row in missing:
        print(f"missing: {row['repo']}/{row['path']}")
    return 1 if missing else 0


def fetch(root: Path) -> int:
    """Download every missing manifest file at its pinned commit."""
    failures = 0
    for row in read_manifest():
        target = local_path(root, row["repo"], row["path"])
        if target.exists():
            continue
        url = f"https://raw.githubusercontent.com/{row['repo']}/{row['commit']}/{row['path']}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                data = response.read()
        except OSError as error:
            print(f"failed: {url}: {error}")
            failures += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return 1 if failures else 0


def stats() -> None:
    """Print the corpus size by files, repositories and category."""
    rows = read_manifest()
    print(f"files: {len(rows)}")
    print(f"repositories: {len({r['repo'] for r in rows})}")
    for category, count in Counter(r["category"] for r in rows).most_common():
        print(f"  {category}: {count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    sub = parser.add_subparsers(dest="command", required=True)
    adder = sub.add_parser("add")
    for name in COLUMNS:
        adder.add_argument(name)
    sub.add_parser("check")
    sub.add_parser("fetch")
    sub.add_parser("stats")
    args = parser.parse_args()
    if args.command == "add":
        add(args.root, args.repo, args.path, args.commit, args.category, args.why)
        return 0
    if args.command == "check":
        return check(args.root)
    if args.command == "fetch":
        return fetch(args.root)
    stats()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
