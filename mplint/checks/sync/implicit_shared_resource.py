"""MP406 implicit-shared-resource: module-level lock/queue/value used by a child without passing it.

Page: rules/MP406.md (zh-CN: rules/zh-CN/MP406.md) · Fixtures: fixtures/MP406/
· Example: examples/MP406-implicit-shared-resource/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.sync.primitive_calls import KIND_NAMES, rebound_by_global
from mplint.facts import Facts
from mplint.names import kind_of_constructor
from mplint.semantic.kinds import Kind

SHARED_AT_MODULE_LEVEL = frozenset(
    {
        Kind.LOCK,
        Kind.SEMAPHORE,
        Kind.CONDITION,
        Kind.EVENT,
        Kind.BARRIER,
        Kind.QUEUE,
        Kind.VALUE,
        Kind.ARRAY,
        Kind.RAW_VALUE,
        Kind.RAW_ARRAY,
    }
)


messages(
    {
        "MP406": Message(
            en="`{name}`, a multiprocessing {what}, is made at module level and used here in a "
            "child process without being passed to it: under spawn/forkserver each child re-imports the "
            "module and gets its own fresh copy, so nothing is shared. Create it under the "
            "main guard and pass it as an argument (or through a pool initializer).",
            zh="`{name}` 是在模块顶层创建的 {what}，子进程在这里直接使用它，而没有通过参数传入："
            "在 spawn/forkserver 下每个子进程都会重新导入模块，得到一个全新的副本，什么也没有"
            "共享。请在 `if __name__ == '__main__':` 入口保护下创建它，并作为参数（或通过进程池的 `initializer=`）传给子进程。",
        ),
    }
)


@check("MP406")
def implicit_shared_resource(facts: Facts) -> Iterator[Finding]:
    if not facts.may_spawn():
        return
    reach = facts.child_reachable
    if not reach:
        return
    for name, binding, value in facts.module_names_made_once():
        if not facts.runs_at_import(binding.node) or not facts.may_spawn(value.func):
            continue
        kind = kind_of_constructor(facts.resolve(value.func))
        if kind not in SHARED_AT_MODULE_LEVEL or rebound_by_global(facts, name):
            continue
        reported: set[cst.FunctionDef] = set()
        for load in flow.loads_of(facts, name, binding.scope):
            function = facts.function_of(load)
            if function is None or function not in reach or function in reported:
                continue
            reported.add(function)
            yield Finding("MP406", load, {"name": name, "what": KIND_NAMES[kind]})
