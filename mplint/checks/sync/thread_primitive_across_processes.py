"""MP403 thread-primitive-across-processes: threading/queue object given to a process.

Page: rules/MP403.md (zh-CN: rules/zh-CN/MP403.md) · Fixtures: fixtures/MP403/
· Example: examples/MP403-thread-primitive-across-processes/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.sync.primitive_calls import (
    THREAD_PRIMITIVES,
    method_name,
    rebound_by_global,
    receiver_of,
)
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import POOL_KINDS, Facts
from mplint.names import kind_of_constructor
from mplint.semantic.api import METHOD_NAMES, method_api, sent_arguments, starmap_tuples
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP403": Message(
            en="`{name}` is a {what}, made for threads, and {how}: {outcome} Use "
            "`multiprocessing.{replacement}` instead.",
            zh="`{name}` 是只用于线程的 {what}，却{how}：{outcome}请改用 "
            "`multiprocessing.{replacement}`。",
        ),
    }
)


_THREAD_NAMES = {
    Kind.THREAD_LOCK: ("`threading.Lock`", "Lock"),
    Kind.THREAD_SEMAPHORE: ("`threading.Semaphore`", "Semaphore"),
    Kind.THREAD_CONDITION: ("`threading.Condition`", "Condition"),
    Kind.THREAD_EVENT: ("`threading.Event`", "Event"),
    Kind.THREAD_QUEUE: ("`queue.Queue`", "Queue"),
    Kind.THREAD_BARRIER: ("`threading.Barrier`", "Barrier"),
}


def _sent_elements(facts: Facts, call: cst.Call) -> Iterator[tuple[cst.BaseExpression, str]]:
    """Arguments a call hands to a function run in a child process: (element, how).
    Through ``args``/``kwargs``/``initargs`` literals, the rest of ``submit``, the
    tuples of ``starmap`` and the bound arguments of a ``functools.partial`` task."""
    kind = facts.kind_of_call(call)
    if kind == Kind.PROCESS or kind in POOL_KINDS:
        api = facts.api_of(call)
        how = "process" if kind == Kind.PROCESS else "pool"
    else:
        receiver = receiver_of(call)
        method = method_name(call)
        if receiver is None or method not in METHOD_NAMES:
            return
        receiver_kind = facts.kind_through_parameters(receiver)
        if receiver_kind not in POOL_KINDS:
            return
        api = method_api(receiver_kind, method)
        how = "pool"
    if api is None:
        return
    task = api.argument(call, api.task) if api.task is not None else None
    if task is not None and not task.star:
        for value in facts.partial_arguments(task.value):
            yield value, how
    tuples = starmap_tuples(api, call)
    if tuples is not None:
        for elements in tuples:
            yield from ((element, how) for element in elements)
        return
    for argument in sent_arguments(api, call):
        if api.rest_are_args:
            yield argument.value, how
            continue
        if api.items is not None or api.rest_are_items:
            continue
        literal = argument.value
        if isinstance(literal, cst.Tuple | cst.List):
            for element in literal.elements:
                if not isinstance(element, cst.StarredElement):
                    yield element.value, how
        elif isinstance(literal, cst.Dict):
            for item in literal.elements:
                if isinstance(item, cst.DictElement):
                    yield item.value, how


def _multiprocessing_queue_name(facts: Facts) -> str | None:
    """How this file can spell ``multiprocessing.Queue`` with its own imports."""
    bound = {name for _, name in facts.bindings}
    for local, qualname in facts.imports.items():
        if qualname == "multiprocessing.Queue" and local not in bound and "." not in local:
            return local
    for local, qualname in facts.imports.items():
        if qualname == "multiprocessing" and local not in bound:
            return f"{local}.Queue"
    return None


def _queue_fix(facts: Facts, node: cst.BaseExpression, fixed: set[int]) -> FixPlan | None:
    origins = facts.origins(node, through_parameters=True) or []
    if len(origins) != 1 or facts.resolve(origins[0].func) != "queue.Queue":
        return None
    creation = origins[0]
    spelling = _multiprocessing_queue_name(facts)
    if spelling is None or id(creation) in fixed:
        return None
    fixed.add(id(creation))
    return FixPlan(
        f"Use {spelling}() instead of queue.Queue()",
        Applicability.UNSAFE,
        (Replace(creation.func, spelling),),
    )


_HOW_403 = {
    "process": (
        Phrase("is passed to a child process", "被传给了子进程"),
        Phrase(
            "under fork each process gets its own copy and nothing is shared; under "
            "spawn/forkserver `start()` raises 'TypeError: cannot pickle '_thread.lock' object'.",
            "在 fork 下每个进程得到各自的副本，什么也没有共享；在 spawn/forkserver 下 `start()` "
            "会报 'TypeError: cannot pickle '_thread.lock' object'。",
        ),
    ),
    "pool": (
        Phrase("is passed to a pool or executor", "被传给了进程池或执行器"),
        Phrase(
            "pickling it fails with 'TypeError: cannot pickle '_thread.lock' object'.",
            "序列化时会报 'TypeError: cannot pickle '_thread.lock' object'。",
        ),
    ),
    "global": (
        Phrase(
            "is used both by the parent and by code that runs in a child process",
            "同时被父进程和在子进程中运行的代码使用",
        ),
        Phrase(
            "each process has its own copy (under spawn a fresh one), so nothing is shared.",
            "每个进程拿到的都是自己的副本（spawn 下是全新的对象），什么也没有共享。",
        ),
    ),
}


def _finding_403(
    facts: Facts, node: cst.BaseExpression, kind: Kind, how: str, fixed: set[int]
) -> Finding:
    what, replacement = _THREAD_NAMES[kind]
    how_phrase, outcome = _HOW_403[how]
    return Finding(
        "MP403",
        node,
        {
            "name": source_text(node),
            "what": what,
            "replacement": replacement,
            "how": how_phrase,
            "outcome": outcome,
        },
        fix=_queue_fix(facts, node, fixed) if kind == Kind.THREAD_QUEUE else None,
    )


@check("MP403")
def thread_primitive_across_processes(facts: Facts) -> Iterator[Finding]:
    fixed: set[int] = set()
    for call in facts.calls:
        for element, how in _sent_elements(facts, call):
            kind = facts.kind_through_parameters(element)
            if kind in THREAD_PRIMITIVES:
                yield _finding_403(facts, element, kind, how, fixed)
    # A threading primitive kept on a Process subclass: start() pickles the object with
    # its attributes under spawn/forkserver; under fork each side has its own copy.
    for attribute, kind in _thread_primitives_on_processes(facts):
        yield _finding_403(facts, attribute, kind, "process", fixed)
    # A module-level thread primitive read both in the parent and in a child's code.
    reach = facts.child_reachable
    if not reach:
        return
    for name, binding, value in facts.module_names_made_once():
        kind = kind_of_constructor(facts.resolve(value.func))
        if kind not in THREAD_PRIMITIVES or rebound_by_global(facts, name):
            continue
        loads = flow.loads_of(facts, name, binding.scope)
        in_child = [n for n in loads if facts.function_of(n) in reach]
        in_parent = [n for n in loads if facts.function_of(n) not in reach]
        if in_child and in_parent:
            yield _finding_403(facts, in_child[0], kind, "global", fixed)


def _thread_primitives_on_processes(
    facts: Facts,
) -> Iterator[tuple[cst.BaseExpression, Kind]]:
    """``self.lock = threading.Lock()`` in a method other than ``run`` of a Process
    subclass this file makes (and that does not define its own pickling)."""
    made = {
        id(base)
        for call in facts.calls
        if (cls := facts.local_class(call.func)) is not None
        for base in facts.class_chain(cls)
    }
    for cls in facts.process_subclasses.values():
        if id(cls) not in made or any(
            facts.method_of(cls, name) is not None
            for name in ("__getstate__", "__reduce__", "__reduce_ex__")
        ):
            continue
        for binding in facts.self_attribute_bindings:
            function = facts.function_of(binding.node)
            if function is None or facts.class_of(function) is not cls:
                continue
            if function.name.value == "run" or binding.target is None:
                continue
            kind = facts.kind_of(binding.value)
            if kind in THREAD_PRIMITIVES:
                yield binding.target, kind
