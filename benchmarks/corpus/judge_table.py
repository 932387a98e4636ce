"""Per-rule verdict counts for the real-code corpus, from mplint's output.

Reads ``verdicts.tsv`` (columns: repo, path, line, code, verdict, reason; one
row per finding judged by hand, verdict one of ``true``, ``noise``,
``false``) and the findings of a fresh ``mplint check --format json`` run over
the corpus files (see ``fetch.py`` for their layout), then prints:

* the table of counts per rule (true / noise / false, precision with noise
  counted against: true / all), as Markdown;
* findings mplint reports now that have no verdict yet (judge them and add a
  row), and verdicts whose finding mplint no longer reports (fixed, or moved:
  check the line).

Usage::

    python benchmarks/corpus/judge_table.py                 # runs mplint itself
    python benchmarks/corpus/judge_table.py --findings run.json
    python benchmarks/corpus/judge_table.py --mplint "cd /work/main && PYTHONPATH=/work/main mplint"
    python benchmarks/corpus/judge_table.py --list      # also every finding, as Markdown rows
    python benchmarks/corpus/judge_table.py --pending   # which pending good_real_* fixtures are clean now

Exit status 1 when a finding has no verdict, so it can guard a CI step.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts.tsv"
DEFAULT_ROOT = Path("/work/corpus-files")
KINDS = ("true", "noise", "false")

Key = tuple[str, str, int, str]


def read_verdicts(path: Path) -> dict[Key, tuple[str, str]]:
    """(repo, path, line, code) -> (verdict, reason)."""
    rows: dict[Key, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            verdict = row["verdict"].strip()
            if verdict not in KINDS:
                raise SystemExit(f"{path}: bad verdict {verdict!r} in {row}")
            key = (row["repo"], row["path"], int(row["line"]), row["code"])
            rows[key] = (verdict, row["reason"])
    return rows


def run_mplint(command: str, root: Path) -> list[dict]:
    """Run mplint (all default rules, no cache) over the corpus; its JSON findings."""
    args = f"{command} check --no-cache --exit-zero --format json {shlex.quote(str(root))}"
    done = subprocess.run(args, shell=True, capture_output=True, text=True, check=False)  # noqa: S602
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"mplint failed ({done.returncode})")
    return json.loads(done.stdout)


def finding_keys(findings: list[dict], root: Path) -> list[Key]:
    """Each finding as (repo, path, line, code), repo being owner/name."""
    keys = []
    for item in findings:
        rel = Path(item["filename"]).resolve().relative_to(root.resolve())
        parts = rel.parts
        repo = f"{parts[0]}/{parts[1]}"
        keys.append((repo, "/".join(parts[2:]), int(item["location"]["row"]), item["code"]))
    return keys


def table(current: list[Key], verdicts: dict[Key, tuple[str, str]]) -> str:
    """Markdown table: per rule and overall, true/noise/false and precision."""
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for key in current:
        if key in verdicts:
            per_rule[key[3]][verdicts[key][0]] += 1
    lines = [
        "| rule | findings | true | noise | false | precision (true / all) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    total: Counter[str] = Counter()
    for code in sorted(per_rule):
        counts = per_rule[code]
        total.update(counts)
        lines.append(row(code, counts))
    lines.append(row("**all**", total))
    return "\n".join(lines)


def row(label: str, counts: Counter[str]) -> str:
    """One table row."""
    n = sum(counts[k] for k in KINDS)
    share = f"{100 * counts['true'] / n:.0f}%" if n else "-"
    return f"| {label} | {n} | {counts['true']} | {counts['noise']} | {counts['false']} | {share} |"


def finding_rows(current: list[Key], verdicts: dict[Key, tuple[str, str]]) -> str:
    """Markdown rows, one per current finding: where, code, verdict, reason."""
    lines = ["| finding | code | verdict | why |", "| --- | --- | --- | --- |"]
    for key in sorted(current):
        verdict, reason = verdicts.get(key, ("(none)", ""))
        repo, path, line, code = key
        lines.append(f"| {repo}:{path}:{line} | {code} | {verdict} | {reason} |")
    return "\n".join(lines)


def pending_status(command: str) -> list[tuple[Path, int]]:
    """Each pending fixture and how many findings mplint reports on it today."""
    status = []
    for fixture in sorted((HERE / "pending_fixtures").glob("MP*/good_real_*.py")):
        findings = run_mplint(command, fixture)
        status.append((fixture, len(findings)))
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    parser.add_argument("--findings", type=Path, help="mplint --format json output to use")
    parser.add_argument("--mplint", default="mplint", help="command that runs mplint")
    parser.add_argument("--list", action="store_true", help="also print every finding")
    parser.add_argument("--pending", action="store_true", help="report pending fixtures")
    args = parser.parse_args()

    if args.pending:
        for fixture, count in pending_status(args.mplint):
            state = "clean: move it to fixtures/" if count == 0 else f"{count} finding(s)"
            print(f"{fixture.relative_to(HERE)}: {state}")
        return 0

    findings = (
        json.loads(args.findings.read_text(encoding="utf-8"))
        if args.findings
        else run_mplint(args.mplint, args.root)
    )
    current = finding_keys(findings, args.root)
    verdicts = read_verdicts(args.verdicts)
    print(table(current, verdicts))
    if args.list:
        print()
        print(finding_rows(current, verdicts))

    unjudged = [k for k in current if k not in verdicts]
    gone = sorted(set(verdicts) - set(current))
    if unjudged:
        print(f"\n{len(unjudged)} finding(s) without a verdict:")
        for repo, path, line, code in unjudged:
            print(f"  {repo}:{path}:{line} {code}")
    if gone:
        print(f"\n{len(gone)} verdict(s) whose finding is no longer reported:")
        for repo, path, line, code in gone:
            print(f"  {repo}:{path}:{line} {code} (was {verdicts[(repo, path, line, code)][0]})")
    return 1 if unjudged else 0


if __name__ == "__main__":
    raise SystemExit(main())
