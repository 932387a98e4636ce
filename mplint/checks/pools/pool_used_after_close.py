"""MP306 pool-used-after-close: task given to a pool or executor after close().

Page: rules/MP306.md (zh-CN: rules/zh-CN/MP306.md) · Fixtures: fixtures/MP306/
· Example: examples/MP306-pool-used-after-close/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.pools.loops import leaves_after_one_pass
from mplint.facts import POOL_TASK_METHODS, Facts, Scope

messages(
    {
        "MP306": Message(
            en="`{receiver}.{method}()` runs after {closer} shut the {what} down: it raises "
            "'{error}'. Give it all its work before closing it, or make a new one.",
            zh="`{receiver}.{method}()` 在{closer}关闭该{what}之后才执行：会报 "
            "`{error}`。请在关闭之前提交全部任务，或新建一个。",
        ),
    }
)

POOLS = frozenset({"pool", "thread-pool"})
EXECUTORS = frozenset({"executor", "thread-executor"})
CLOSERS = {"pool": ("close", "terminate"), "executor": ("shutdown",)}
ERRORS = {
    "pool": "ValueError: Pool not running",
    "executor": "RuntimeError: cannot schedule new futures after shutdown",
}
WHAT = {"pool": Phrase("pool", "进程池"), "executor": Phrase("executor", "执行器")}
_WITH_END = Phrase("the end of its `with` block", " `with` 块结束时")
_CLOSER = Phrase("`{method}()`", " `{method}()` ")
_CLOSER_IN_LOOP = Phrase("`{method}()` on the loop's previous pass", "循环上一轮的 `{method}()` ")


def _family(kind: str | None) -> str | None:
    if kind in POOLS:
        return "pool"
    if kind in EXECUTORS:
        return "executor"
    return None


def _only_binding(facts: Facts, name: cst.Name) -> tuple[Scope, cst.CSTNode] | None:
    """The scope and binding node of a name bound exactly once where it is used."""
    bindings = facts.visible_bindings(name)
    if len(bindings) != 1:
        return None
    return bindings[0].scope, bindings[0].node


def _shut_down_before(
    facts: Facts, receiver: cst.Name, use: cst.Call, family: str
) -> Phrase | None:
    """How the pool was surely shut down before ``use`` runs, or None."""
    found = _only_binding(facts, receiver)
    if found is None:
        return None
    scope, binding = found
    function = facts.function_of(use)
    if isinstance(binding, cst.WithItem):
        statement = facts.parent(binding)
        if (
            isinstance(statement, cst.With)
            and not flow.is_inside(facts, use, statement)
            and facts.function_of(statement) is function
            and flow.name_order(facts, receiver) > _last_name_order(facts, statement, receiver)
            and flow.dominates(facts, statement, use)
        ):
            return _WITH_END
        return None
    order = flow.name_order(facts, receiver)
    for earlier in flow.uses_of(facts, receiver.value, scope):
        if earlier.name not in CLOSERS[family] or earlier.action is not flow.Action.CALL:
            continue
        base = earlier.attribute.value
        if not isinstance(base, cst.Name) or flow.name_order(facts, base) >= order:
            continue
        closing = facts.parent(earlier.attribute)
        if not isinstance(closing, cst.Call) or facts.function_of(closing) is not function:
            continue
        if flow.dominates(facts, closing, use):
            return _CLOSER.format(method=earlier.name)
    for later in flow.uses_of(facts, receiver.value, scope):
        if later.name not in CLOSERS[family] or later.action is not flow.Action.CALL:
            continue
        closing = facts.parent(later.attribute)
        if isinstance(closing, cst.Call) and _closed_on_an_earlier_pass(
            facts, closing, use, binding
        ):
            return _CLOSER_IN_LOOP.format(method=later.name)
    return None


def _closed_on_an_earlier_pass(
    facts: Facts, closing: cst.Call, use: cst.Call, binding: cst.CSTNode
) -> bool:
    """``for batch in batches: pool.map(f, batch); pool.close()``: the loop body closes
    the pool that was made before the loop, so the second pass uses a closed pool."""
    loop = _enclosing_loop(facts, closing)
    if loop is None or _enclosing_loop(facts, use) is not loop:
        return False
    if flow.is_inside(facts, binding, loop) or leaves_after_one_pass(loop):
        return False
    if facts.function_of(closing) is not facts.function_of(use):
        return False
    return flow.unconditional_within(facts, closing, loop.body) and flow.unconditional_within(
        facts, use, loop.body
    )


def _enclosing_loop(facts: Facts, node: cst.CSTNode) -> cst.For | cst.While | None:
    """The innermost for/while loop of the node's function whose body holds the node."""
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return None
        if isinstance(ancestor, cst.For | cst.While):
            return ancestor if child is ancestor.body else None
        child = ancestor
    return None


def _last_name_order(facts: Facts, statement: cst.With, receiver: cst.Name) -> int:
    """The source position of the last use of the name inside the ``with`` statement."""
    last = -1
    for index, name in enumerate(facts.name_nodes.get(receiver.value, ())):
        if flow.is_inside(facts, name, statement):
            last = index
    return last


@check("MP306")
def pool_used_after_close(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in POOL_TASK_METHODS:
            continue
        receiver = func.value
        if not isinstance(receiver, cst.Name):
            continue
        family = _family(facts.kind_of(receiver))
        if family is None:
            continue
        closer = _shut_down_before(facts, receiver, call, family)
        if closer is None:
            continue
        yield Finding(
            "MP306",
            call,
            {
                "receiver": receiver.value,
                "method": func.attr.value,
                "closer": closer,
                "what": WHAT[family],
                "error": ERRORS[family],
            },
        )
