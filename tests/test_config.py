"""Configuration: [tool.mplint], flags, their precedence, and the flake8 options.

Precedence, lowest first: built-in defaults, the LANG/LC_ALL environment (language only),
[tool.mplint] of the nearest pyproject.toml, command-line flags. A flag replaces the key
of the same name; it is not merged with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from mplint.cli import main

# MP101 (spawn-only: unguarded start) on line 9 and MP107 (args=(5)) on line 8.
SOURCE = """\
import multiprocessing


def work(n):
    print(n)


worker = multiprocessing.Process(target=work, args=(5))
worker.start()
worker.join()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def write_pyproject(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text("[tool.mplint]\n" + body, encoding="utf-8")
    return path


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    """(code, filename) of each finding of `mplint check --format json ARGS`."""
    code = main(["check", "--format", "json", *args])
    out = capsys.readouterr().out
    items = json.loads(out) if out.strip() else []
    assert code == (1 if items else 0)
    return items


def codes(capsys: pytest.CaptureFixture[str], *args: str) -> set[str]:
    return {str(item["code"]) for item in findings(capsys, *args)}


def test_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert {"MP101", "MP107"} <= codes(capsys, "app.py")


def test_pyproject_then_flags(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, 'ignore = ["MP107"]\n')
    found = codes(capsys, "app.py")
    assert "MP101" in found and "MP107" not in found
    # The flag replaces the key: MP107 comes back, MP101 goes.
    found = codes(capsys, "--ignore", "MP101", "app.py")
    assert "MP107" in found and "MP101" not in found
    write_pyproject(project, 'select = ["MP2"]\n')
    assert "MP101" not in codes(capsys, "app.py")
    assert codes(capsys, "--select", "MP101", "app.py") == {"MP101"}


def test_start_method_pyproject_then_flag(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(project, 'start-method = "fork"\n')
    assert "MP101" not in codes(capsys, "app.py")  # MP101 matters under spawn only
    assert "MP101" in codes(capsys, "--start-method", "spawn", "app.py")


def test_language_environment_then_pyproject_then_flag(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def message() -> str:
        return str(findings(capsys, "--select", "MP101", *extra)[0]["message"])

    extra: tuple[str, ...] = ()
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "详见" in message()
    write_pyproject(project, 'lang = "en"\n')
    assert "See `mplint explain MP101`" in message()
    extra = ("--lang", "zh-CN")
    assert "详见" in message()


def test_more_specific_selector_wins(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(project, 'select = ["MP"]\nignore = ["MP1"]\nextend-select = ["MP107"]\n')
    found = codes(capsys, "app.py")
    assert "MP107" in found and "MP101" not in found


def test_opt_in_rules_need_their_family(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mplint.config import load_settings

    write_pyproject(project, 'select = ["MP"]\n')
    assert "MP901" not in load_settings(project).enabled
    for body in ('extend-select = ["MP9"]\n', 'select = ["ALL"]\n'):
        write_pyproject(project, body)
        assert "MP901" in load_settings(project).enabled


def test_per_file_ignores(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text(SOURCE, encoding="utf-8")
    write_pyproject(project, 'per-file-ignores = { "tests/*" = ["MP101"] }\n')
    found = {(Path(str(i["filename"])).as_posix(), str(i["code"])) for i in findings(capsys, ".")}
    assert ("app.py", "MP101") in found
    assert ("tests/test_app.py", "MP107") in found
    assert ("tests/test_app.py", "MP101") not in found


def test_exclude_skips_directories_not_named_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "generated").mkdir()
    (project / "generated" / "gen.py").write_text(SOURCE, encoding="utf-8")
    write_pyproject(project, 'exclude = ["generated/"]\nextend-exclude = ["app.py"]\n')
    assert findings(capsys, ".") == []
    # A file named on the command line is always linted.
    assert "MP101" in codes(capsys, "generated/gen.py")


def test_pyproject_is_found_upwards_from_the_first_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "src" / "pkg" / "app.py").write_text(SOURCE, encoding="utf-8")
    write_pyproject(project, 'ignore = ["MP1"]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert codes(capsys, str(project / "src" / "pkg" / "app.py")).isdisjoint({"MP101", "MP107"})


def test_explicit_config_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project / "conf"
    other.mkdir()
    config = write_pyproject(other, 'select = ["MP107"]\n')
    assert codes(capsys, "--config", str(config), "app.py") == {"MP107"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('selct = ["MP1"]\n', "unknown key(s) selct"),
        ('select = ["XX1"]\n', "select: 'XX1' matches no mplint code"),
        ('ignore = "MP1,MP999"\n', "ignore: 'MP999' matches no mplint code"),
        ("extend-select = 3\n", "extend-select must be a list of strings"),
        ('per-file-ignores = { "tests/*" = ["MP99"] }\n', "per-file-ignores 'tests/*'"),
        ('per-file-ignores = ["MP101"]\n', "per-file-ignores must be a table"),
        ('start-method = "frok"\n', "start-method must be one of auto, fork, spawn, forkserver"),
        ("lang = 1\n", "lang must be a string"),
        ('docs-url = "https://example.org/"\n', "docs-url must be a string containing {code}"),
        ("exclude = [1]\n", "exclude must be a list of strings"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_bad_configuration_exits_2_naming_file_and_key(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    path = write_pyproject(project, body)
    assert main(["check", "app.py"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"mplint: configuration error: {path}")
    assert expected in captured.err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--select", "MP1,XX"], "--select: 'XX' matches no mplint code"),
        (["--ignore", "MP0"], "--ignore: 'MP0' matches no mplint code"),
    ],
)
def test_bad_flags_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], flags: list[str], expected: str
) -> None:
    assert main(["check", *flags, "app.py"]) == 2
    assert expected in capsys.readouterr().err


def flake8(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "MP", *args, "app.py"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("config_name", ["setup.cfg", "tox.ini", ".flake8"])
def test_flake8_reads_its_options_from_config_files(tmp_path: Path, config_name: str) -> None:
    (tmp_path / "app.py").write_text(SOURCE, encoding="utf-8")
    plain = flake8(tmp_path)
    assert "MP101" in plain.stdout, plain.stdout + plain.stderr
    (tmp_path / config_name).write_text(
        "[flake8]\nmplint-start-method = fork\nmplint-lang = zh-CN\n", encoding="utf-8"
    )
    configured = flake8(tmp_path)
    assert "MP101" not in configured.stdout, configured.stdout + configured.stderr
    assert "MP107" in configured.stdout and "详见" in configured.stdout
    # The command line beats the configuration file.
    overridden = flake8(tmp_path, "--mplint-start-method", "spawn", "--mplint-lang", "en")
    assert "MP101" in overridden.stdout and "See `mplint explain" in overridden.stdout


def test_readme_documents_every_key_and_flag() -> None:
    """The README's "Configuration reference" names every [tool.mplint] key, every
    `mplint check` flag and the flake8 options: add a row there with each new one."""
    import argparse

    from mplint.cli import build_parser
    from mplint.config import KNOWN_KEYS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reference = readme.split("## Configuration reference", 1)[1]
    missing = [key for key in sorted(KNOWN_KEYS) if f"`{key}`" not in reference]
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for action in commands.choices["check"]._actions:
        missing += [
            option
            for option in action.option_strings
            if option.startswith("--") and option != "--help" and f"`{option}" not in reference
        ]
    missing += [o for o in ("--mplint-start-method", "--mplint-lang") if f"`{o}" not in reference]
    assert not missing, f"document these in README.md, Configuration reference: {missing}"


def test_force_exclude_applies_exclude_to_named_files(tmp_path: Path) -> None:
    """pre-commit names every file; the hooks pass --force-exclude so `exclude` still holds."""
    (tmp_path / "pyproject.toml").write_text('[tool.mplint]\nexclude = ["generated"]\n')
    generated = tmp_path / "generated"
    generated.mkdir()
    script = generated / "job.py"
    script.write_text(
        "import multiprocessing\n\n\ndef work():\n    pass\n\n\n"
        "multiprocessing.Process(target=work).start()\n"
    )
    named = subprocess.run(
        [sys.executable, "-m", "mplint", "check", "--no-cache", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert named.returncode == 1 and "MP101" in named.stdout
    forced = subprocess.run(
        [sys.executable, "-m", "mplint", "check", "--no-cache", "--force-exclude", str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert forced.returncode == 0, forced.stdout
    assert forced.stdout == ""
