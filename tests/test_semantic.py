"""The semantic model, asked directly (below the prefilter): names and values."""

from __future__ import annotations

import libcst as cst
import pytest

from mplint.checks import REGISTRY
from mplint.config import Settings
from mplint.engine import LintResult, run_checks, to_diagnostics
from mplint.facts import Facts

ALL_CODES = frozenset(code for registered in REGISTRY for code in registered.codes)

_BODY = """

def work(q):
    q.put(1)


def square(n):
    return n * n


queue = Queue()
pool = Pool(2)
print(pool.map(square, [1, 2]))
set_start_method("spawn")

if __name__ == "__main__":
    worker = Process(target=work, args=(queue,))
    worker.start()
"""


def _findings(source: str) -> list[tuple[int, str]]:
    facts = Facts(cst.parse_module(source))
    result = LintResult("<test>")
    findings = run_checks(facts, ALL_CODES, result)
    assert not result.internal_errors
    diagnostics = to_diagnostics(facts, source, findings, Settings())
    return sorted((d.line, d.code) for d in diagnostics)


def _module_spelling(module: str, alias: str) -> str:
    names = ("Process", "Queue", "Pool", "set_start_method")
    assigned = ", ".join(names)
    values = ", ".join(f"{alias}.{name}" for name in names)
    return f"import {module} as {alias}; {assigned} = {values}"


@pytest.mark.parametrize(
    "module", ["torch.multiprocessing", "multiprocessing", "multiprocess", "billiard"]
)
def test_from_import_resolves_like_the_module_import(module: str) -> None:
    imported = f"from {module} import Process, Queue, Pool, set_start_method"
    by_module = _findings(_module_spelling(module, "mp") + _BODY)
    by_names = _findings(imported + _BODY)
    assert by_names == by_module
    assert {"MP101", "MP102"} <= {code for _, code in by_names}


def test_context_object_resolves_like_the_module() -> None:
    head = 'import multiprocessing; ctx = multiprocessing.get_context("spawn")'
    names = ("Process", "Queue", "Pool")
    aliases = "; " + ", ".join(names) + " = " + ", ".join(f"ctx.{n}" for n in names)
    source = head + aliases + "; from multiprocessing import set_start_method" + _BODY
    found = {code for _, code in _findings(source)}
    assert "MP101" in found and len(found) >= 2


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("from torch.multiprocessing import Process as P\nx = P()", "process"),
        ("from torch.multiprocessing import Pool\nx = Pool()", "pool"),
        ("from torch import multiprocessing\nx = multiprocessing.Queue()", "queue"),
        ("from concurrent.futures import ProcessPoolExecutor as E\nx = E()", "executor"),
        ("from concurrent import futures\nx = futures.ProcessPoolExecutor()", "executor"),
        ("from multiprocessing.pool import ThreadPool\nx = ThreadPool()", "thread-pool"),
        ("from multiprocessing.dummy import Process\nx = Process()", "thread"),
        ("from multiprocessing import get_context\nx = get_context().Lock()", "lock"),
    ],
)
def test_kind_through_from_imports(spelling: str, kind: str) -> None:
    module = cst.parse_module(spelling)
    facts = Facts(module)
    statement = module.body[-1]
    assert isinstance(statement, cst.SimpleStatementLine)
    assign = statement.body[0]
    assert isinstance(assign, cst.Assign)
    assert facts.kind_of(assign.value) == kind


@pytest.mark.parametrize(
    ("source", "task", "sent"),
    [
        (
            "import multiprocessing as mp\nmp.Process(None, f, 'n', (a,), {'k': b})",
            "f",
            ["(a,)", "{'k': b}"],
        ),
        ("import multiprocessing as mp\nmp.Pool(2, f, (a,))", "f", ["(a,)"]),
        (
            "from concurrent.futures import ProcessPoolExecutor as E\nE(2, None, f, (a,))",
            "f",
            ["(a,)"],
        ),
        (
            "import multiprocessing as mp\np = mp.Pool()\np.apply_async(f, (a,), {'k': b})",
            "f",
            ["(a,)", "{'k': b}"],
        ),
        ("import multiprocessing as mp\np = mp.Pool()\np.starmap(f, [(a, b)])", "f", ["[(a, b)]"]),
        (
            "import concurrent.futures as cf\ne = cf.ProcessPoolExecutor()\ne.submit(f, a, k=b)",
            "f",
            ["a", "b"],
        ),
        (
            "import concurrent.futures as cf\ne = cf.ProcessPoolExecutor()\ne.map(f, xs, ys, timeout=3)",
            "f",
            ["xs", "ys"],
        ),
        ("import multiprocessing as mp\nq = mp.Queue()\nq.put(a, False)", None, ["a"]),
    ],
)
def test_api_table_reads_arguments_by_keyword_and_position(
    source: str, task: str | None, sent: list[str]
) -> None:
    module = cst.parse_module(source)
    facts = Facts(module)
    call = next(c for c in reversed(facts.calls) if facts.api_of(c) is not None)
    argument = facts.task_argument(call)
    render = module.code_for_node
    assert (render(argument.value) if argument is not None else None) == task
    assert [render(a.value) for a in facts.sent_arguments(call)] == sent


def test_starmap_tuples_are_call_sites() -> None:
    source = (
        "import multiprocessing as mp\n"
        "def work(lock, n):\n    pass\n"
        "lock = mp.Lock()\n"
        "pool = mp.Pool()\n"
        "pool.starmap(work, [(lock, 1), (lock, 2)])\n"
    )
    module = cst.parse_module(source)
    facts = Facts(module)
    work = facts.module_functions["work"]
    assert facts.parameter_kind(work.params.params[0]) == "lock"
    assert len(facts.call_sites[work]) == 2


def _facts(source: str) -> tuple[cst.Module, Facts]:
    module = cst.parse_module(source)
    return module, Facts(module)


def _receiver_kinds(source: str, method: str) -> list[str | None]:
    module, facts = _facts(source)
    return [
        facts.kind_of(call.func.value)
        for call in facts.calls
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == method
    ]


@pytest.mark.parametrize(
    "source",
    [
        # self.x: None in __init__, the real object in another method
        "import multiprocessing as mp\nclass R:\n    def __init__(self):\n        self.p = None\n"
        "    def go(self):\n        self.p = mp.Process()\n    def stop(self):\n        self.p.join()\n",
        # obj.x = ... from outside the class
        "import multiprocessing as mp\nclass H:\n    pass\nh = H()\nh.p = mp.Process()\nh.p.join()\n",
        # dict comprehension, .values()
        "import multiprocessing as mp\nd = {i: mp.Process() for i in range(2)}\n"
        "for p in d.values():\n    p.join()\n",
        # extend, enumerate
        "import multiprocessing as mp\nps = []\nps.extend(mp.Process() for _ in range(2))\n"
        "for i, p in enumerate(ps):\n    p.join()\n",
        # subscript store, items()
        "import multiprocessing as mp\nd = {}\nd['a'] = mp.Process()\nfor k, p in d.items():\n    p.join()\n",
        # subscript load, unpacking a list
        "import multiprocessing as mp\nps = [mp.Process(), mp.Process()]\nps[0].join()\na, b = ps\nb.join()\n",
        # comprehension variable
        "import multiprocessing as mp\nps = [mp.Process() for _ in range(2)]\n[p.join() for p in ps]\n",
        # return value of this file's function
        "import multiprocessing as mp\ndef make():\n    return mp.Process()\np = make()\np.join()\n",
        # zip(): each target part takes the elements of its own argument
        "import multiprocessing as mp\nps = [mp.Process() for _ in range(2)]\n"
        "for n, p in zip(range(2), ps):\n    p.join()\n",
        # a class attribute list (shared by every instance) filled from a method
        "import multiprocessing as mp\nclass R:\n    ps = []\n    def go(self):\n"
        "        self.ps.append(mp.Process())\n    def stop(self):\n"
        "        for p in self.ps:\n            p.join()\n",
        # a list of lists, walked a level down (also a dict of lists through items())
        "import multiprocessing as mp\ngroups = [[mp.Process() for _ in range(2)] for _ in range(2)]\n"
        "for g in groups:\n    for p in g:\n        p.join()\n",
        "import multiprocessing as mp\nby = {'a': [mp.Process()], 'b': [mp.Process()]}\n"
        "for k, g in by.items():\n    for p in g:\n        p.join()\n",
        # nonlocal: the nested function's store binds the outer function's name
        "import multiprocessing as mp\ndef main():\n    p = None\n    def make():\n"
        "        nonlocal p\n        p = mp.Process()\n    make()\n    p.join()\n",
        # self.x += [...] in one method fills the list another method walks
        "import multiprocessing as mp\nclass R:\n    def __init__(self):\n        self.ps = []\n"
        "    def go(self):\n        self.ps += [mp.Process()]\n"
        "    def stop(self):\n        for p in self.ps:\n            p.join()\n",
    ],
)
def test_values_are_followed_to_their_kind(source: str) -> None:
    kinds = _receiver_kinds(source, "join")
    assert kinds and all(kind == "process" for kind in kinds)


def test_origins_follow_self_attributes_and_containers() -> None:
    source = (
        "import multiprocessing as mp\n"
        "class R:\n"
        "    def __init__(self):\n        self.ps = []\n"
        "    def add(self):\n        self.ps.append(mp.Process())\n"
        "    def stop(self):\n        for p in self.ps:\n            p.join()\n"
    )
    module, facts = _facts(source)
    join = next(c for c in facts.calls if module.code_for_node(c) == "p.join()")
    assert isinstance(join.func, cst.Attribute)
    found = facts.origins(join.func.value)
    assert found is not None and [module.code_for_node(c) for c in found] == ["mp.Process()"]
    assert facts.origins(cst.parse_expression("unknown")) is None


def test_reach_follows_constructors_and_decorators() -> None:
    source = (
        "import multiprocessing as mp\n"
        "def deco(fn):\n    def wrapper(*a):\n        return fn(*a)\n    return wrapper\n"
        "@deco\ndef task(n):\n    helper()\n"
        "def helper():\n    pass\n"
        "class Service:\n    def __init__(self):\n        self.pool = mp.Pool()\n"
        "def main():\n    Service()\n"
    )
    module, facts = _facts(source)
    names = {f.name.value for f in facts.reachable_from([facts.module_functions["task"]])}
    assert {"task", "wrapper", "helper", "deco"} <= names
    starters = facts.functions_reaching(lambda call: facts.kind_of(call) == "pool")
    assert {f.name.value for f in starters} == {"__init__", "main"}


def test_subclass_fixpoint_is_shared() -> None:
    source = (
        "import threading, multiprocessing as mp\n"
        "class A(mp.Process):\n    pass\nclass B(A):\n    pass\n"
        "class T(threading.Thread):\n    pass\nclass U(T):\n    pass\n"
    )
    _, facts = _facts(source)
    assert set(facts.process_subclasses) == {"A", "B"}
    assert set(facts.subclasses_of("threading.Thread")) == {"T", "U"}


def test_methods_called_on_instances_are_followed() -> None:
    source = (
        "import multiprocessing as mp\n"
        "class Base:\n    def launch(self, q):\n        self.p = mp.Process(args=(q,))\n"
        "class Service(Base):\n    pass\n"
        "svc = Service()\nsvc.launch(mp.Queue())\n"
    )
    module, facts = _facts(source)
    call = facts.calls[-2]
    assert module.code_for_node(call) == "svc.launch(mp.Queue())"
    launch = facts.function_for(call.func)
    assert launch is not None and launch.name.value == "launch"
    param = launch.params.params[1]
    assert facts.parameter_kind(param) == "queue"


def test_literal_types_follow_names() -> None:
    from mplint.semantic.literals import literal_type

    source = (
        "settings = {'a': 1}\npath = 'x.csv'\nsteps = -3\nitems = [1]\n"
        "def f(arg):\n    return settings, path, steps, items, arg\n"
    )
    module, facts = _facts(source)
    returned = facts.returns[facts.module_functions["f"]][0]
    assert isinstance(returned, cst.Tuple)
    found = [literal_type(facts, element.value) for element in returned.elements]
    assert found == ["dict", "string", "number", None, None]
    assert literal_type(facts, cst.parse_expression("([1])")) is None  # a list, not a tuple


def test_lambda_task_runs_its_call_in_the_child() -> None:
    source = (
        "import multiprocessing as mp\n"
        "def work(q):\n    pass\n"
        "def main():\n    q = mp.Queue()\n    p = mp.Process(target=lambda: work(q))\n"
    )
    module, facts = _facts(source)
    work = facts.module_functions["work"]
    main = facts.module_functions["main"]
    assert work in facts.child_functions
    assert [use.via for use in facts.child_uses] == ["process"]
    assert work not in facts.reachable_from([main])  # the lambda's call runs in the child
    assert [module.code_for_node(c) for c in facts.task_lambda_calls] == ["work(q)"]


def test_augmented_assignment_fills_a_list() -> None:
    source = (
        "import multiprocessing as mp\n"
        "def main():\n    procs = []\n    procs += [mp.Process() for _ in range(2)]\n"
        "    procs += (mp.Pool(),)\n    for p in procs:\n        p.join()\n"
    )
    module, facts = _facts(source)
    join = next(c for c in facts.calls if module.code_for_node(c) == "p.join()")
    assert isinstance(join.func, cst.Attribute)
    found = facts.origins(join.func.value)
    assert found is not None
    assert sorted(module.code_for_node(c) for c in found) == ["mp.Pool()", "mp.Process()"]
    assert facts.kind_of(join.func.value) is None  # a process or a pool: unsure


def test_open_files_have_their_own_kind() -> None:
    source = (
        "import gzip\nclass J:\n    def __init__(self):\n        self.out = open('x', 'w')\n"
        "    def go(self):\n        self.out.write('a')\n"
        "files = [gzip.open('a.gz'), open('b')]\nfor f in files:\n    f.write('b')\n"
    )
    assert _receiver_kinds(source, "write") == ["open-file", "open-file"]


def test_a_list_passed_to_a_helper_gives_its_elements_kind() -> None:
    source = (
        "import multiprocessing as mp\ndef stop(ps):\n    for p in ps:\n        p.join()\n"
        "def main():\n    ps = [mp.Process() for _ in range(2)]\n    stop(ps)\n"
    )
    module, facts = _facts(source)
    join = next(c for c in facts.calls if module.code_for_node(c) == "p.join()")
    assert isinstance(join.func, cst.Attribute)
    assert facts.kind_of(join.func.value) is None  # not without the call sites
    assert facts.kind_through_parameters(join.func.value) == "process"
    found = facts.origins(join.func.value, through_parameters=True)
    assert found is not None and [module.code_for_node(c) for c in found] == ["mp.Process()"]
