"""`mplint report`: which folders are repositories, each repository's own settings, what
the page says and that it loads nothing and escapes everything (without a browser;
tests/test_report_browser.py opens it in one)."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from classroom import HOSTILE, example, make_class, mplint

from mplint.diagnostic import Diagnostic
from mplint.markdown_html import markdown_html
from mplint.report import excerpt, find_repositories, read_repository_list


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_class(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(klass: Path) -> str:
    completed = mplint("report", "class", "--output", "out/report.html", cwd=klass.parent)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == (
        "mplint: wrote out/report.html: 3 repositories, 6 Python files, 4 findings"
    )
    # The folder without a marker is named, not silently dropped.
    assert "notes: left out" in completed.stderr
    return (klass.parent / "out" / "report.html").read_text(encoding="utf-8")


def test_a_class_folder_holds_repositories_and_a_repository_is_one(klass: Path) -> None:
    names = lambda paths: [p.name for p in paths]  # noqa: E731
    found, left_out = find_repositories([klass])
    assert names(found) == ["alice", "bob", "carol"] and names(left_out) == ["notes"]
    (klass / "loose.py").write_text("x = 1\n")
    (klass / "empty").mkdir()  # no Python files: nothing to say
    try:
        assert names(find_repositories([klass])[1]) == ["loose.py", "notes"]
    finally:
        (klass / "loose.py").unlink()
        (klass / "empty").rmdir()
    # A repository named directly is one, whatever it holds; so is a plain folder.
    assert names(find_repositories([klass / "alice", klass / "notes"])[0]) == ["alice", "notes"]
    # Named twice (once through its class): one repository.
    assert names(find_repositories([klass, klass / "bob"])[0]) == ["alice", "bob", "carol"]


def test_repository_list_file(klass: Path, tmp_path: Path) -> None:
    listing = klass / "roster.txt"
    listing.write_text("# the class of 2026\nalice\n\n  bob  \n" + str(klass / "carol") + "\n")
    assert read_repository_list(listing) == [klass / "alice", klass / "bob", klass / "carol"]
    out = tmp_path / "r.html"
    completed = mplint("report", "--repos-from", str(listing), "-o", str(out), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "3 repositories" in completed.stdout
    missing = mplint("report", "--repos-from", str(tmp_path / "nope.txt"), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    listing.write_text("alice\ndave\n")
    unknown = mplint("report", "--repos-from", str(listing), cwd=tmp_path)
    assert unknown.returncode == 2 and "dave: no such file or directory" in unknown.stderr
    assert not (tmp_path / "report.html").exists()


def test_each_repository_uses_its_own_configuration(page: str) -> None:
    # alice's pyproject.toml ignores MP101; bob has the same file and gets it.
    alice = _section(page, "alice")
    bob = _section(page, "bob")
    assert "MP101" not in alice and 'data-code="MP107"' in alice
    assert 'data-code="MP101"' in bob and "start.py:13:1" in bob


def test_the_page_has_chart_table_findings_and_rule_pages(page: str) -> None:
    bars = re.findall(r'<g class="bar" data-code="(MP\d+)">', page)
    assert bars == ["MP107", "MP101"]  # most frequent first: 3 and 1
    assert "3 findings in 2 of 3 repositories" in page
    table = page[page.index('<section id="matrix">') : page.index('<section id="findings">')]
    row = re.search(r'<tr data-repo="alice".*?</tr>', table)
    assert row is not None
    assert re.findall(r'data-value="(\d+)"', row.group()) == [
        "3",
        "2",
        "0",
        "2",
    ]  # files, findings, MP101, MP107
    assert page.count('<article class="finding"') == 4
    assert "args.py:11:62" in page and "Write <code>args=(5,)</code>" in page
    for code in ("MP101", "MP107"):
        assert f'<details class="rule" id="rule-{code}">' in page
    assert "<h4>Why is this bad</h4>" in page
    assert re.search(r'href="file://[^"]*/MP107-args-not-a-tuple/broken\.py"', page)
    assert "mplint example MP107 --run" in page
    assert "No findings in 1 Python file." in page


def test_student_text_is_escaped(page: str) -> None:
    assert HOSTILE not in page
    assert escape(HOSTILE, quote=False) in page or escape(HOSTILE) in page
    assert page.count("<script") == 1  # the page's own
    assert page.count("<img") == 0


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


def test_nothing_is_loaded_from_anywhere(page: str) -> None:
    parsed = _Tags()
    parsed.feed(page)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"img", "link", "iframe", "object", "embed", "audio", "video", "base"}
    for tag, attributes in parsed.tags:
        assert not set(attributes) & {"src", "srcset", "poster", "background", "action"}, tag
        href = attributes.get("href")
        assert href is None or href.startswith(("#", "file://")), (tag, href)
    assert any(tag == "a" and a["href"].startswith("file://") for tag, a in parsed.tags)  # type: ignore[union-attr]
    assert parsed.style and "url(" not in parsed.style and "@import" not in parsed.style
    (policy,) = [a["content"] for t, a in parsed.tags if a.get("http-equiv")]
    assert policy is not None and policy.startswith("default-src 'none';")


def test_chinese(klass: Path) -> None:
    completed = mplint("report", "class", "-o", "zh.html", "--lang", "zh-CN", cwd=klass.parent)
    assert completed.returncode == 0, completed.stderr
    page = (klass.parent / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "每条规则的问题数" in page
    assert "args=(5)" in page and "不是元组" in page  # the finding's message
    assert "<h4>为什么有问题</h4>" in page  # the rule page, in Chinese


def test_an_unwritable_output_is_an_error(klass: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    completed = mplint("report", str(klass / "carol"), "-o", str(blocker / "r.html"), cwd=tmp_path)
    assert completed.returncode == 2 and "cannot write" in completed.stderr


def test_excerpt_marks_the_flagged_columns() -> None:
    lines = ["a = 1", "p = Process(target=f, args=(5))", "p.start()", "b = 2"]
    start = lines[1].index("(5)")
    diagnostic = Diagnostic("MP107", "args-not-a-tuple", "m", 2, start, 2, start + 3)
    shown = excerpt(lines, diagnostic)
    assert [(x.number, x.flagged) for x in shown] == [(1, False), (2, True), (3, False)]
    assert shown[1].span == (start, start + 3)
    assert excerpt(lines, Diagnostic("MP107", "n", "m", 9, 0, 9, 1)) == ()  # file changed since


def test_markdown_is_escaped_and_rendered() -> None:
    text = "# Title\n\n## Why\n\nUse `<b>` and **bold** [x](MP101.md).\n\n```python\nif a < b:\n    pass\n```\n\n- one\n  two\n- three\n"
    html = markdown_html(text, lambda target: "#rule-MP101")
    assert "<h3>Title</h3>" in html and "<h4>Why</h4>" in html
    assert "<code>&lt;b&gt;</code>" in html and "<strong>bold</strong>" in html
    assert '<a href="#rule-MP101">x</a>' in html
    assert "<pre><code>if a &lt; b:\n    pass</code></pre>" in html
    assert "<ul><li>one two</li><li>three</li></ul>" in html


def _section(page: str, repository: str) -> str:
    match = re.search(
        rf'<section class="repository" id="repo-\d+" data-repo="{repository}">.*?</section>',
        page,
        re.S,
    )
    assert match is not None, repository
    return match.group()


def test_one_process_or_many_make_the_same_page(klass: Path, page: str) -> None:
    completed = mplint("report", "class", "-o", "one.html", "-j", "1", cwd=klass.parent)
    assert completed.returncode == 0, completed.stderr
    alone = (klass.parent / "one.html").read_text(encoding="utf-8")
    made_at = re.compile(r'<p class="generated">.*?</p>')
    assert made_at.sub("", alone) == made_at.sub("", page)


def test_files_that_cannot_be_linted_are_shown(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "broken.py").write_text("import multiprocessing\ndef f(:\n")
    (tmp_path / "repo" / "binary.py").write_bytes(b"\xff\xfe\x00")
    completed = mplint("report", "repo", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.endswith(
        "2 Python files, 0 findings, 2 files that could not be linted\n"
    )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count('<span class="code error">could not be linted</span>') == 2
    assert '<th scope="col" class="num">Not linted</th>' in page
    assert "binary.py:1:1" in page and "broken.py:2:7" in page  # where Python puts it


def test_a_broken_configuration_costs_only_its_repository(klass: Path, tmp_path: Path) -> None:
    for name in ("good", "typo"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "args.py").write_text(example("MP107"), encoding="utf-8")
    (tmp_path / "good" / "pyproject.toml").write_text("")
    (tmp_path / "typo" / "pyproject.toml").write_text('[tool.mplint]\nstart-method = "frok"\n')
    completed = mplint("report", ".", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "2 repositories, 1 Python file, 1 finding, 1 file that could not be linted" in (
        completed.stdout
    )
    assert "typo/pyproject.toml: start-method must be one of" in completed.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "configuration error: " in page and "frok" in page
