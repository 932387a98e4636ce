"""The built distributions, installed for real: wheel and sdist pass `twine check`, and
mplint installed from the wheel into a fresh virtual environment works without this
checkout (rule pages and examples come from mplint/_data inside the wheel).

Slow (about a minute): the build backend and mplint's dependencies come from PyPI.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from filelock import FileLock

from mplint.catalog import RULES

pytestmark = pytest.mark.timeout(900)


def run(command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def ok(completed: subprocess.CompletedProcess[str], *codes: int) -> str:
    assert completed.returncode in (codes or (0,)), (
        f"{completed.args} exited {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
    )
    return completed.stdout


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every pytest-xdist worker of this run sees: the build and the install
    happen once, under a lock, whichever worker gets there first."""
    # Without xdist the base temp's parent outlives the run: key the directory by what is
    # packaged, so a build of other sources (another checkout, an older tree) is never reused.
    directory = tmp_path_factory.getbasetemp().parent / f"mplint-packaging-{_sources_key()}"
    directory.mkdir(exist_ok=True)
    return directory


def _sources_key() -> str:
    digest = hashlib.sha256(str(ROOT).encode())
    for folder in ("mplint", "rules", "examples"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
                )
    digest.update((ROOT / "pyproject.toml").read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def dist(shared: Path) -> Path:
    out = shared / "dist"
    with FileLock(str(out) + ".lock"):
        if not (out / "done").exists():
            shutil.rmtree(out, ignore_errors=True)
            build = [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), "."]
            ok(run(build, ROOT))
            (out / "done").touch()
    return out


@pytest.fixture(scope="session")
def wheel(dist: Path) -> Path:
    (path,) = dist.glob("mplint-*.whl")
    return path


@pytest.fixture(scope="session")
def venv(wheel: Path, shared: Path) -> Path:
    """A fresh virtual environment with mplint[flake8] installed from the wheel."""
    home = shared / "env"
    bin_dir = home / "bin"
    with FileLock(str(home) + ".lock"):
        if not (home / "done").exists():
            shutil.rmtree(home, ignore_errors=True)
            ok(run([sys.executable, "-m", "venv", str(home)], shared))
            install = [str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{wheel}[flake8]"]
            ok(run(install, shared))
            (home / "done").touch()
    return bin_dir


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Somewhere away from this checkout, with one broken file."""
    (directory,) = (ROOT / "examples").glob("MP101-*")
    (tmp_path / "app.py").write_text((directory / "broken.py").read_text(encoding="utf-8"))
    return tmp_path


def test_twine_check(dist: Path) -> None:
    files = sorted(str(p) for p in dist.glob("mplint-*"))
    assert any(f.endswith(".whl") for f in files) and any(f.endswith(".tar.gz") for f in files)
    out = ok(run([sys.executable, "-m", "twine", "check", "--strict", *files], dist))
    assert out.count("PASSED") == len(files)


def test_wheel_contains_the_rule_pages_and_examples(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for code in RULES:
        assert f"mplint/_data/rules/{code}.md" in names, code
        assert f"mplint/_data/rules/zh-CN/{code}.md" in names, code
    examples = {n.split("/")[3] for n in names if n.startswith("mplint/_data/examples/")}
    assert examples, "no examples in the wheel"
    for example in (ROOT / "examples").iterdir():
        if example.is_dir() and (example / "broken.py").is_file():
            assert example.name in examples, example.name
            for side in ("broken.py", "fixed.py", "example.toml"):
                assert f"mplint/_data/examples/{example.name}/{side}" in names
    assert "mplint/_data/rules/README.md" in names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)


def test_installed_mplint_uses_its_own_data(venv: Path, workdir: Path) -> None:
    script = "import mplint.catalog as c; print(c.rules_dir()); print(c.examples_dir())"
    rules, examples = ok(run([str(venv / "python"), "-c", script], workdir)).split()
    for path in (rules, examples):
        assert "site-packages" in path and str(ROOT) not in path


def test_installed_check(venv: Path, workdir: Path) -> None:
    out = ok(run([str(venv / "mplint"), "check", "app.py"], workdir), 1)
    assert out.startswith("app.py:13:1: MP101 ")
    sarif = ok(run([str(venv / "mplint"), "check", "--format", "sarif", "app.py"], workdir), 1)
    assert json.loads(sarif)["runs"][0]["results"][0]["ruleId"] == "MP101"


def test_installed_check_reads_notebooks(venv: Path, workdir: Path) -> None:
    shutil.copy(ROOT / "docs" / "notebooks" / "squares.ipynb", workdir)
    out = ok(run([str(venv / "mplint"), "check", "--format", "concise", "."], workdir), 1)
    assert "squares.ipynb:cell 5:2:11: MP113 task-defined-in-main" in out.splitlines()


def test_installed_explain_in_chinese(venv: Path, workdir: Path) -> None:
    out = ok(run([str(venv / "mplint"), "explain", "MP101", "--lang", "zh-CN"], workdir))
    assert "MP101" in out and any("\u4e00" <= ch <= "\u9fff" for ch in out)


def test_installed_example_runs(venv: Path, workdir: Path) -> None:
    out = ok(run([str(venv / "mplint"), "example", "MP111", "--run"], workdir, timeout=300))
    assert "MP111" in out and "as declared" in out


def test_installed_report(venv: Path, wheel: Path, workdir: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"mplint/report_assets/report.css", "mplint/report_assets/report.js"} <= names
    out = ok(run([str(venv / "mplint"), "report", ".", "-o", "r.html", "--lang", "zh-CN"], workdir))
    assert "1 repository, 1 Python file, 1 finding" in out
    page = (workdir / "r.html").read_text(encoding="utf-8")
    assert "@media print" in page and "applyFilter" in page  # the style sheet and script
    assert '<details class="rule" id="rule-MP101">' in page and "每条规则的问题数" in page
    example = re.search(r'href="(file://[^"]*/MP101-unguarded-process-start/broken\.py)"', page)
    assert example and "site-packages" in example.group(1) and str(ROOT) not in example.group(1)


def test_installed_flake8_plugin(venv: Path, workdir: Path) -> None:
    out = ok(run([str(venv / "flake8"), "--select", "MP", "app.py"], workdir), 1)
    assert "app.py:13:1: MP101 " in out


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode("utf-8")
    return f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body


def read_frames(data: bytes) -> list[dict[str, Any]]:
    messages = []
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        messages.append(json.loads(rest[:length]))
        data = rest[length:]
    return messages


def test_installed_language_server(venv: Path, workdir: Path) -> None:
    requests = b"".join(
        frame(m)
        for m in (
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": workdir.as_uri(), "capabilities": {}},
            },
            {"jsonrpc": "2.0", "method": "initialized", "params": {}},
            {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None},
            {"jsonrpc": "2.0", "method": "exit", "params": None},
        )
    )
    server = subprocess.Popen(
        [str(venv / "mplint"), "lsp"],
        cwd=workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        stdout, stderr = server.communicate(requests, timeout=60)
    finally:
        server.kill()
    replies = {m["id"]: m for m in read_frames(stdout) if "id" in m}
    assert "capabilities" in replies[1]["result"], stderr.decode(errors="replace")
    assert replies[1]["result"].get("serverInfo", {}).get("name", "mplint").startswith("mplint")
    assert replies[2] == {"jsonrpc": "2.0", "id": 2, "result": None}
    assert server.returncode == 0, stderr.decode(errors="replace")
