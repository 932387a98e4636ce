"""Make docs/report.png: `mplint report` over a class built from the bundled examples,
photographed by headless chromium (Debian's `chromium` package).

    python docs/report_screenshot.py            # writes docs/report.png
    python docs/report_screenshot.py --keep     # also leaves the class and report.html

Eight students; each repository holds a few of the examples' programs, most of them the
fixed version and some the broken one, chosen the same way every time. The common
pitfalls (unguarded start, unjoined process, args not a tuple, unpicklable task) come up
more often, as they do in a real class.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
STUDENTS = ["ada", "ben", "chen", "dara", "eli", "fang", "gus", "hana"]
COMMON = ["MP101", "MP201", "MP107", "MP103", "MP304", "MP113", "MP402"]
WINDOW = "1280,1720"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def make_class(root: Path) -> Path:
    klass = root / "class"
    examples = sorted(p for p in EXAMPLES.iterdir() if (p / "broken.py").is_file())
    common = [p for p in examples if p.name[:5] in COMMON]
    chosen = random.Random(17)
    for student in STUDENTS:
        repository = klass / student
        repository.mkdir(parents=True)
        (repository / "pyproject.toml").write_text(f'[project]\nname = "{student}-lab"\n')
        picks = chosen.sample(common, 3) + chosen.sample(examples, 2)
        for number, example in enumerate(picks, start=1):
            side = "broken.py" if chosen.random() < 0.55 else "fixed.py"
            shutil.copy(example / side, repository / f"lab{number}.py")
    return klass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--keep", action="store_true", help="keep the class and report.html")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mplint-report-"))
    try:
        make_class(work)
        subprocess.run(
            [sys.executable, "-m", "mplint", "report", "class", "-o", "report.html", "--no-cache"],
            cwd=work,
            check=True,
        )
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={work / 'profile'}",
                f"--window-size={WINDOW}",
                f"--screenshot={args.output.resolve()}",
                (work / "report.html").as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        if args.keep:
            print(f"class and report: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
