"""Lay out every piece a new rule needs, so that the tests list what is left to write.

    python -m mplint.scaffold MP117 queue-closed-twice --summary "queue closed twice"

creates the check module in its family package (``mplint/checks/<family>/<name>.py``,
registered, with an en and zh-CN message), the catalogue
entry, both pages with every heading, a bad and a good fixture and the example folder.
Each piece carries the marker below; tests/test_catalog.py fails, naming the piece,
until every marker is replaced by the real thing.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

MARKER = "TODO(scaffold)"
CODE = re.compile(r"^MP[1-9][0-9]{2}$")
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")

EN_HEADINGS = (
    "What it does",
    "Why is this bad",
    "Affected start methods and platforms",
    "Example",
    "Use instead",
    "Fix",
    "When it does not apply",
    "What it cannot see",
    "Teaching topic",
)
ZH_HEADINGS = (
    "规则内容",
    "为什么有问题",
    "受影响的启动方式与平台",
    "示例",
    "正确写法",
    "自动修复",
    "不适用的情况",
    "检查不到的情况",
    "教学主题",
)


# The family package (mplint/checks/<family>/) of each catalogue section.
FAMILY_OF_PREFIX = {
    "MP1": "start",
    "MP2": "lifecycle",
    "MP3": "pools",
    "MP4": "sync",
    "MP5": "managers",
    "MP6": "output",
    "MP9": "opinionated",
}


@dataclass(frozen=True)
class NewRule:
    code: str
    name: str
    summary: str

    @property
    def function(self) -> str:
        return self.name.replace("-", "_")

    @property
    def module(self) -> str:
        return self.function

    @property
    def family(self) -> str:
        """The family package of the rule's module, by the hundreds of its code."""
        return FAMILY_OF_PREFIX.get(self.code[:3], f"mp{self.code[2]}xx")


def check_module(rule: NewRule) -> str:
    return f'''"""{rule.code} {rule.name}: {rule.summary}.

Page: rules/{rule.code}.md (zh-CN: rules/zh-CN/{rule.code}.md) · Fixtures: fixtures/{rule.code}/
· Example: examples/{rule.code}-{rule.name}/
"""

from __future__ import annotations

from collections.abc import Iterator

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts

messages(
    {{
        "{rule.code}": Message(
            en="{MARKER}: what happens at run time, and what to do instead.",
            zh="{MARKER}：运行时会发生什么，应该怎么改。",
        ),
    }}
)


@check("{rule.code}")
def {rule.function}(facts: Facts) -> Iterator[Finding]:
    """{MARKER}: state the rule as a query on the facts."""
    yield from ()
'''


def page(rule: NewRule, headings: tuple[str, ...]) -> str:
    sections = "".join(f"## {heading}\n\n{MARKER}\n\n" for heading in headings)
    return f"# {rule.name} ({rule.code})\n\n{sections}".rstrip() + "\n"


def fixture(rule: NewRule, kind: str) -> str:
    mark = f"  # error: {rule.code}" if kind == "bad" else ""
    return (
        f'"""{MARKER}: a {kind} case of {rule.code}."""\n\n'
        "import multiprocessing\n\n"
        f"multiprocessing.Process(){mark}\n"
    )


def example_toml(rule: NewRule) -> str:
    return f'''start-method = "spawn"
timeout = 30

[broken]
outcome = "error"
stderr = "{MARKER}"
description = "{MARKER}: what the broken program shows."
description_zh = "{MARKER}"

[fixed]
stdout = "{MARKER}"
description = "{MARKER}: what the fixed program prints."
description_zh = "{MARKER}"
'''


def example_program(rule: NewRule, side: str) -> str:
    return (
        f'"""{MARKER}: the {side} program of {rule.code}."""\n\n'
        'if __name__ == "__main__":\n'
        f'    print("{MARKER}")\n'
    )


def add_catalogue_entry(catalog: Path, rule: NewRule) -> None:
    text = catalog.read_text(encoding="utf-8")
    if f'"{rule.code}"' in text:
        return
    closing = "\n    )\n}\n"
    if closing not in text:
        raise SystemExit(f"cannot find the end of RULES in {catalog}; add the Rule by hand")
    entry = f'        Rule("{rule.code}", "{rule.name}", "{rule.summary}"),'
    catalog.write_text(text.replace(closing, f"\n{entry}{closing}", 1), encoding="utf-8")


def append_line(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if line not in text:
        path.write_text(text + line, encoding="utf-8")


def register_module(checks: Path, rule: NewRule) -> None:
    """Import the rule's module from its family package, and a new family from the checks."""
    family_init = checks / rule.family / "__init__.py"
    if not family_init.exists():
        family_init.parent.mkdir(parents=True, exist_ok=True)
        family_init.write_text(f'"""The {rule.family} rules: one module per rule."""\n\n')
        append_line(
            checks / "__init__.py", f"from mplint.checks import {rule.family}  # noqa: F401\n"
        )
    append_line(
        family_init,
        f"from mplint.checks.{rule.family} import {rule.module}  # noqa: F401  ({rule.code})\n",
    )


def write_new(path: Path, text: str, created: list[Path]) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    created.append(path)


def scaffold(root: Path, rule: NewRule) -> list[Path]:
    created: list[Path] = []
    package = root / "mplint"
    write_new(package / "checks" / rule.family / f"{rule.module}.py", check_module(rule), created)
    register_module(package / "checks", rule)
    add_catalogue_entry(package / "catalog.py", rule)
    write_new(root / "rules" / f"{rule.code}.md", page(rule, EN_HEADINGS), created)
    write_new(root / "rules" / "zh-CN" / f"{rule.code}.md", page(rule, ZH_HEADINGS), created)
    fixtures = root / "fixtures" / rule.code
    write_new(fixtures / "bad_first_case.py", fixture(rule, "bad"), created)
    write_new(fixtures / "good_first_case.py", fixture(rule, "good"), created)
    example = root / "examples" / f"{rule.code}-{rule.name}"
    write_new(example / "example.toml", example_toml(rule), created)
    for side in ("broken", "fixed"):
        write_new(example / f"{side}.py", example_program(rule, side), created)
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mplint.scaffold", description=__doc__)
    parser.add_argument("code", help="the new code, e.g. MP117 (never reuse one)")
    parser.add_argument("name", help="kebab-case name, e.g. queue-closed-twice")
    parser.add_argument("--summary", default=MARKER, help="one line for `mplint rules`")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    options = parser.parse_args(argv)
    if not CODE.match(options.code) or not NAME.match(options.name):
        parser.error("expected a code like MP117 and a kebab-case name like queue-closed-twice")
    rule = NewRule(options.code, options.name, options.summary)
    for path in scaffold(options.root, rule):
        print(f"created {path.relative_to(options.root)}")
    print(f"Now run: python -m pytest tests/test_catalog.py -k {rule.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
