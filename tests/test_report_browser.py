"""The classroom report in a real browser: Debian's chromium, headless.

Chromium loads the page from file://, runs its script and prints the resulting DOM
(``--dump-dom``); its network log (``--log-net-log``) records every request. The page
must show the chart, the table and the findings, its script must have run, and it must
request nothing. Chromium itself asks Google for updates and accounts in the
background, so the requests are told apart by who made them: a page's requests carry
its network isolation key (``file://``), the browser's own do not. A control page that
does load an image proves that the log would show it. A second chromium, driven over
the DevTools protocol through a pipe (no extra package), clicks the table's headings,
types in the filter and follows a bar to its rule's page.

Chromium is a test dependency (`.ci/run` installs it): when it is missing these tests
fail, they do not skip.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from classroom import HOSTILE, make_class, mplint

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "chromium is not installed: the report's browser tests need it "
            "(Debian: apt-get install chromium; .ci/run installs it)",
            pytrace=False,
        )
    return found


class Page:
    """What chromium made of a page: the DOM after its scripts ran, and the requests
    the page itself made."""

    def __init__(self, url: str, work: Path) -> None:
        net_log = work / "net-log.json"
        with tempfile.TemporaryDirectory() as profile:
            completed = subprocess.run(
                [
                    chromium(),
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    f"--log-net-log={net_log}",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
        assert completed.returncode == 0, completed.stderr[-2000:]
        self.dom = completed.stdout
        self.elements = _elements(self.dom)
        self.requests = page_requests(net_log)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [
            attributes
            for name, attributes in self.elements
            if name == tag
            and all(attributes.get(k.replace("_", "-")) == v for k, v in wanted.items())
        ]


class DevTools:
    """Chromium driven over the DevTools protocol through a pipe (``--remote-debugging-pipe``:
    JSON messages separated by NUL bytes on file descriptors 3 and 4), to click and type in
    the page as a reader does."""

    def __init__(self, url: str) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        self._profile = tempfile.TemporaryDirectory()

        def descriptors_3_and_4() -> None:
            # Out of the way first: a pipe end may itself be descriptor 3 or 4.
            read_end = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(3, 4, to_browser, from_browser),
            preexec_fn=descriptors_3_and_4,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._last_id = 0
        self._session: str | None = None
        try:
            self._open(url)
        except BaseException:
            self.close()
            raise

    def _open(self, url: str) -> None:
        target = self.call("Target.createTarget", url=url)["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        # The new tab shows about:blank first: wait for this page's script to finish.
        ready = f"location.href === {json.dumps(url)} && document.documentElement?.dataset.ready"
        deadline = time.monotonic() + 30
        while self.evaluate(ready) != "yes":
            assert time.monotonic() < deadline, "the page's script never finished"
            time.sleep(0.05)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if self._session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self._session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        for reply in self._replies():
            if reply.get("id") == self._last_id:
                assert "error" not in reply, reply
                return reply["result"]
        raise AssertionError(f"chromium closed the pipe before answering {method}")

    def _replies(self) -> Iterator[dict[str, Any]]:
        while True:
            while b"\0" not in self._buffer:
                ready, _, _ = select.select([self._reader], [], [], 60)
                assert ready, "chromium did not answer within 60 s"
                chunk = os.read(self._reader, 1 << 16)
                if not chunk:
                    return
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            yield json.loads(raw)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self._process.wait(timeout=30)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait(timeout=30)
        os.close(self._writer)
        os.close(self._reader)
        self._profile.cleanup()


def page_requests(net_log: Path) -> list[str]:
    """The URLs of the requests a page (any page opened from file://) made."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        parameters = event.get("params") or {}
        if event["type"] != start_job or "url" not in parameters:
            continue
        if "file://" in parameters.get("network_isolation_key", "") and not parameters[
            "url"
        ].startswith("file:"):
            urls.append(parameters["url"])
    return urls


def _elements(dom: str) -> list[tuple[str, dict[str, str | None]]]:
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collect().feed(dom)
    return found


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    klass = make_class(tmp_path_factory.mktemp("browser"))
    output = klass.parent / "report.html"
    completed = mplint("report", str(klass), "-o", str(output), cwd=klass.parent)
    assert completed.returncode == 0, completed.stderr
    return output


@pytest.fixture(scope="module")
def page(report: Path) -> Page:
    return Page(report.as_uri(), report.parent)


@pytest.fixture(scope="module")
def filtered(report: Path, tmp_path_factory: pytest.TempPathFactory) -> Page:
    return Page(report.as_uri() + "?q=bob&rule=MP107", tmp_path_factory.mktemp("filtered"))


@pytest.fixture(scope="module")
def browser(report: Path) -> Iterator[DevTools]:
    driven = DevTools(report.as_uri())
    yield driven
    driven.close()


def test_the_script_ran(page: Page) -> None:
    assert page.find("html", data_ready="yes"), "the page's script did not finish"
    assert '<output id="shown-count">4</output>' in page.dom


def test_the_chart_renders(page: Page) -> None:
    bars = page.find("g", **{"class": "bar"})
    assert [bar["data-code"] for bar in bars] == ["MP107", "MP101"]
    assert len(page.find("rect")) == 2
    assert page.find("svg", **{"class": "chart"})


def test_the_table_renders_and_is_sortable(page: Page) -> None:
    rows = [row["data-repo"] for row in page.find("tr") if row.get("data-repo")]
    assert rows == ["alice", "bob", "carol"]
    headers = [a for tag, a in page.elements if tag == "th" and a.get("tabindex") == "0"]
    assert len(headers) == 5  # repository, files, findings, MP101, MP107: each sorts


def test_a_finding_renders_with_its_excerpt(page: Page) -> None:
    findings = page.find("article", **{"class": "finding"})
    assert len(findings) == 4 and not any("hidden" in f for f in findings)
    assert "args.py:11:62" in page.dom
    assert '<span class="flagged"><span class="number">11</span>' in page.dom
    # The student's markup is text on the page, never an element.
    assert len(page.find("script")) == 1 and not page.find("img")
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in page.dom
    assert "<title>mplint report</title>" in page.dom


def test_the_page_makes_no_network_request(page: Page, filtered: Page) -> None:
    assert "https://example.invalid" in HOSTILE  # what a careless page would fetch
    assert page.requests == [] and filtered.requests == []


def test_the_network_log_would_show_a_request(tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><title>control</title><img src="https://example.invalid/x.png">',
        encoding="utf-8",
    )
    loaded = Page(control.as_uri(), tmp_path)
    assert loaded.requests == ["https://example.invalid/x.png"]


def test_a_filter_from_the_address_hides_the_rest(filtered: Page) -> None:
    findings = filtered.find("article", **{"class": "finding"})
    shown = [f for f in findings if "hidden" not in f]
    assert [(f["data-repo"], f["data-code"]) for f in shown] == [("bob", "MP107")]
    assert '<output id="shown-count">1</output>' in filtered.dom
    visible_rows = [
        r["data-repo"] for r in filtered.find("tr") if r.get("data-repo") and "hidden" not in r
    ]
    assert visible_rows == ["bob"]
    dimmed = [g["data-code"] for g in filtered.find("g") if g.get("class") == "bar dim"]
    assert dimmed == ["MP101"]


ROWS = "Array.from(document.querySelectorAll('#matrix tbody tr')).map(r => r.dataset.repo)"


def click_heading(browser: DevTools, text: str) -> list[str]:
    browser.evaluate(
        "Array.from(document.querySelectorAll('#matrix thead th'))"
        f".find(th => th.textContent === {json.dumps(text)}).click()"
    )
    rows: list[str] = browser.evaluate(ROWS)
    return rows


def test_clicking_a_heading_sorts_the_table(browser: DevTools) -> None:
    assert browser.evaluate(ROWS) == ["alice", "bob", "carol"]
    assert click_heading(browser, "MP101") == ["bob", "alice", "carol"]  # most first
    assert click_heading(browser, "Repository") == ["alice", "bob", "carol"]
    assert click_heading(browser, "Repository") == ["carol", "bob", "alice"]
    assert click_heading(browser, "Files") == ["alice", "bob", "carol"]  # 3, 2, 1


def test_typing_in_the_filter_narrows_the_page(browser: DevTools) -> None:
    shown = (
        "[document.getElementById('shown-count').textContent,"
        " Array.from(document.querySelectorAll('.repository')).filter(s => !s.hidden)"
        ".map(s => s.dataset.repo)]"
    )
    browser.evaluate(
        "const box = document.getElementById('filter'); box.value = 'hostile';"
        " box.dispatchEvent(new Event('input'))"
    )
    assert browser.evaluate(shown) == ["1", ["alice"]]
    browser.evaluate(
        "document.getElementById('filter').value = '';"
        " const menu = document.getElementById('rule-filter'); menu.value = 'MP101';"
        " menu.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(shown) == ["1", ["bob"]]
    browser.evaluate(
        "const menu2 = document.getElementById('rule-filter'); menu2.value = '';"
        " menu2.dispatchEvent(new Event('change'))"
    )
    assert browser.evaluate(shown) == ["4", ["alice", "bob", "carol"]]


def test_a_bar_opens_its_rule_page(browser: DevTools) -> None:
    is_open = "document.getElementById('rule-MP107').open"
    assert browser.evaluate(is_open) is False
    browser.evaluate(
        "document.querySelector('.chart a[href=\"#rule-MP107\"]').dispatchEvent("
        "new MouseEvent('click', {bubbles: true}))"
    )
    deadline = time.monotonic() + 10
    while browser.evaluate(is_open) is not True:
        assert time.monotonic() < deadline, "the rule's page did not open"
        time.sleep(0.05)
