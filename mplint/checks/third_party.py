"""Third-party libraries that start processes or run code in daemonic workers, recognised
from the file's imports alone (nothing is imported), and the widened rules built on them.

Pages: rules/MP101.md, rules/MP103.md, rules/MP204.md, rules/MP305.md (and rules/zh-CN/).
Fixtures: fixtures/MP101/*_dataloader*.py and *_joblib*.py, fixtures/MP103/*_register*.py,
fixtures/MP204/*_celery*.py, fixtures/MP305/*_handler*.py.

- MP101 (``library_starts``, called by the MP101 check in start.py): iterating a torch
  ``DataLoader`` made with ``num_workers`` > 0, and calling
  ``joblib.Parallel(n_jobs=..., backend="multiprocessing")``, at import time. joblib's
  default loky backend starts its workers without re-importing the script: silent.
- MP103 (``unpicklable_callable`` here): ``BaseManager.register(..., callable=<lambda or
  nested function>)`` on a manager class that this file starts (``start()`` or ``with``);
  under spawn/forkserver ``start()`` pickles the registry.
- MP204 (``daemon_has_children`` here): a Celery task (``@app.task``, ``@shared_task``) that
  makes a process, pool, executor or manager; the prefork pool's workers are daemonic.
- MP305 (``pool_in_loop`` here): a pool or executor made inside a Flask, FastAPI or
  Django request handler: once per request.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Phrase, check
from mplint.checks.pickling_errors import pickling_error
from mplint.checks.start.callable_pickling import why_not_picklable
from mplint.facts import Facts, call_argument, string_value
from mplint.names import kind_of_constructor
from mplint.semantic.syntax import source_text


def _called(decorator: cst.Decorator) -> cst.BaseExpression:
    """``@app.task(bind=True)`` -> ``app.task``; ``@shared_task`` -> ``shared_task``."""
    node = decorator.decorator
    return node.func if isinstance(node, cst.Call) else node


def _made_by(facts: Facts, node: cst.BaseExpression, qualnames: frozenset[str]) -> bool:
    """``app`` where ``app = Flask(__name__)`` (one binding), for a constructor in
    ``qualnames``."""
    if not isinstance(node, cst.Name):
        return False
    value = facts.only_value(node)
    return isinstance(value, cst.Call) and facts.resolve(value.func) in qualnames


def _imported_from(facts: Facts, node: cst.BaseExpression, package: str) -> bool:
    """``app`` imported from a module of ``package`` or named after it (``proj.celery``)."""
    if not isinstance(node, cst.Name) or facts.visible_bindings(node):
        return False
    qualname = facts.imports.get(node.value)
    return qualname is not None and package in qualname.split(".")[:-1]


# -- Celery ----------------------------------------------------------------

CELERY_APPS = frozenset({"celery.Celery"})


def is_celery_task(facts: Facts, function: cst.FunctionDef) -> bool:
    """``@shared_task``, ``@app.task`` or ``@app.task(...)`` with ``app = Celery(...)`` or
    ``app`` imported from a celery module."""
    for decorator in function.decorators:
        target = _called(decorator)
        if facts.resolve(target) in ("celery.shared_task", "celery.task"):
            return True
        if isinstance(target, cst.Attribute) and target.attr.value == "task":
            owner = target.value
            if _made_by(facts, owner, CELERY_APPS) or _imported_from(facts, owner, "celery"):
                return True
    return False


# -- web request handlers ------------------------------------------------------

WEB_APPS = frozenset(
    {
        "flask.Flask",
        "flask.Blueprint",
        "fastapi.FastAPI",
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
    }
)
ROUTE_METHODS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route"}
)
DJANGO_VIEW_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


def _imports_package(facts: Facts, package: str) -> bool:
    return any(q == package or q.startswith(package + ".") for q in facts.imports.values())


def web_handler(facts: Facts, function: cst.FunctionDef) -> str | None:
    """What framework calls this function once per request: "Flask", "FastAPI",
    "Django", or None."""
    for decorator in function.decorators:
        target = _called(decorator)
        if not isinstance(target, cst.Attribute) or target.attr.value not in ROUTE_METHODS:
            continue
        owner = target.value
        if not isinstance(owner, cst.Name):
            continue
        value = facts.only_value(owner)
        if isinstance(value, cst.Call):
            qualname = facts.resolve(value.func) or ""
            if qualname in WEB_APPS:
                return "Flask" if qualname.startswith("flask.") else "FastAPI"
    if not _imports_package(facts, "django"):
        return None
    positional = [*function.params.posonly_params, *function.params.params]
    cls = facts.class_of(function)
    if cls is None:
        if positional and positional[0].name.value == "request":
            return "Django"
        return None
    if function.name.value not in DJANGO_VIEW_METHODS or len(positional) < 2:
        return None
    if positional[1].name.value != "request":
        return None
    for base in cls.bases:
        qualname = facts.resolve(base.value) or ""
        if qualname.startswith(("django.", "rest_framework.")):
            return "Django"
    return None


# -- MP101: libraries that start worker processes --------------------------------

DATALOADERS = frozenset({"torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"})
ITERATING_CALLS = frozenset({"iter", "list", "tuple", "next", "sorted", "sum"})


def _positive_int(facts: Facts, node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        value = int(node.value, 0)
        return value if value > 0 else None
    if isinstance(node, cst.Name):
        value_node = facts.only_value(node)
        return _positive_int(facts, value_node) if value_node is not None else None
    return None


def _spawning_context(facts: Facts, call: cst.Call, keyword: str) -> bool:
    """False when the library is told to fork (``multiprocessing_context="fork"``) or
    given a context the analysis cannot read."""
    argument = call_argument(call, keyword)
    if argument is None:
        return facts.may_spawn()
    method = string_value(argument.value)
    if method is None:
        method = facts.context_method(argument.value)
    return method in ("spawn", "forkserver")


def _dataloader_workers(facts: Facts, call: cst.Call) -> int | None:
    if facts.resolve(call.func) not in DATALOADERS:
        return None
    workers = call_argument(call, "num_workers", 5)
    if workers is None or workers.star:
        return None
    count = _positive_int(facts, workers.value)
    if count is None or not _spawning_context(facts, call, "multiprocessing_context"):
        return None
    return count


def _loader_of(facts: Facts, node: cst.BaseExpression) -> tuple[cst.Call, int] | None:
    """The DataLoader call a name or expression holds, with its worker count."""
    value: cst.BaseExpression | None = node
    if isinstance(node, cst.Name):
        value = facts.only_value(node)
    if not isinstance(value, cst.Call):
        return None
    count = _dataloader_workers(facts, value)
    return (value, count) if count is not None else None


def _iterated(facts: Facts, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The DataLoader expression that this iterable iterates: ``loader``,
    ``enumerate(loader)``, ``tqdm(loader)``."""
    if _loader_of(facts, node) is not None:
        return node
    if isinstance(node, cst.Call):
        for arg in node.args:
            if arg.keyword is None and not arg.star and _loader_of(facts, arg.value):
                return arg.value
    return None


_DATALOADER = Phrase(
    "Iterating `{loader}`, a `DataLoader` with `num_workers={count}` (it starts worker processes),",
    "遍历 `{loader}`（`num_workers={count}` 的 `DataLoader`，会启动工作进程）",
)
_JOBLIB = Phrase(
    '`joblib.Parallel(..., backend="multiprocessing")(...)` (it starts a pool of worker processes)',
    '`joblib.Parallel(..., backend="multiprocessing")(...)`（它会启动工作进程池）',
)


def _dataloader_iterations(facts: Facts) -> Iterator[tuple[cst.CSTNode, Phrase]]:
    seen: set[int] = set()
    for _site, iterable in _iteration_sites(facts):
        loader = _iterated(facts, iterable)
        if loader is None or id(loader) in seen:
            continue
        seen.add(id(loader))
        found = _loader_of(facts, loader)
        assert found is not None
        _, count = found
        yield loader, _DATALOADER.format(loader=source_text(loader), count=str(count))


def _iteration_sites(facts: Facts) -> Iterator[tuple[cst.CSTNode, cst.BaseExpression]]:
    """Every place an iterable is iterated: ``for``, comprehensions, ``iter(x)``,
    ``list(x)`` and the like."""
    for call in facts.calls:
        if isinstance(call.func, cst.Name) and call.func.value in ITERATING_CALLS:
            if facts.resolve(call.func) is None and call.args and call.args[0].keyword is None:
                yield call, call.args[0].value
    for node in facts.nodes:
        if isinstance(node, cst.For | cst.CompFor):
            yield node, node.iter


JOBLIB_PARALLEL = "joblib.Parallel"


def _joblib_parallel(facts: Facts, node: cst.BaseExpression) -> cst.Call | None:
    """``Parallel(n_jobs=..., backend="multiprocessing")`` that starts processes."""
    value: cst.BaseExpression | None = node
    if isinstance(node, cst.Name):
        value = facts.only_value(node)
    if not isinstance(value, cst.Call) or facts.resolve(value.func) != JOBLIB_PARALLEL:
        return None
    backend = call_argument(value, "backend", 1)
    if backend is None or string_value(backend.value) != "multiprocessing":
        return None
    jobs = call_argument(value, "n_jobs", 0)
    if jobs is None or jobs.star:
        return None
    if isinstance(jobs.value, cst.Integer) and int(jobs.value.value, 0) in (0, 1):
        return None
    if isinstance(jobs.value, cst.Name) and jobs.value.value == "None":
        return None
    return value if facts.may_spawn() else None


def _joblib_runs(facts: Facts) -> Iterator[tuple[cst.CSTNode, Phrase]]:
    for call in facts.calls:
        parallel = _joblib_parallel(facts, call.func)
        if parallel is not None:
            yield call, _JOBLIB


_LIBRARY_STARTER = Phrase(
    "`{function}()`, which starts worker processes through a library,",
    "会通过库启动工作进程的 `{function}()` ",
)


def _functions_reaching(facts: Facts, seeds: set[cst.FunctionDef]) -> set[cst.FunctionDef]:
    """The seed functions and the functions of this file that call them, transitively."""
    reaching = set(seeds)
    changed = True
    while changed:
        changed = False
        for function, calls in facts.calls_by_function.items():
            if function is None or function in reaching:
                continue
            if any(facts.function_for(call.func) in reaching for call in calls):
                reaching.add(function)
                changed = True
    return reaching


def library_starts(facts: Facts) -> list[tuple[cst.CSTNode, Phrase]]:
    """Library calls that start worker processes at import time (MP101): written at module
    level, or in a function of this file that module-level code calls."""
    if not (_imports_package(facts, "torch") or _imports_package(facts, "joblib")):
        return []
    found: list[tuple[cst.CSTNode, Phrase]] = []
    seeds: set[cst.FunctionDef] = set()
    for node, phrase in (*_dataloader_iterations(facts), *_joblib_runs(facts)):
        if facts.runs_at_import(node):
            found.append((node, phrase))
        else:
            function = facts.function_of(node)
            if function is not None:
                seeds.add(function)
    if seeds:
        reaching = _functions_reaching(facts, seeds)
        for call in facts.calls:
            function = facts.function_for(call.func)
            if function in reaching and facts.runs_at_import(call):
                found.append((call, _LIBRARY_STARTER.format(function=function.name.value)))
    return found


# -- MP103: BaseManager.register(callable=...) -------------------------------------

MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.BaseManager", "multiprocessing.managers.SyncManager"}
)


def _manager_class_name(facts: Facts, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name) and node.value in facts.manager_subclasses:
        return node.value
    qualname = facts.resolve(node)
    return qualname if qualname in MANAGER_CLASSES else None


def _started_classes(facts: Facts) -> set[str]:
    """Manager classes of which this file starts an instance: ``m.start()`` or
    ``with M() as m:`` (``__enter__`` starts it)."""
    started: set[str] = set()
    candidates: list[cst.BaseExpression] = []
    for call in facts.calls:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "start":
            candidates.append(func.value)
    for node in facts.nodes:
        if isinstance(node, cst.WithItem):
            candidates.append(node.item)
    for candidate in candidates:
        value: cst.BaseExpression | None = candidate
        if isinstance(candidate, cst.Name):
            value = facts.only_value(candidate)
        if isinstance(value, cst.Call) and facts.kind_of_call(value) == "manager":
            name = _manager_class_name(facts, value.func)
            if name is not None and facts.may_spawn(value.func):
                started.add(name)
    return started


_REGISTRY_PICKLED = Phrase(
    "under spawn/forkserver the manager's `start()`, which pickles its registry,",
    "在 spawn/forkserver 启动方式下管理器的 `start()`（它要序列化注册表）",
)


@check("MP103")
def unpicklable_callable(facts: Facts) -> Iterator[Finding]:
    """MP103's manager shape: ``register(..., callable=<lambda or nested function>)``."""
    started: set[str] | None = None
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "register":
            continue
        owner = _manager_class_name(facts, func.value)
        if owner is None:
            continue
        argument = call_argument(call, "callable", 1)
        if argument is None or argument.star:
            continue
        what = why_not_picklable(facts, argument.value)
        if what is None:
            continue
        if started is None:
            started = _started_classes(facts)
        if owner not in started:
            continue
        yield Finding(
            "MP103",
            argument.value,
            {
                "what": what,
                "when": _REGISTRY_PICKLED,
                "error": pickling_error(facts, argument.value),
            },
        )


# -- MP204: processes made inside a Celery task ---------------------------------------

_CHILD_MAKING_KINDS = frozenset({"process", "pool", "executor", "manager"})


_CELERY_WORKER = Phrase(
    "A Celery worker (daemonic in Celery's default prefork pool)",
    "`Celery` 的工作进程（在默认的 `prefork` 进程池中是守护进程）",
)


@check("MP204")
def daemon_has_children(facts: Facts) -> Iterator[Finding]:
    """MP204's Celery shape: a task of a daemonic Celery worker makes processes."""
    tasks = [f for f in facts.functions if f.decorators and is_celery_task(facts, f)]
    if not tasks:
        return
    makers = facts.functions_reaching(lambda c: facts.kind_of_call(c) in _CHILD_MAKING_KINDS)
    for task in tasks:
        for call in facts.calls_by_function.get(task, ()):
            kind = facts.kind_of_call(call)
            # A Process made and never used is never started.
            direct = kind in _CHILD_MAKING_KINDS and not (
                kind == "process" and facts.result_dropped(call)
            )
            if not direct and facts.function_for(call.func) not in makers:
                continue
            if not direct and facts.function_for(call.func) is None:
                continue
            yield Finding(
                "MP204",
                call,
                {"who": _CELERY_WORKER, "function": task.name.value},
            )
            break


# -- MP305: a pool per request -------------------------------------------------------


def _made_for_this_call(facts: Facts, call: cst.Call) -> bool:
    """The pool lives only for this call of the handler: a ``with`` item, a local name,
    or used right away. Kept in a global or an attribute, it is made once and reused."""
    parent = facts.parent(call)
    if isinstance(parent, cst.WithItem | cst.Expr):
        return True
    if isinstance(parent, cst.Attribute) and parent.value is call:
        return True  # Pool().map(...)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if not isinstance(target, cst.Name):
            return False
        function = facts.function_of(call)
        declared = facts.globals_declared.get(function, set()) if function else set()
        return target.value not in declared
    return False


@check("MP305")
def pool_in_loop(facts: Facts) -> Iterator[Finding]:
    """MP305's request shape: a pool made inside a web request handler, which runs once
    per request like a loop body runs once per iteration."""
    for call in facts.calls:
        kind = kind_of_constructor(facts.resolve(call.func))
        if kind not in ("pool", "executor"):
            continue
        function = facts.function_of(call)
        if function is None:
            continue
        framework = web_handler(facts, function)
        if framework is None or not _made_for_this_call(facts, call):
            continue
        if flow.in_loop_within(facts, call, function):
            continue  # pool_in_loop reports it
        what = "Pool" if kind == "pool" else "ProcessPoolExecutor"
        yield Finding(
            "MP305",
            call,
            {"what": what, "framework": framework, "handler": function.name.value},
            variant="handler",
        )
