"""MP305 pool-in-loop: pool or executor created inside a loop.

Page: rules/MP305.md (zh-CN: rules/zh-CN/MP305.md) · Fixtures: fixtures/MP305/
· Example: examples/MP305-pool-in-loop/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.pools.async_results import ASYNC_METHODS, bound_name
from mplint.facts import Facts
from mplint.names import kind_of_constructor
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import names_in

messages(
    {
        "MP305": {
            "": Message(
                en="A {what} is created inside this loop: its worker processes are started and "
                "torn down again on every iteration. Create it once before the loop and reuse it.",
                zh="在循环体内创建了 {what}：每次迭代都会重新启动并关闭它的工作进程。请在循环之前"
                "创建一次并重复使用。",
            ),
            "handler": Message(
                en="A {what} is created inside the {framework} request handler `{handler}`: its "
                "worker processes are started and torn down again for every request, and "
                "concurrent requests each start their own. Create it once when the application "
                "starts (or on first use) and reuse it.",
                zh="在 `{framework}` 请求处理函数 `{handler}` 里创建了 {what}：每个请求都会重新启动"
                "并关闭它的工作进程，并发的请求还会各自启动一套。请在应用启动时（或第一次使用时）"
                "创建一次并重复使用。",
            ),
        },
    }
)
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _leaves_after_first_pass(block: cst.BaseSuite) -> bool:
    """True when the loop body ends the loop unconditionally (a retry loop: ``break`` or
    ``return`` at its top level, or at the top level of a ``try``/``with`` in it)."""
    if not isinstance(block, cst.IndentedBlock):
        return isinstance(block, cst.SimpleStatementSuite) and any(
            isinstance(s, cst.Break | cst.Return) for s in block.body
        )
    for statement in block.body:
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(s, cst.Break | cst.Return) for s in statement.body
        ):
            return True
        if isinstance(statement, cst.Try):
            if _leaves_after_first_pass(statement.body):
                return True
            if statement.orelse is not None and _leaves_after_first_pass(statement.orelse.body):
                return True
        if isinstance(statement, cst.With) and _leaves_after_first_pass(statement.body):
            return True
    return False


def _varies_per_iteration(facts: Facts, call: cst.Call, loop: cst.CSTNode) -> bool:
    """True when the constructor's arguments use a name the loop (re)binds: a pool of
    another size or initializer per iteration (a scaling benchmark) cannot be reused."""
    loop_variables: set[str] = set()
    if isinstance(loop, COMPREHENSIONS):  # comprehension variables are not recorded bindings
        comp_for: cst.CompFor | None = loop.for_in
        while comp_for is not None:
            loop_variables |= {name.value for name in names_in(comp_for.target)}
            comp_for = comp_for.inner_for_in
    for name in (name for arg in call.args for name in names_in(arg.value)):
        if name.value in loop_variables:
            return True
        if any(
            flow.is_inside(facts, binding.node, loop) for binding in facts.visible_bindings(name)
        ):
            return True
    return False


_TIMED_WAITS = frozenset({"get", "wait", "result"})


def _timed_wait_in(facts: Facts, pool_call: cst.Call, loop: cst.CSTNode) -> bool:
    """True when the loop waits for this round's pool's result with a time limit
    (``r = pool.map_async(...)`` then ``r.wait(timeout=8)``, ``f.result(5)``): a fresh
    pool per item is how an item that runs over is abandoned (a reused pool would keep
    its worker busy with it)."""
    if not isinstance(loop, cst.For | cst.While):
        return False
    pool = bound_name(facts, pool_call)
    if pool is None:
        return False
    for call in facts.calls:
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value in _TIMED_WAITS
            and isinstance(func.value, cst.Name)
            and flow.is_inside(facts, call, loop.body)
        ):
            continue
        timed = any(
            not a.star and (a.keyword.value == "timeout" if a.keyword else True) for a in call.args
        )
        if timed and any(
            _work_of(facts, binding.value, pool.value)
            for binding in facts.visible_bindings(func.value)
        ):
            return True
    return False


def _work_of(facts: Facts, value: cst.BaseExpression | None, pool: str) -> bool:
    """``pool.apply_async(...)``, ``pool.map_async(...)``, ``pool.submit(...)``."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ASYNC_METHODS | {"submit"}
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == pool
    )


@check("MP305")
def pool_in_loop(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = kind_of_constructor(facts.resolve(call.func))
        if kind not in (Kind.POOL, Kind.EXECUTOR):
            continue
        loop = flow.innermost_loop(facts, call)
        if loop is None:
            continue
        if isinstance(loop, cst.For | cst.While) and _leaves_after_first_pass(loop.body):
            continue
        if _varies_per_iteration(facts, call, loop):
            continue
        if _timed_wait_in(facts, call, loop):
            continue
        what = "Pool" if kind == Kind.POOL else "ProcessPoolExecutor"
        yield Finding("MP305", call, {"what": what})
