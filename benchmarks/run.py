"""mplint's speed goals, measured side by side with its peers in one run.

``python benchmarks/run.py`` measures the goals of the README's Speed section and prints
each with its ratio and whether it holds:

1. the whole standard library of the Python running this script, cold (no cache):
   ``mplint check`` within 2x ``ruff check --select ALL --no-cache --output-format
   concise``, wall time, both on every core, output to /dev/null;
2. start-up: ``mplint check`` on one 30-line student script within 120 ms wall, as a
   whole process (beside it, a bare ``python -c pass`` and ``import libcst``);
3. the language server, keystroke to diagnostics (``lsp_latency.py``): the 300-line
   student script p50 <= 40 ms and p95 <= 80 ms; typing.py with one finding p95
   within 1.5x libcst's bare parse of that file.

Each pair is run ``--repeat`` times (default 5), alternating, and the medians are
reported: on a shared machine compare ratios within one run, never absolute times
across runs. mplint's bytecode is compiled first (an installed wheel has it; a checkout
run with PYTHONDONTWRITEBYTECODE would compile every module at every start).

``--corpus-table`` adds the wider table: the standard library plus pinned releases of
multiprocessing-heavy packages installed from PyPI with ``pip install --no-deps
--target`` into a temporary directory (or ``--corpus DIR``, kept and reused), each tool
given the same explicit list of files, with wall and CPU time (user + system of the
process and its children) and ratios to ``ast.parse``; and the flake8 plugin cost,
each plugin run in-process on every file's ``ast`` tree and timed alone. Options:
``--quick`` run flake8 end-to-end on the process-using files only;
``--findings FILE`` write mplint's findings on the corpus (for benchmarks/precision.md).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Pinned so that runs on different days measure the same code.
PACKAGES = (
    "joblib==1.6.0",
    "loky==3.7.0",
    "billiard==4.3.2",
    "multiprocess==0.70.19",
    "pebble==5.2.3",
    "mpire==2.10.2",
    "pathos==0.3.5",
    "ppft==1.7.8",
    "aiomultiprocess==0.9.1",
    "gunicorn==27.0.1",
    "celery==5.7.0",
    "dask==2026.8.0",
    "distributed==2026.8.0",
    "execnet==2.1.2",
    "pytest-xdist==3.8.0",
    "uvicorn==0.54.0",
)
BIN = Path(sys.executable).parent


@dataclass
class Measurement:
    name: str
    files: int
    wall: float
    cpu: float
    note: str = ""


def build_corpus(directory: Path) -> tuple[list[Path], list[Path]]:
    """(standard library files, package files)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    site = directory / "packages"
    marker = site / ".pins"
    pins = "\n".join(PACKAGES)
    if not marker.exists() or marker.read_text() != pins:
        shutil.rmtree(site, ignore_errors=True)
        print(f"installing {len(PACKAGES)} pinned packages into {site} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site]
            + list(PACKAGES),
            check=True,
        )
        marker.write_text(pins)
    stdlib_files = sorted(
        p for p in stdlib.rglob("*.py") if "site-packages" not in p.relative_to(stdlib).parts
    )
    package_files = sorted(p for p in site.rglob("*.py") if "bin" not in p.relative_to(site).parts)
    return stdlib_files, package_files


def timed(
    name: str, command: list[str], files: int, note: str = "", cwd: str | None = None
) -> Measurement:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode not in (0, 1):
        note = (note + f" exit {completed.returncode}: " + completed.stderr.decode()[-200:]).strip()
    return Measurement(name, files, wall, cpu, note)


def write_list(directory: Path, name: str, files: list[Path]) -> Path:
    path = directory / name
    path.write_text("\n".join(str(f) for f in files), encoding="utf-8")
    return path


# -- helpers run as separate processes: python run.py _worker KIND LISTFILE ------------


def worker(kind: str, list_file: str) -> None:
    files = [Path(line) for line in Path(list_file).read_text(encoding="utf-8").splitlines()]
    if kind == "prefilter":
        from mplint.engine import decode_source, might_use_processes

        hits = []
        for path in files:
            text = decode_source(path.read_bytes(), str(path))
            if isinstance(text, str) and might_use_processes(text):
                hits.append(str(path))
        print(json.dumps(hits))
        return
    if kind == "ast":
        for path in files:
            try:
                ast.parse(path.read_bytes())
            except (SyntaxError, ValueError):
                pass
        return
    if kind == "libcst":
        import libcst as cst

        for path in files:
            try:
                cst.parse_module(path.read_bytes())
            except Exception:  # noqa: BLE001 - a file libcst cannot parse is skipped
                pass
        return
    if kind in ("plugin-MP", "plugin-B"):
        # What flake8 does per file for one plugin, without flake8's own checks.
        if kind == "plugin-MP":
            from mplint.flake8_plugin import MplintChecker as plugin
        else:
            from bugbear import BugBearChecker as plugin
        # One file at a time, as flake8 does (holding every tree at once would make each
        # garbage collection walk them all, and bill that to the plugin that allocates most).
        spent = 0.0
        for path in files:
            try:
                source = path.read_bytes().decode("utf-8")
                tree = ast.parse(source)
            except (SyntaxError, ValueError):
                continue
            lines = source.splitlines(True)
            start = time.process_time()
            if kind == "plugin-MP":
                list(plugin(tree, lines, str(path)).run())
            else:
                list(plugin(tree=tree, filename=str(path), lines=lines).run())
            spent += time.process_time() - start
        print(json.dumps(spent))
        return
    raise SystemExit(f"unknown worker {kind}")


def run_python(kind: str, list_file: Path) -> list[str]:
    return [sys.executable, __file__, "_worker", kind, str(list_file)]


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "_worker":
        worker(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each pair (median)")
    parser.add_argument("--edits", type=int, default=50, help="edits per file in the editor")
    parser.add_argument("--corpus-table", action="store_true", help="also the wider table")
    parser.add_argument("--corpus", type=Path, help="build or reuse the corpus here")
    parser.add_argument("--quick", action="store_true", help="flake8 on process files only")
    parser.add_argument("--findings", type=Path, help="write mplint's findings here")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from goals import run_goals

    status = run_goals(args.repeat, args.edits)
    if not args.corpus_table:
        return status

    with tempfile.TemporaryDirectory(prefix="mplint-bench-") as temporary:
        work = Path(temporary)
        corpus = args.corpus or work / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        stdlib_files, package_files = build_corpus(corpus.resolve())
        everything = stdlib_files + package_files
        lines = sum(p.read_bytes().count(b"\n") for p in everything)
        all_list = write_list(work, "all.txt", everything)

        rows: list[Measurement] = []
        prefilter = subprocess.run(
            run_python("prefilter", all_list), capture_output=True, text=True, check=True
        )
        hits = [Path(p) for p in json.loads(prefilter.stdout)]
        hit_list = write_list(work, "hits.txt", hits)
        n, h = len(everything), len(hits)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        mplint = [str(BIN / "mplint"), "check", "--exit-zero"]
        all_args = [str(p) for p in everything]
        hit_args = [str(p) for p in hits]

        rows.append(timed("ast.parse", run_python("ast", all_list), n))
        rows.append(timed("read + decode + mplint prefilter", run_python("prefilter", all_list), n))
        rows.append(timed(f"ruff check --select ALL (-j {cores})", [
            str(BIN / "ruff"), "check", "--select", "ALL", "--no-cache", "--exit-zero",
            "--output-format", "concise", "--quiet", *all_args], n))  # fmt: skip
        rows.append(timed("mplint check -j 1", [*mplint, "--no-cache", "-j", "1", *all_args], n))
        rows.append(
            timed(
                f"mplint check -j {cores}", [*mplint, "--no-cache", "-j", str(cores), *all_args], n
            )
        )
        with tempfile.TemporaryDirectory() as cache_home:
            warm = [*mplint, "-j", str(cores), *all_args]
            subprocess.run(warm, cwd=cache_home, stdout=subprocess.DEVNULL, check=False)
            rows.append(timed("mplint check, warm cache", warm, n, cwd=cache_home))
        flake8_files = hit_args if args.quick else all_args
        flake8_n = h if args.quick else n
        flake8 = [str(BIN / "flake8"), "--exit-zero", f"--jobs={cores}"]
        rows.append(
            timed("flake8 --select MP", [*flake8, "--select", "MP", *flake8_files], flake8_n)
        )
        rows.append(timed("flake8 --select B", [*flake8, "--select", "B", *flake8_files], flake8_n))
        rows.append(timed("ast.parse (process files)", run_python("ast", hit_list), h))
        rows.append(timed("libcst parse (process files)", run_python("libcst", hit_list), h))
        rows.append(timed("mplint check -j 1 (process files)", [
            *mplint, "--no-cache", "-j", "1", *hit_args], h))  # fmt: skip

        plugin = {}
        for code in ("MP", "B"):
            out = subprocess.run(
                run_python(f"plugin-{code}", all_list), capture_output=True, text=True, check=True
            )
            plugin[code] = float(out.stdout)

        if args.findings:
            found = subprocess.run(
                [*mplint, "--no-cache", "--format", "concise", *all_args],
                capture_output=True,
                text=True,
            )
            args.findings.write_text(found.stdout, encoding="utf-8")

    print_report(rows, n, h, lines, len(stdlib_files), len(package_files), cores or 1, plugin)
    return 0


def print_report(
    rows: list[Measurement],
    n: int,
    h: int,
    lines: int,
    n_stdlib: int,
    n_packages: int,
    cores: int,
    plugin: dict[str, float],
) -> None:
    by_name = {row.name: row for row in rows}
    base_all, base_hits = by_name["ast.parse"], by_name["ast.parse (process files)"]
    print(
        f"Corpus: Python {platform.python_version()} standard library ({n_stdlib} files) + "
        f"{len(PACKAGES)} pinned packages ({n_packages} files): {n} files, {lines:,} lines; "
        f"{h} files ({h / n:.0%}) import a process module or call fork()."
    )
    print(f"Machine: {platform.machine()}, {cores} cores, {platform.platform(terse=True)}.\n")
    print("| what | files | wall s | CPU s | files/s | wall / ast.parse | CPU / ast.parse |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        base = base_hits if row.files == h and "process files" in row.name else base_all
        print(
            f"| {row.name} | {row.files} | {row.wall:.2f} | {row.cpu:.2f} | "
            f"{row.files / row.wall:.0f} | {row.wall / base.wall:.2f} | "
            f"{row.cpu / max(base.cpu, 1e-9):.2f} |" + (f" {row.note}" if row.note else "")
        )
    ruff = next(r for r in rows if r.name.startswith("ruff"))
    parallel = by_name[f"mplint check -j {cores}"]
    mp_hits, cst_hits = (
        by_name["mplint check -j 1 (process files)"],
        by_name["libcst parse (process files)"],
    )
    print("\nGoals:")
    print(
        f"- mplint check -j {cores} / ruff check --select ALL: wall {parallel.wall / ruff.wall:.2f}, "
        f"CPU {parallel.cpu / ruff.cpu:.2f} (goal <= 2)"
    )
    print(
        f"- mplint -j 1 / libcst bare parse, process files: wall {mp_hits.wall / cst_hits.wall:.2f}, "
        f"CPU {mp_hits.cpu / cst_hits.cpu:.2f} (goal <= 2.5)"
    )
    print(
        f"- flake8 plugin time alone, all {n} files: MP {plugin['MP']:.2f} s CPU, "
        f"B (bugbear) {plugin['B']:.2f} s CPU: MP / B = {plugin['MP'] / plugin['B']:.2f} (goal <= 1)"
    )


if __name__ == "__main__":
    sys.exit(main())
