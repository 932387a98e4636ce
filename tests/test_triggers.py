"""The filters in front of the analysis (mplint.triggers) never turn away a finding."""

from __future__ import annotations

from pathlib import Path

import pytest

import mplint.engine
from mplint.catalog import RULES
from mplint.config import Settings
from mplint.engine import lint_source
from mplint.triggers import mentions_process_api, uses_process_api

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted(
    [*ROOT.glob("fixtures/*/*.py"), *ROOT.glob("examples/*/*.py")], key=lambda p: str(p)
)
ALL_CODES = list(RULES)


def findings(path: Path) -> list[tuple[str, int, int, str]]:
    result = lint_source(path.read_bytes(), str(path), Settings(), codes=ALL_CODES)
    found = [(d.code, d.line, d.column, d.message) for d in result.diagnostics]
    if result.error is not None:
        found.append(("error", result.error.line, result.error.column, result.error.message))
    return found


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_gate_two_loses_nothing(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and example, every rule on: the same findings with gate 2 as with
    every file that passes gate 1 analysed."""
    with_gate = findings(path)
    monkeypatch.setattr(mplint.engine, "uses_process_api", lambda text: True)
    assert findings(path) == with_gate


def test_every_file_with_an_expected_finding_passes_both_gates() -> None:
    turned_away = []
    for path in CORPUS:
        text = path.read_text(encoding="utf-8")
        if ("# error: MP" in text or path.name == "broken.py") and not (
            mentions_process_api(text) and uses_process_api(text)
        ):
            turned_away.append(path)
    assert not turned_away


USES = {
    "plain": "import multiprocessing\nmultiprocessing.Process(target=f).start()\n",
    "alias": "import multiprocessing as mp\np = mp.Pool(2)\n",
    "from": "from multiprocessing import Queue as Q\nq = Q()\n",
    "parenthesised": "from multiprocessing import (\n    cpu_count,  # n\n    Pool,\n)\nPool()\n",
    "continued": "from multiprocessing import cpu_count, \\\n    Process\nProcess()\n",
    "submodule": "import concurrent.futures\nconcurrent.futures.ProcessPoolExecutor()\n",
    "chain over lines": "import multiprocessing as mp\nctx = (mp\n  .get_context('spawn'))\n",
    "bare module": "import multiprocessing\nuse(multiprocessing)\n",
    "twin": "import torch.multiprocessing as tmp\ntmp.Process()\n",
    "torch": "from torch import multiprocessing\nmultiprocessing.Pool()\n",
    "from torch twin": "from torch.multiprocessing import Process, Queue\nProcess(target=f).start()\n",
    "fork": "import os\npid = os.fork()\n",
    "fork imported": "from os import fork as split\nimport multiprocessing\nsplit()\n",
    "pty": "import pty\npty.fork()\n",
    "thread object": "import threading\nfrom multiprocessing import cpu_count\nc = threading.Condition()\n",
    "star": "from multiprocessing import *\nprint(cpu_count())\n",
    "star os": "from os import *\nimport multiprocessing\nfork()\n",
    "import after if": "import os\nif True: import multiprocessing\nmultiprocessing.Process()\n",
    "import after semicolon": "import os; import multiprocessing as mp\nmp.cpu_count()\n",
    "inert then real": "import multiprocessing\nmultiprocessing.cpu_count()\nmultiprocessing.Lock()\n",
    "local import": "def f():\n    import multiprocessing as m\n    return m.Pipe()\n",
    "same name twice": (
        "from multiprocessing import Pool as P\nfrom concurrent.futures import Future as P\nP()\n"
    ),
    "syntax error": "import multiprocessing\nmultiprocessing.Process(\n",
    # A word ending in a prefix letter is code, and the string after it only a string.
    "word before a string": "import os\nxr'x'; os.fork()\n",
    "after a prefixed string": "import os\nrb'os.getpid()'; os.fork()\n",
    "name ending in the module's": "import os\nbios.fork(); os.fork()\n",
    # An import whose parenthesis never closes runs on over the next import statement.
    "unclosed import": "import os\nfrom os import (\nimport multiprocessing\nx = 1\n",
}

NO_USES = {
    "cpu_count": "import multiprocessing\nprint(multiprocessing.cpu_count())\n",
    "exceptions": (
        "from concurrent.futures import CancelledError, TimeoutError\n"
        "try:\n    pass\nexcept (CancelledError, TimeoutError):\n    pass\n"
    ),
    "only imported": "import multiprocessing\n",
    "docstring": '"""Uses multiprocessing.Process and os.fork()."""\nimport multiprocessing\n',
    "comment": "import os\n# after os.fork() only the calling thread survives\nos.getpid()\n",
    "string": "import os\ncode = 'pid = os.fork()'\n",
    "own fork": "def fork():\n    return 1\n\nfork()\n",
    "attribute of another object": (
        "from multiprocessing import cpu_count\nclass A:\n    Process = 1\nA().Process\n"
    ),
    "relative": "from . import context\nfrom .context import Process\n",
    "prefixed strings": "import os\nf'{os.fork()}'; Rb\"os.fork()\"; u'''os.fork()'''\n",
    "other name ending in the module's": "import os\nbios.fork()\nos.getpid()\n",
    "attribute named like the module": "import os\nself.os.fork()\n",
    "threads only": (
        "import threading, queue\nimport concurrent.futures\n"
        "q = queue.Queue()\nt = threading.Thread(target=q.get)\nt.start()\n"
        "with threading.Lock():\n    pass\n"
    ),
    "open file only": "import io\nimport multiprocessing\nio.open('x').read()\n",
}

# Every mistake of the rules, made with threads, their locks and queues, and an open file,
# and no process API: the rules flag these objects only beside a process, so gate 2
# turns such a file away (triggers.COMPANION_KINDS). Should a rule start to fire here,
# the test below fails and that kind must become a trigger again.
THREAD_MISTAKES = """\
import concurrent.futures  # gate 1 passes; nothing of it is used
import queue
import threading

results = []
counter = 0
lock = threading.Lock()
sem = threading.Semaphore(2)
ev = threading.Event()
bar = threading.Barrier(2)
q = queue.Queue()
log = open("log.txt", "w")


def work(n):
    global counter
    counter += 1
    results.append(n)
    lock.acquire()
    q.put(lambda: n)
    q.put(log)
    return n


class Worker(threading.Thread):
    def __init__(self, n):
        self.n = n

    def run(self):
        self.value = self.n * 2


def compute():
    return 1


t = threading.Thread(target=compute(), args=(1))
t.start()
t.daemon = True
t.start()
w = Worker(3)
w.run()
w.start()
print(w.value)
u = threading.Thread(target=lambda: work(1), args=(lock, q, ev, log))
u.join()
u.start()
if not q.empty():
    item = q.get_nowait()
if q.qsize() > 0:
    q.get()
ev.wait()
bar.wait()
sem.acquire()
lock.acquire(blocking=True)
timer = threading.Timer(1.0, work, args=(2))
timer.start()
for i in range(3):
    v = threading.Thread(target=work, args=(i,), daemon=True)
    v.start()
print(counter, results)
"""


def test_thread_mistakes_give_no_finding_so_gate_two_may_turn_them_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert mentions_process_api(THREAD_MISTAKES)
    assert not uses_process_api(THREAD_MISTAKES)
    monkeypatch.setattr(mplint.engine, "uses_process_api", lambda text: True)
    result = lint_source(THREAD_MISTAKES, "threads.py", Settings(), codes=ALL_CODES)
    assert result.parsed
    assert [(d.code, d.line) for d in result.diagnostics] == []


@pytest.mark.parametrize(
    ("made", "code"),
    [
        ("c = threading.Condition()\nwith c:\n    c.wait()\n", "MP407"),
        (
            "import concurrent.futures\n"
            "with concurrent.futures.ThreadPoolExecutor() as ex:\n    ex.submit(print, 1)\n",
            "MP301",
        ),
    ],
)
def test_thread_objects_rules_flag_on_their_own_still_pass(made: str, code: str) -> None:
    text = f"import threading\nimport multiprocessing\n{made}"
    assert uses_process_api(text)
    result = lint_source(text, "threads.py", Settings(), codes=ALL_CODES)
    assert code in {d.code for d in result.diagnostics}


@pytest.mark.parametrize("name", list(USES))
def test_uses(name: str) -> None:
    assert uses_process_api(USES[name])


@pytest.mark.parametrize("name", list(NO_USES))
def test_no_uses(name: str) -> None:
    assert not uses_process_api(NO_USES[name])


def test_a_file_turned_away_is_not_parsed() -> None:
    result = lint_source(NO_USES["cpu_count"], "x.py", Settings())
    assert not result.parsed and not result.diagnostics


def test_a_syntax_error_in_a_process_file_is_still_reported() -> None:
    result = lint_source(USES["syntax error"], "x.py", Settings())
    assert result.error is not None and "syntax error" in result.error.message


def test_a_syntax_error_in_a_file_turned_away_is_still_reported() -> None:
    result = lint_source("import multiprocessing\ndef broken(:\n", "x.py", Settings())
    assert result.error is not None and "syntax error" in result.error.message
