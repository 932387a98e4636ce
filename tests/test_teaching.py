"""Every rule teaches: two pages with the same headings, and a runnable pair that the
linter reads the way the page says (broken: exactly its own code; fixed: nothing)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mplint.catalog import RULES, guide_names, guide_text, page_summary, rule_summary
from mplint.cli import render_inline
from mplint.config import Settings
from mplint.engine import lint_source
from mplint.example_runner import find_examples
from mplint.scaffold import EN_HEADINGS as PAGE_HEADINGS_EN
from mplint.scaffold import ZH_HEADINGS as PAGE_HEADINGS_ZH

# One heading schema: the scaffold lays new pages out with it, this test enforces it.
EN_HEADINGS = list(PAGE_HEADINGS_EN)
ZH_HEADINGS = list(PAGE_HEADINGS_ZH)
CODES = sorted(RULES)
EXAMPLES = find_examples(ROOT / "examples")


def headings(path: Path) -> tuple[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    title = text.splitlines()[0]
    return title, re.findall(r"^## (.+?)\s*$", text, re.MULTILINE)


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    ("folder", "expected"), [("rules", EN_HEADINGS), ("rules/zh-CN", ZH_HEADINGS)]
)
def test_page_has_title_and_every_heading(code: str, folder: str, expected: list[str]) -> None:
    path = ROOT / folder / f"{code}.md"
    assert path.is_file(), f"{path} is missing"
    title, found = headings(path)
    assert title == f"# {RULES[code].name} ({code})"
    assert found == expected


@pytest.mark.parametrize("code", CODES)
def test_chinese_page_is_written_in_chinese(code: str) -> None:
    text = (ROOT / "rules" / "zh-CN" / f"{code}.md").read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    chinese = sum(1 for ch in prose if "\u4e00" <= ch <= "\u9fff")
    assert chinese > 200, "the zh-CN page is mostly not Chinese"


@pytest.mark.parametrize("code", CODES)
def test_summary_is_the_first_paragraph(code: str) -> None:
    summary = page_summary(code)
    assert summary and not summary.startswith("#")
    assert page_summary(code, "zh-CN") != summary


@pytest.mark.parametrize("code", CODES)
def test_every_rule_has_an_example_pair(code: str) -> None:
    directory = EXAMPLES.get(code)
    assert directory is not None, f"{code} has no examples/ directory"
    assert directory.name == f"{code}-{RULES[code].name}"
    for name in ("broken.py", "fixed.py", "example.toml"):
        assert (directory / name).is_file(), f"{directory / name} is missing"


def codes_found(path: Path, code: str) -> list[str]:
    settings = Settings(extend_select=(code,))
    result = lint_source(path.read_bytes(), str(path), settings)
    assert result.error is None and not result.internal_errors
    return sorted({d.code for d in result.diagnostics})


@pytest.mark.parametrize("code", CODES)
def test_broken_example_is_flagged_with_exactly_its_own_code(code: str) -> None:
    assert codes_found(EXAMPLES[code] / "broken.py", code) == [code]


@pytest.mark.parametrize("code", CODES)
def test_fixed_example_is_clean(code: str) -> None:
    assert codes_found(EXAMPLES[code] / "fixed.py", code) == []


def run_mplint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mplint", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_demo_command_shows_a_finding_of_every_kind() -> None:
    completed = run_mplint("check", "examples/", "--extend-select", "MP9")
    assert completed.returncode == 1
    shown = set(re.findall(r": (MP\d{3}) ", completed.stdout))
    assert shown == set(RULES)


def test_explain_prints_the_page_readably() -> None:
    completed = run_mplint("explain", "mp101")
    assert completed.returncode == 0
    assert completed.stdout.startswith("unguarded-process-start (MP101)\n=====")
    assert "What it does\n------------" in completed.stdout
    assert "```" not in completed.stdout


def test_explain_in_chinese_by_flag_and_by_environment() -> None:
    by_flag = run_mplint("explain", "MP201", "--lang", "zh-CN")
    assert "规则内容" in by_flag.stdout
    import os

    env = {**os.environ, "LANG": "zh_CN.UTF-8", "LC_ALL": ""}
    by_env = run_mplint("explain", "MP201", env=env)
    assert by_env.stdout == by_flag.stdout


def test_unknown_code_is_a_usage_error() -> None:
    completed = run_mplint("explain", "MP999")
    assert completed.returncode == 2
    assert "unknown rule" in completed.stderr


def test_messages_follow_the_language(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import multiprocessing\n\n\ndef work():\n    pass\n\n\n"
        "multiprocessing.Process(target=work).start()\n",
        encoding="utf-8",
    )
    english = run_mplint("check", str(script))
    chinese = run_mplint("check", "--lang", "zh-CN", str(script))
    assert "MP101" in english.stdout and "import time" in english.stdout
    assert "MP101" in chinese.stdout and "模块导入时" in chinese.stdout
    assert "mplint explain MP101" in english.stdout and "mplint explain MP101" in chinese.stdout


def test_example_command_shows_the_pair() -> None:
    completed = run_mplint("example", "MP111")
    assert completed.returncode == 0
    assert "broken.py ---" in completed.stdout and "fixed.py ---" in completed.stdout


def test_example_run_reports_both_sides_as_declared() -> None:
    completed = run_mplint("example", "MP111", "--run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    words = " ".join(completed.stdout.split())
    assert "AssertionError: cannot start a process" in words
    # One section per program, each with its own verdict (not a shared table row).
    broken, _, fixed = completed.stdout.partition("\nfixed.py\n")
    assert "\nbroken.py\n" in broken and fixed, completed.stdout
    assert broken.count("as declared: yes") == 1 and fixed.count("as declared: yes") == 1
    # The real traceback: the script's frame with its line number, the error in full.
    assert re.search(r'broken\.py", line \d+, in <module>', broken), broken


# -- The Chinese path: every source of `lang` reaches explain and rules -----------------


def _clean_env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def run_in(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mplint", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        env=_clean_env(**env),
        timeout=120,
    )


def test_explain_and_rules_follow_the_project_language(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mplint]\nlang = "zh-CN"\n', encoding="utf-8")
    explained = run_in(tmp_path, "explain", "MP107")
    assert explained.returncode == 0, explained.stderr
    assert "规则内容" in explained.stdout and "What it does" not in explained.stdout
    listed = run_in(tmp_path, "rules")
    assert "args= 不是元组" in listed.stdout and "is not a tuple" not in listed.stdout
    # The flag still wins over the project's setting.
    assert "What it does" in run_in(tmp_path, "explain", "MP107", "--lang", "en").stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [(("rules", "--lang", "zh-CN"), {}), (("rules",), {"LANG": "zh_CN.UTF-8"})],
)
def test_rules_in_chinese_by_flag_and_by_environment(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    completed = run_in(tmp_path, *args, **env)
    assert completed.returncode == 0, completed.stderr
    lines = [line for line in completed.stdout.splitlines() if line.startswith("MP")]
    assert len(lines) == len(RULES)
    for line in lines:
        summary = line.split("  ")[-1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in summary), line


@pytest.mark.parametrize("code", CODES)
def test_every_rule_has_a_chinese_summary(code: str) -> None:
    summary = rule_summary(code, "zh-CN")
    assert summary != RULES[code].summary
    assert sum(1 for ch in summary if "\u4e00" <= ch <= "\u9fff") >= 4


def test_explain_renders_emphasis_instead_of_printing_markers() -> None:
    plain = render_inline("**`Queue.put`** returns, the *feeder 线程* pickles; `imap*` stays")
    assert plain == "Queue.put returns, the feeder 线程 pickles; imap* stays"
    linked = render_inline("[MP404](MP404.md), [见](../guides/zh-CN/ctrl-c.md), [x](https://a.b)")
    assert linked == "MP404, 见 (mplint explain guide:ctrl-c), x (https://a.b)"
    styled = render_inline("the 名字 *是* **bold**", styled=True)
    assert styled == "the 名字 \033[3m是\033[23m \033[1mbold\033[22m"
    for lang in ("en", "zh-CN"):
        completed = run_mplint("explain", "MP401", "--lang", lang)
        prose = [line for line in completed.stdout.splitlines() if not line.startswith("    ")]
        assert not any("**" in line for line in prose)
        assert "\033[" not in completed.stdout  # not a terminal: plain text


# -- One Chinese glossary, used everywhere ------------------------------------------------

GLOSSARY = ROOT / "rules" / "zh-CN" / "GLOSSARY.md"
CORE_TERMS = ("竞态条件", "哨兵值", "目标函数", "入口保护", "僵尸进程", "孤儿进程", "守护进程")
CORE_TERMS += ("序列化", "启动方式")


def glossary() -> dict[str, list[str]]:
    """term -> the variants the glossary tells writers not to use."""
    terms: dict[str, list[str]] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != 4 or cells[0] in ("术语", "---"):
            continue
        terms[cells[0]] = [variant for variant in cells[2].split("、") if variant]
    return terms


def chinese_texts() -> dict[str, str]:
    """Every Chinese text mplint shows: zh pages, zh guides, and each string literal with
    Chinese in it under mplint/ (message templates, their fragments, summaries)."""
    import ast

    texts = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for folder in ("rules/zh-CN", "rules/guides/zh-CN")
        for path in sorted((ROOT / folder).glob("*.md"))
        if path != GLOSSARY
    }
    for path in sorted((ROOT / "mplint").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if any("\u4e00" <= ch <= "\u9fff" for ch in node.value):
                    texts[f"{path.relative_to(ROOT)}:{node.lineno}"] = node.value
    return texts


def test_glossary_names_every_core_term_with_its_english() -> None:
    terms = glossary()
    for term in CORE_TERMS:
        assert term in terms, f"{term} is missing from {GLOSSARY.name}"
    text = GLOSSARY.read_text(encoding="utf-8")
    assert "race condition" in text and "sentinel" in text and "main guard" in text
    assert "竞争问题" in terms["竞态条件"] and "main 保护" in terms["入口保护"]


def test_chinese_texts_use_the_glossary_terms() -> None:
    texts = chinese_texts()
    assert len(texts) > 100  # pages, guides and message strings were all found
    wrong = [
        f"{where}: {variant!r} (write {term})"
        for term, variants in glossary().items()
        for variant in variants
        for where, text in texts.items()
        if variant in text
    ]
    assert not wrong, "\n".join(wrong)


def test_core_terms_are_taught_somewhere() -> None:
    pages = "".join(t for where, t in chinese_texts().items() if where.endswith(".md"))
    for term in CORE_TERMS:
        assert term in pages, term


# -- Guides: seed topics with no rule -------------------------------------------------------

GUIDES = ("ctrl-c", "orphans", "join-timeout", "spawn-reimports", "fork-duplicated-output")
LINK = re.compile(r"\]\(([^)\s]+\.md)\)")


def test_the_guides_are_the_ones_shipped() -> None:
    assert guide_names() == sorted(GUIDES)


@pytest.mark.parametrize("name", GUIDES)
@pytest.mark.parametrize("folder", ["rules/guides", "rules/guides/zh-CN"])
def test_guide_exists_with_a_runnable_snippet_and_working_links(name: str, folder: str) -> None:
    path = ROOT / folder / f"{name}.md"
    assert path.is_file(), f"{path} is missing"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ")
    snippets = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert any('if __name__ == "__main__":' in s or "os.fork()" in s for s in snippets)
    for snippet in snippets:
        compile(snippet, str(path), "exec")
    links = LINK.findall(text)
    assert links, "a guide names the rules it belongs with"
    for link in links:
        assert (path.parent / link).resolve().is_file(), link
    if folder.endswith("zh-CN"):
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        assert sum(1 for ch in prose if "\u4e00" <= ch <= "\u9fff") > 200
        for snippet in snippets:
            comments = re.findall(r"#\s*(.+)$", snippet, flags=re.MULTILINE)
            for comment in comments:
                assert any("\u4e00" <= ch <= "\u9fff" for ch in comment), comment


@pytest.mark.parametrize("name", GUIDES)
def test_guide_is_linked_from_a_rule_page_in_both_languages(name: str) -> None:
    english = [
        code
        for code in CODES
        if f"(guides/{name}.md)" in (ROOT / "rules" / f"{code}.md").read_text(encoding="utf-8")
    ]
    chinese = [
        code
        for code in CODES
        if f"(../guides/zh-CN/{name}.md)"
        in (ROOT / "rules" / "zh-CN" / f"{code}.md").read_text(encoding="utf-8")
    ]
    assert english, f"no English rule page links to the guide {name}"
    assert english == chinese


@pytest.mark.parametrize("name", GUIDES)
def test_explain_shows_a_guide(name: str) -> None:
    english = run_mplint("explain", f"guide:{name}", "--lang", "en")
    assert english.returncode == 0, english.stderr
    assert english.stdout.splitlines()[0] == render_inline(guide_text(name).splitlines()[0][2:])
    chinese = run_mplint("explain", name, "--lang", "zh-CN")
    assert chinese.returncode == 0, chinese.stderr
    title = guide_text(name, "zh-CN").splitlines()[0][2:]
    assert chinese.stdout.splitlines()[0] == render_inline(title)


# A comment that is only a rule code, a printed value or an error text quoted from Python
# stays as it is; any other comment in a Chinese page's code is written in Chinese.
UNTRANSLATED_COMMENT = re.compile(
    r"(MP\d{3}[:：]?\s*)?([\[\]\d, .]*|[\w.]*(Error|Exception|Warning)\b.*|MP\d{3})"
)


@pytest.mark.parametrize("code", CODES)
def test_chinese_page_code_comments_are_chinese(code: str) -> None:
    text = (ROOT / "rules" / "zh-CN" / f"{code}.md").read_text(encoding="utf-8")
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
        for comment in re.findall(r"#\s*(.*)$", block, flags=re.MULTILINE):
            chinese = any("\u4e00" <= ch <= "\u9fff" for ch in comment)
            assert chinese or UNTRANSLATED_COMMENT.fullmatch(comment), comment
