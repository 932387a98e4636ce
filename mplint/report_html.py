"""The classroom report as one self-contained HTML page.

Everything the page needs is inside it: the style sheet and the script
(``mplint/report_assets/``, shipped in the wheel) are inlined, the chart is inline SVG,
and a Content-Security-Policy forbids loading anything from anywhere, so opening the
page makes no network request. Every piece of text that comes from a student's files
(paths, code, messages) is HTML-escaped.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape
from importlib import resources
from pathlib import Path

from mplint import __version__
from mplint.catalog import RULES, examples_dir, page_path, page_text, rule_summary
from mplint.markdown_html import inline_html, markdown_html
from mplint.report import ClassReport, ExcerptLine, Finding, Repository

_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "mplint report",
        "summary": "{repositories}, {files}: {findings} of {rules}",
        "errors summary": ", {errors}",
        "generated": "Made by mplint {version} on {date}.",
        "filter": "Filter",
        "filter hint": "repository, file, code or words",
        "all rules": "all rules",
        "shown": "findings shown:",
        "chart": "Findings per rule",
        "chart note": "Across the class, most frequent first. A bar leads to the rule's page.",
        "in repositories": "{count} in {repositories} of {total}",
        "matrix": "Repositories and rules",
        "matrix note": "Click a column heading to sort.",
        "repository": "Repository",
        "files": "Files",
        "findings": "Findings",
        "errors": "Not linted",
        "class": "Whole class",
        "each finding": "Findings by repository",
        "clean": "No findings in {files}.",
        "what it means": "What it means",
        "read the page": "The rule's page, below",
        "example": "Runnable example",
        "run both": "run both",
        "rules": "The rules",
        "rules note": "Each rule that has findings: what it does, why it is a problem, what to write instead.",
        "no findings": "No findings: nothing to chart.",
        "file error": "could not be linted",
    },
    "zh-CN": {
        "title": "mplint 报告",
        "summary": (
            "{repositories} 个仓库，{files} 个 Python 文件：{rules} 条规则共 {findings} 处问题"
        ),
        "errors summary": "，{errors} 个文件无法检查",
        "generated": "由 mplint {version} 于 {date} 生成。",
        "filter": "筛选",
        "filter hint": "仓库、文件、代码或文字",
        "all rules": "全部规则",
        "shown": "显示的问题：",
        "chart": "每条规则的问题数",
        "chart note": "全班合计，最常见的在前。点击条形可查看规则说明。",
        "in repositories": "{count} 处，在 {total} 个仓库中的 {repositories} 个",
        "matrix": "仓库与规则",
        "matrix note": "点击列标题排序。",
        "repository": "仓库",
        "files": "文件",
        "findings": "问题",
        "errors": "无法检查",
        "class": "全班",
        "each finding": "各仓库的问题",
        "clean": "{files} 个 Python 文件里没有发现问题。",
        "what it means": "这是什么意思",
        "read the page": "下面的规则说明",
        "example": "可运行的示例",
        "run both": "运行两个程序",
        "rules": "规则说明",
        "rules note": "每条出现了问题的规则：它检查什么，为什么有问题，应该怎么写。",
        "no findings": "没有发现问题，没有图表可画。",
        "file error": "无法检查",
    },
}


_PLURALS = {
    "repository": "repositories",
    "file that could not be linted": "files that could not be linted",
}


def counted(number: int, noun: str, lang: str = "en") -> str:
    """``1 finding``, ``2 findings``; in Chinese the number alone (the sentence has the
    measure word and the noun)."""
    if lang == "zh-CN":
        return str(number)
    if number == 1:
        return f"1 {noun}"
    return f"{number} {_PLURALS.get(noun, noun + 's')}"


def _asset(name: str) -> str:
    return resources.files("mplint").joinpath("report_assets", name).read_text(encoding="utf-8")


def render(report: ClassReport, *, now: datetime | None = None) -> str:
    lang = report.lang if report.lang in WORDS else "en"
    words = WORDS[lang]
    counts = report.rule_counts
    codes = sorted(counts)
    findings = sum(counts.values())
    errors = sum(r.errors for r in report.repositories)
    summary = words["summary"].format(
        repositories=counted(len(report.repositories), "repository", lang),
        files=counted(report.files, "Python file", lang),
        findings=counted(findings, "finding", lang),
        rules=counted(len(codes), "rule", lang),
    )
    if errors:
        summary += words["errors summary"].format(
            errors=counted(errors, "file that could not be linted", lang)
        )
    date = (now or datetime.now()).strftime("%Y-%m-%d %H:%M")
    options = "".join(
        f'<option value="{code}">{code} {escape(RULES[code].name)}</option>' for code in codes
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(words['title'])}</title>",
        f"<style>\n{_asset('report.css')}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(words['title'])}</h1>",
        f'<p class="summary">{escape(summary)}</p>',
        f'<p class="generated">{escape(words["generated"].format(version=__version__, date=date))}</p>',
        "</header>",
        '<form class="controls" role="search" onsubmit="return false">',
        f'<label>{escape(words["filter"])} <input type="search" id="filter" '
        f'placeholder="{escape(words["filter hint"])}"></label>',
        f'<select id="rule-filter" aria-label="{escape(words["all rules"])}">'
        f'<option value="">{escape(words["all rules"])}</option>{options}</select>',
        f'<span class="shown">{escape(words["shown"])} <output id="shown-count">{findings + errors}</output></span>',
        "</form>",
        "<main>",
        _chart(report, words),
        _matrix(report, codes, words),
        _findings(report, words),
        _rule_pages(codes, lang, words),
        "</main>",
        f"<script>\n{_asset('report.js')}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# -- The chart: one bar per rule, most frequent first -------------------------------------

_LABEL_WIDTH = 330
_BAR_WIDTH = 400
_ROW_HEIGHT = 26


def _chart(report: ClassReport, words: dict[str, str]) -> str:
    counts = report.rule_counts
    heading = f'<section id="chart"><h2>{escape(words["chart"])}</h2>'
    if not counts:
        return f'{heading}<p class="empty">{escape(words["no findings"])}</p></section>'
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    most = rows[0][1]
    width = _LABEL_WIDTH + _BAR_WIDTH + 300
    height = _ROW_HEIGHT * len(rows) + 8
    total = len(report.repositories)
    lang = _lang(words)
    bars = []
    for index, (code, count) in enumerate(rows):
        y = 4 + index * _ROW_HEIGHT
        bar = max(2, round(_BAR_WIDTH * count / most))
        having = sum(1 for r in report.repositories if r.counts[code])
        note = words["in repositories"].format(
            count=counted(count, "finding", lang),
            repositories=having,
            total=counted(total, "repository", lang),
        )
        name = escape(RULES[code].name)
        bars.append(
            f'<a href="#rule-{code}"><g class="bar" data-code="{code}">'
            f"<title>{code} {name}: {escape(note)}</title>"
            f'<text class="label" x="0" y="{y + 17}">{code} {name}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{bar}" height="{_ROW_HEIGHT - 8}"></rect>'
            f'<text class="count" x="{_LABEL_WIDTH + bar + 8}" y="{y + 17}">{escape(note)}</text>'
            "</g></a>"
        )
    svg = (
        f'<svg class="chart" role="img" aria-label="{escape(words["chart"])}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        + "".join(bars)
        + "</svg>"
    )
    return f'{heading}<p class="note">{escape(words["chart note"])}</p>{svg}</section>'


# -- The table: repositories x rules -------------------------------------------------------


def _matrix(report: ClassReport, codes: list[str], words: dict[str, str]) -> str:
    with_errors = any(r.errors for r in report.repositories)
    head = [
        f'<th scope="col">{escape(words["repository"])}</th>',
        f'<th scope="col" class="num">{escape(words["files"])}</th>',
        f'<th scope="col" class="num">{escape(words["findings"])}</th>',
    ]
    if with_errors:
        head.append(f'<th scope="col" class="num">{escape(words["errors"])}</th>')
    head += [f'<th scope="col" class="num" title="{escape(RULES[c].name)}">{c}</th>' for c in codes]
    rows = []
    for index, repository in enumerate(report.repositories):
        counts = repository.counts
        cells = [
            f'<th scope="row"><a href="#repo-{index}">{escape(repository.name)}</a></th>',
            _number_cell(repository.files),
            _number_cell(sum(counts.values())),
        ]
        if with_errors:
            cells.append(_number_cell(repository.errors))
        cells += [_number_cell(counts[code], code) for code in codes]
        rows.append(
            f'<tr data-repo="{escape(repository.name)}" data-target="repo-{index}">'
            + "".join(cells)
            + "</tr>"
        )
    totals = report.rule_counts
    foot = [
        f'<th scope="row">{escape(words["class"])}</th>',
        _number_cell(report.files),
        _number_cell(sum(totals.values())),
    ]
    if with_errors:
        foot.append(_number_cell(sum(r.errors for r in report.repositories)))
    foot += [_number_cell(totals[code], code) for code in codes]
    return (
        f'<section id="matrix"><h2>{escape(words["matrix"])}</h2>'
        f'<p class="note no-print">{escape(words["matrix note"])}</p>'
        '<div class="scroll"><table class="sortable">'
        f"<thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f"<tfoot><tr>{''.join(foot)}</tr></tfoot>"
        "</table></div></section>"
    )


def _number_cell(value: int, code: str | None = None) -> str:
    shown = str(value) if value or code is None else ""
    level = "" if code is None or not value else ' class="hit"'
    return f'<td data-value="{value}"{level}>{shown}</td>'


# -- Each finding, by repository ------------------------------------------------------------


def _findings(report: ClassReport, words: dict[str, str]) -> str:
    sections = [f'<section id="findings"><h2>{escape(words["each finding"])}</h2>']
    for index, repository in enumerate(report.repositories):
        sections.append(_repository(index, repository, words))
    sections.append("</section>")
    return "\n".join(sections)


def _repository(index: int, repository: Repository, words: dict[str, str]) -> str:
    name = escape(repository.name)
    parts = [
        f'<section class="repository" id="repo-{index}" data-repo="{name}">',
        f"<h3>{name} <small>{escape(str(repository.path))}</small></h3>",
    ]
    if not repository.findings:
        parts.append(
            f'<p class="clean">{escape(words["clean"].format(files=counted(repository.files, "Python file", _lang(words))))}</p>'
        )
    for finding in repository.findings:
        parts.append(_finding(finding, repository.name, words))
    parts.append("</section>")
    return "\n".join(parts)


def _finding(finding: Finding, repository: str, words: dict[str, str]) -> str:
    where = f"{finding.path}:{finding.line}:{finding.column}" if finding.path else ""
    code = finding.code or ""
    if finding.code:
        title = (
            f'<a class="code" href="#rule-{code}">{code}</a> '
            f'<span class="name">{escape(finding.name)}</span>'
        )
    else:
        title = f'<span class="code error">{escape(words["file error"])}</span>'
    parts = [
        f'<article class="finding" data-code="{code}" data-repo="{escape(repository)}">',
        f'<p class="where"><code class="location">{escape(where)}</code> {title}</p>',
        f'<p class="message">{inline_html(finding.message, _no_link)}</p>',
    ]
    if finding.excerpt:
        parts.append(_excerpt(finding.excerpt))
    if finding.code:
        parts.append(
            f'<details class="meaning"><summary>{escape(words["what it means"])}</summary>'
            f"<p>{escape(rule_summary(code, _lang(words)))}. "
            f'<a href="#rule-{code}">{escape(words["read the page"])}</a>.</p>'
            f"{_example_paragraph(code, words)}</details>"
        )
    parts.append("</article>")
    return "".join(parts)


def _excerpt(lines: tuple[ExcerptLine, ...]) -> str:
    width = len(str(lines[-1].number))
    shown = []
    for line in lines:
        number = str(line.number).rjust(width)
        if line.span:
            start, stop = line.span
            text = (
                escape(line.text[:start])
                + f"<mark>{escape(line.text[start:stop])}</mark>"
                + escape(line.text[stop:])
            )
        else:
            text = escape(line.text)
        flag = ' class="flagged"' if line.flagged else ""
        shown.append(f'<span{flag}><span class="number">{number}</span> {text}</span>')
    # Each line is a block of its own (the flagged ones are shaded): no newline between.
    return f'<pre class="excerpt"><code>{"".join(shown)}</code></pre>'


def _no_link(target: str) -> None:
    return None


def _lang(words: dict[str, str]) -> str:
    return "zh-CN" if words is WORDS["zh-CN"] else "en"


# -- The rules' pages ------------------------------------------------------------------------


def _rule_pages(codes: list[str], lang: str, words: dict[str, str]) -> str:
    parts = [
        f'<section id="rules"><h2>{escape(words["rules"])}</h2>',
        f'<p class="note">{escape(words["rules note"])}</p>',
    ]
    shown = set(codes)
    for code in codes:
        text = page_text(code, lang) or ""
        text = re.sub(r"\A# [^\n]*\n", "", text)  # the summary line already names the rule
        base = page_path(code, lang).parent

        def resolve(target: str, base: Path = base) -> str | None:
            name = target.rsplit("/", 1)[-1]
            if re.fullmatch(r"MP\d{3}\.md", name) and name[:-3] in shown:
                return f"#rule-{name[:-3]}"
            if re.match(r"[a-z]+:", target):
                return target
            linked = base / target
            return linked.resolve().as_uri() if linked.exists() else None

        body = markdown_html(text, resolve, heading_offset=2)
        parts.append(
            f'<details class="rule" id="rule-{code}"><summary><span class="code">{code}</span> '
            f"{escape(RULES[code].name)}: {inline_html(rule_summary(code, lang), resolve)}</summary>"
            f'<div class="page">{body}{_example_paragraph(code, words)}</div></details>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def _example_paragraph(code: str, words: dict[str, str]) -> str:
    directories = sorted(examples_dir().glob(f"{code}-*"))
    if not directories:
        return ""
    links = " ".join(
        f'<a href="{(directories[0] / side).resolve().as_uri()}"><code>'
        f"{escape(str(directories[0] / side))}</code></a>"
        for side in ("broken.py", "fixed.py")
        if (directories[0] / side).is_file()
    )
    return (
        f'<p class="example">{escape(words["example"])}: {links}; {escape(words["run both"])}: '
        f"<code>mplint example {code} --run</code></p>"
    )
