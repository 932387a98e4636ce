"""Every error text a rule page quotes in a ``text`` block is what CPython prints, on each of
3.11, 3.12 and 3.13: the test runs a small program that makes the error under each
interpreter pyenv provides and looks for the quoted line in its output. Where one version
words it differently, the page must say so: a sentence naming that version (``3.13``) and
quoting what it prints instead. The guides' first snippets are run the same way."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT

VERSIONS = ("3.11", "3.12", "3.13")

# code -> programs that make the errors its page quotes (run as __main__, output collected).
PROBES: dict[str, list[str]] = {
    "MP101": [
        "import multiprocessing as mp\n\ndef work():\n    pass\n\n"
        "p = mp.get_context('spawn').Process(target=work)\np.start()\np.join()\n"
    ],
    "MP102": [
        "import multiprocessing as mp\nif __name__ == '__main__':\n"
        "    mp.set_start_method('spawn')\n    mp.set_start_method('fork')\n"
    ],
    "MP103": [
        "from concurrent.futures import ProcessPoolExecutor\nif __name__ == '__main__':\n"
        "    with ProcessPoolExecutor(1) as ex:\n        list(ex.map(lambda x: x, [1]))\n",
        "from concurrent.futures import ProcessPoolExecutor\n\ndef main():\n"
        "    def scale(x):\n        return x\n\n    with ProcessPoolExecutor(1) as ex:\n"
        "        list(ex.map(scale, [1]))\n\nif __name__ == '__main__':\n    main()\n",
    ],
    "MP104": [
        "import multiprocessing as mp\n\nclass Worker(mp.Process):\n    def __init__(self):\n"
        "        self.n = 1\n\nif __name__ == '__main__':\n    Worker().start()\n"
    ],
    "MP108": [
        "import os, threading, time\nif __name__ == '__main__':\n"
        "    threading.Thread(target=time.sleep, args=(1,)).start()\n    pid = os.fork()\n"
        "    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n"
    ],
    "MP111": [
        "import multiprocessing as mp\n\ndef work():\n    pass\n\nif __name__ == '__main__':\n"
        "    p = mp.Process(target=work)\n    p.start()\n    p.join()\n    p.start()\n"
    ],
    "MP203": [
        "import multiprocessing as mp\n\ndef work():\n    pass\n\nif __name__ == '__main__':\n"
        "    p = mp.Process(target=work)\n    p.start()\n    p.daemon = True\n"
    ],
    "MP204": [
        "import multiprocessing as mp\n\ndef leaf():\n    pass\n\ndef boss():\n"
        "    mp.Process(target=leaf).start()\n\nif __name__ == '__main__':\n"
        "    p = mp.Process(target=boss, daemon=True)\n    p.start()\n    p.join()\n"
    ],
    "MP302": [
        "import multiprocessing as mp\nif __name__ == '__main__':\n"
        "    pool = mp.Pool(1)\n    pool.join()\n"
    ],
    "MP409": [
        "import multiprocessing as mp\nimport queue\nif __name__ == '__main__':\n    try:\n"
        "        raise queue.Empty\n    except mp.Queue.Empty:\n        pass\n"
    ],
    "MP411": [
        "import multiprocessing as mp\nif __name__ == '__main__':\n    mp.Condition().notify()\n",
        "import multiprocessing as mp\nif __name__ == '__main__':\n"
        "    mp.Condition().wait(timeout=1)\n",
    ],
}
# Warnings that a version before this one does not have at all (the page says so).
SINCE = {"MP108": (3, 12)}


def interpreter(version: str) -> Path | None:
    matches = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python"))
    return matches[-1] if matches else None


@cache
def output(version: str, code: str) -> str:
    python = interpreter(version)
    assert python is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    texts = []
    with tempfile.TemporaryDirectory() as folder:
        for index, source in enumerate(PROBES[code]):
            script = Path(folder) / f"probe_{index}.py"  # a file: spawned children import it
            script.write_text(source, encoding="utf-8")
            completed = subprocess.run(
                [str(python), str(script)],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                cwd=folder,
            )
            texts.append(f"# probe {index}\n{completed.stdout}{completed.stderr}")
    return "\n".join(texts)


def quoted_lines(text: str) -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"```text\n(.*?)```", text, flags=re.DOTALL):
        lines += [line.strip() for line in block.splitlines() if line.strip()]
    return lines


def as_pattern(quote: str) -> re.Pattern[str]:
    """A quote as a pattern: '...' (and the 0x7f... of an address) stands for anything."""
    parts = [re.escape(part) for part in quote.replace("0x7f...", "...").split("...")]
    return re.compile(r".*?".join(parts))


def named_alternatives(page: str, version: str) -> list[str]:
    """Code spans in sentences of the page that name this version."""
    spans: list[str] = []
    for sentence in re.split(r"(?<=[.。])\s+|\n", page):
        if re.search(rf"\b{re.escape(version)}\b", sentence):
            spans += re.findall(r"`([^`]+)`", sentence)
    return spans


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("code", sorted(PROBES))
def test_page_quotes_what_python_prints(code: str, version: str) -> None:
    if interpreter(version) is None:
        pytest.skip(f"CPython {version} is not installed with pyenv on this machine")
    printed = output(version, code)
    if tuple(map(int, version.split("."))) < SINCE.get(code, (0, 0)):
        # Too old for the quoted warning: it must really be absent, and the page say so.
        for lang_page in (ROOT / "rules" / f"{code}.md", ROOT / "rules" / "zh-CN" / f"{code}.md"):
            page = lang_page.read_text(encoding="utf-8")
            assert not any(as_pattern(q).search(printed) for q in quoted_lines(page))
            assert re.search(rf"\b{re.escape(version)}\b", page), f"{lang_page} names no {version}"
        return
    for lang_page in (ROOT / "rules" / f"{code}.md", ROOT / "rules" / "zh-CN" / f"{code}.md"):
        page = lang_page.read_text(encoding="utf-8")
        quotes = quoted_lines(page)
        assert quotes, f"{lang_page.name} quotes nothing in a text block"
        for quote in quotes:
            if as_pattern(quote).search(printed):
                continue
            others = [s for s in named_alternatives(page, version) if as_pattern(s).search(printed)]
            assert others, f"{lang_page}: {version} does not print {quote!r}:\n{printed}"


# -- The guides' first snippet does what the guide says, on each version ------------------


def first_snippet(name: str) -> str:
    text = (ROOT / "rules" / "guides" / f"{name}.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)[0]


def run_snippet(version: str, source: str) -> str:
    python = interpreter(version)
    if python is None:
        pytest.fail(f"CPython {version} is not installed with pyenv on this machine")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "demo.py"
        script.write_text(source, encoding="utf-8")
        completed = subprocess.run(
            [str(python), str(script)], capture_output=True, text=True, env=env, timeout=60
        )
    return completed.stdout  # a pipe, as in `python demo.py | cat`


@pytest.mark.parametrize("version", VERSIONS)
def test_guides_show_what_they_claim(version: str) -> None:
    if interpreter(version) is None:
        pytest.skip(f"CPython {version} is not installed with pyenv on this machine")
    timed = run_snippet(version, first_snippet("join-timeout")).splitlines()
    assert timed == [
        "join(timeout=1) returned None; alive: True; exitcode: None",
        "join() returned; alive: False; exitcode: 0",
    ]
    reimported = run_snippet(version, first_snippet("spawn-reimports")).splitlines()
    assert [line.split(" in process")[0] for line in reimported] == [
        "loading the data set",
        "loading the data set",
        "working",
    ]
    assert reimported[1].split()[-1] == reimported[2].split()[-1]  # the child's own pid
    assert run_snippet(version, first_snippet("fork-duplicated-output")) == "before fork\n" * 2


def snippets(name: str) -> list[str]:
    text = (ROOT / "rules" / "guides" / f"{name}.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def press_ctrl_c(version: str, source: str) -> subprocess.CompletedProcess[str]:
    """Run a script in its own process group and send SIGINT to the whole group after
    1.5 s, as a terminal does on Ctrl+C."""
    import signal
    import time

    python = interpreter(version)
    assert python is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "demo.py"
        script.write_text(source, encoding="utf-8")
        process = subprocess.Popen(
            [str(python), str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        time.sleep(1.5)
        os.killpg(process.pid, signal.SIGINT)
        try:
            stdout, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("version", VERSIONS)
def test_ctrl_c_guide(version: str) -> None:
    if interpreter(version) is None:
        pytest.skip(f"CPython {version} is not installed with pyenv on this machine")
    broken, fixed = snippets("ctrl-c")
    interrupted = press_ctrl_c(version, broken)
    assert interrupted.returncode == -2 and interrupted.stdout == ""
    assert interrupted.stderr.count("Traceback") >= 2, interrupted.stderr  # parent and workers
    handled = press_ctrl_c(version, fixed)
    assert handled.returncode == 0, handled.stderr
    assert handled.stdout == "interrupted: stopping the workers\n"
    assert "Traceback" not in handled.stderr


@pytest.mark.parametrize("version", VERSIONS)
def test_orphans_guide(version: str) -> None:
    if interpreter(version) is None:
        pytest.skip(f"CPython {version} is not installed with pyenv on this machine")
    orphaned, watching = snippets("orphans")
    # The parent kills itself; the orphan keeps the pipe open until it finishes.
    assert ", parent pid now " in run_snippet(version, orphaned)
    main_block = orphaned[orphaned.index('if __name__ == "__main__":') :]
    stopped = run_snippet(version, f"import os\n{watching}\n\n{main_block}")
    assert stopped == "parent gone: stopping\n"
