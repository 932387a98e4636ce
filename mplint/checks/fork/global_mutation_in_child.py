"""MP110 global-mutation-in-child: child assigns a global the parent reads.

Page: rules/MP110.md (zh-CN: rules/zh-CN/MP110.md) · Fixtures: fixtures/MP110/
· Example: examples/MP110-global-mutation-in-child/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, bound_names
from mplint.flow import (
    reads_module_variable,
)
from mplint.semantic.kinds import Via
from mplint.semantic.syntax import OwnCodeVisitor

messages(
    {
        "MP110": Message(
            en="`{function}` runs in a child process and assigns the global `{name}`, which the "
            "parent reads: the child changes only its own copy (copy-on-write), so the parent "
            "never sees the change. Send the value back instead: return it from a pool or "
            "executor task, put it on a Queue, or use a shared Value.",
            zh="`{function}` 在子进程中运行并给全局变量 `{name}` 赋值，而父进程会读取它：子进程"
            "只改了自己的副本（读时共享、写时复制），父进程永远看不到这个改动。请改为把结果传回："
            "从进程池或执行器任务中返回、放进 Queue，或者使用共享的 Value。",
        ),
    }
)


class _GlobalStores(OwnCodeVisitor):
    """Assignments to some names in one function body (nested scopes left out)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.found: dict[str, cst.CSTNode] = {}

    def _store(self, target: cst.BaseExpression, statement: cst.CSTNode) -> None:
        for name in bound_names(target):
            if name in self.names:
                self.found.setdefault(name, statement)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._store(node.target, node)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target, node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target, node)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._store(node.name, node)


def _child_only_functions(facts: Facts, children: set[cst.FunctionDef]) -> set[cst.FunctionDef]:
    """Child functions, and the functions of this file called only from them."""
    callers: dict[cst.FunctionDef, set[cst.FunctionDef | None]] = {}
    for function, calls in facts.calls_by_function.items():
        for call in calls:
            callee = facts.function_for(call.func)
            if callee is not None:
                callers.setdefault(callee, set()).add(function)
    only = set(children)
    changed = True
    while changed:
        changed = False
        for callee, who in callers.items():
            if callee not in only and who and all(w in only for w in who):
                only.add(callee)
                changed = True
    return only


def _in_registered_callback(facts: Facts, node: cst.CSTNode) -> bool:
    """The node is in a decorated function that this file never names again: a route or
    signal handler registered with a framework. Which process runs it is not this
    file's main flow (a web server started in the child calls its routes there)."""
    function = facts.function_of(node)
    while function is not None:
        if function.decorators and len(facts.name_nodes.get(function.name.value, ())) <= 1:
            return True
        function = facts.function_of(function)
    return False


@check("MP110")
def global_mutation_in_child(facts: Facts) -> Iterator[Finding]:
    children = {
        use.function
        for use in facts.child_uses
        if use.via in (Via.PROCESS, Via.POOL, Via.EXECUTOR, Via.RUN)
    }
    if not children:
        return
    child_only = _child_only_functions(facts, children)
    called_directly = {
        facts.function_for(call.func)
        for call in facts.calls
        if facts.function_of(call) not in child_only and call not in facts.task_lambda_calls
    }
    for function in sorted(children, key=facts.functions.index):
        declared = facts.globals_declared.get(function)
        if not declared or function in called_directly:
            continue
        stores = _GlobalStores(set(declared))
        function.body.visit(stores)
        for name, statement in stores.found.items():
            if any(
                reads_module_variable(facts, node)
                and not any(a in child_only for a in facts.ancestors(node))
                and not _in_registered_callback(facts, node)
                for node in facts.name_nodes.get(name, ())
            ):
                cls = facts.class_of(function)
                label = function.name.value
                if cls is not None:
                    label = f"{cls.name.value}.{label}"
                yield Finding("MP110", statement, {"function": label, "name": name})
