"""`mplint example CODE [--run] [--full]`: the real traceback, line numbers, both languages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mplint.example_runner import parse_tracebacks, traceback_excerpt

ROOT = Path(__file__).resolve().parent.parent


def mplint(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "-m", "mplint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def test_run_shows_the_line_the_traceback_names() -> None:
    completed = mplint("example", "MP102", "--run")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert out.count("as declared: yes") == 2
    assert 'MP102-start-method-misuse/broken.py", line 18, in <module>' in out
    assert 'multiprocessing.set_start_method("fork")' in out
    assert "RuntimeError: context has already been set" in out
    assert "spawn: child" in out  # the first call worked and its child ran


def test_full_shows_everything_the_excerpt_leaves_out() -> None:
    short = mplint("example", "MP103", "--run").stdout
    full = mplint("example", "MP103", "--run", "--full").stdout
    long_line = "attribute lookup <lambda> on __main__ failed"
    assert long_line in short and long_line in full
    assert 'MP103-unpicklable-callable/broken.py", line 7, in <module>' in short
    # The frames inside multiprocessing between the script and the error:
    assert 'pool.py", line' in full and 'pool.py", line' not in short
    assert "--full" in short


@pytest.mark.parametrize("how", ["flag", "pyproject", "environment"])
def test_example_speaks_chinese_from_every_source(how: str, tmp_path: Path) -> None:
    args = ["example", "MP107"]
    env: dict[str, str] = {}
    if how == "flag":
        args += ["--lang", "zh-CN"]
    elif how == "pyproject":
        (tmp_path / "pyproject.toml").write_text('[tool.mplint]\nlang = "zh-CN"\n', "utf-8")
    else:
        env["LANG"] = "zh_CN.UTF-8"
    completed = mplint(*args, cwd=tmp_path, **env)
    assert completed.returncode == 0, completed.stderr
    assert "启动方式：spawn" in completed.stdout
    assert "在任何子进程启动之前就抛出" in completed.stdout  # the Chinese description
    assert "mplint example MP107 --run" in completed.stdout


def test_run_table_in_chinese() -> None:
    completed = mplint("example", "MP107", "--run", "--lang", "zh-CN")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert out.count("符合声明：是") == 2
    assert "预期：" in out and "实际：" in out and "退出码 1" in out
    assert 'broken.py", line 11, in <module>' in out
    for english in ("expected", "happened", "as declared", "exited with code"):
        assert english not in out


CHAINED = """\
Process Process-1:
Traceback (most recent call last):
  File "/x/lib/multiprocessing/process.py", line 314, in _bootstrap
    self.run()
  File "/tmp/ex/broken.py", line 8, in record
    value = int(text)
            ^^^^^^^^^
ValueError: invalid literal for int() with base 10: 'ten'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/tmp/ex/broken.py", line 20, in <module>
    main()
  File "/tmp/ex/broken.py", line 12, in main
    helper()
  File "/x/lib/helper.py", line 3, in helper
    raise RuntimeError("second")
RuntimeError: second
"""


def test_tracebacks_are_parsed_with_their_frames_and_exception() -> None:
    first, second = parse_tracebacks(CHAINED)
    assert first.exception[0].startswith("ValueError: invalid literal")
    assert [(frame.path, frame.line) for frame in second.frames] == [
        ("/tmp/ex/broken.py", 20),
        ("/tmp/ex/broken.py", 12),
        ("/x/lib/helper.py", 3),
    ]
    assert second.last_frame_in("/tmp/ex/broken.py").line == 12
    assert second.exception == ("RuntimeError: second",)


def test_excerpt_keeps_the_script_frame_and_the_error() -> None:
    assert traceback_excerpt(CHAINED, "/tmp/ex/broken.py") == [
        "Traceback (most recent call last):",
        "  ...",
        '  File "/tmp/ex/broken.py", line 12, in main',
        "    helper()",
        "  ...",
        '  File "/x/lib/helper.py", line 3, in helper',
        '    raise RuntimeError("second")',
        "RuntimeError: second",
    ]
    wanted = traceback_excerpt(CHAINED, "/tmp/ex/broken.py", wanted="ValueError")
    assert wanted[-1].startswith("ValueError") and "line 8, in record" in wanted[2]
    assert traceback_excerpt("no traceback\nhere\n", "/tmp/ex/broken.py") == [
        "no traceback",
        "here",
    ]
