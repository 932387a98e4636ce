"""MP304 pool-not-closed: pool never closed: pending tasks killed at exit.

Page: rules/MP304.md (zh-CN: rules/zh-CN/MP304.md) · Fixtures: fixtures/MP304/
· Example: examples/MP304-pool-not-closed/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.pools.async_results import (
    ASYNC_METHODS,
    ITERATOR_METHODS,
    binding_scope,
    bound_name,
    result_is_dropped,
)
from mplint.facts import Binding, Facts, Scope
from mplint.names import kind_of_constructor
from mplint.semantic.kinds import Kind

messages(
    {
        "MP304": Message(
            en="This Pool is never closed and joined, and nothing waits for the tasks given "
            "to it with `{method}()`: when the program ends, the pool's finalizer terminates "
            "the workers and the tasks still pending are killed without a trace (their "
            "callbacks never run). Call `{pool}.close()` then `{pool}.join()` once all the "
            "work is submitted.",
            zh="这个 Pool 从未调用 `close()` 和 `join()`，也没有任何代码等待用 `{method}()` 交给它的任务："
            "程序结束时，进程池的终结器会终止工作进程，还没完成的任务被悄无声息地杀掉（回调"
            "永远不会运行）。请在提交完所有任务后调用 `{pool}.close()`，再调用 `{pool}.join()`。",
        ),
    }
)


# What ends a pool's pending work for good: join() waits for it, terminate() kills it on
# purpose. close() alone does not: at exit the finalizer still terminates the workers
# and the pending tasks die (measured on 3.11 and 3.13).
_RELEASES = frozenset({"terminate", "shutdown", "join", "__exit__", "__enter__"})
_ASYNC_WORK = ASYNC_METHODS | ITERATOR_METHODS


def _is_pool_constructor(facts: Facts, call: cst.Call) -> bool:
    # An unclosed executor or Manager is harmless: the executor's exit hook waits for its
    # pending work, and a Manager's server stops when the manager (and every proxy that
    # holds it) is collected, or at exit. Only a Pool kills pending work.
    return kind_of_constructor(facts.resolve(call.func)) == Kind.POOL


def _unwaited_work(facts: Facts, call: cst.Call) -> cst.Call | None:
    """The first `apply_async`/`map_async`/`imap` call on a pool that is never joined,
    terminated or handed on, whose result nothing waits for. A pool that is only used
    synchronously (`map`, `apply`), or made and never used, is reclaimed harmlessly when it
    is collected or at exit; one with pending tasks has them killed. The pool is followed
    through its name, an attribute it is stored in (``self.pool``), and the helpers of
    this file it is handed to."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Attribute) and parent.value is call:
        return _work_on(facts, parent)  # Pool(4).apply_async(...): dropped at once
    stored = _stored_attribute(facts, call)
    if stored is not None:
        return _work_on_attribute(facts, *stored)
    target = bound_name(facts, call)
    if target is None:
        return None  # with, returned, passed on: not followed
    scope = binding_scope(facts, target)
    return None if scope is None else _work_on_loads(facts, target.value, scope, 0)


_HANDED_ON = object()  # the pool leaves what we can follow: someone else may join it


def _work_on(facts: Facts, attribute: cst.Attribute) -> cst.Call | None:
    """Async work whose result is dropped, made by ``pool.<method>(...)``."""
    work = facts.parent(attribute)
    if (
        attribute.attr.value in _ASYNC_WORK
        and isinstance(work, cst.Call)
        and result_is_dropped(facts, work)
    ):
        return work
    return None


def _use_of_pool(facts: Facts, use: cst.BaseExpression, depth: int) -> object:
    """What one read of the pool does: releases it (``_HANDED_ON``, also for any use we
    cannot follow), submits unwaited work (the call), or nothing that matters (None)."""
    attribute = facts.parent(use)
    if isinstance(attribute, cst.Attribute) and attribute.value is use:
        if attribute.attr.value in _RELEASES:
            return _HANDED_ON
        return _work_on(facts, attribute)
    if isinstance(use, cst.Name):
        helper = _helper_receiving(facts, use, depth)
        if helper is not None:
            param, owner = helper
            pending = _work_on_loads(facts, param, owner, depth + 1)
            if pending is not None:
                return pending
            return _HANDED_ON if _helper_hands_it_on(facts, param, owner, depth + 1) else None
    return _HANDED_ON  # with pool, return pool, self.pool = pool, a call we cannot follow


def _helper_hands_it_on(facts: Facts, param: str, owner: Scope, depth: int) -> bool:
    """Does the helper join, terminate or hand on the pool it was given? A helper that
    only uses it keeps it, and then the caller's other uses decide."""
    return any(
        _use_of_pool(facts, load, depth) is _HANDED_ON
        for load in flow.loads_of(facts, param, owner)
    )


def _work_on_loads(facts: Facts, variable: str, scope: Scope, depth: int) -> cst.Call | None:
    pending: cst.Call | None = None
    for load in flow.loads_of(facts, variable, scope):
        outcome = _use_of_pool(facts, load, depth)
        if outcome is _HANDED_ON:
            return None
        if pending is None and isinstance(outcome, cst.Call):
            pending = outcome
    return pending


def _helper_receiving(facts: Facts, load: cst.Name, depth: int) -> tuple[str, Scope] | None:
    """``helper(pool)`` where ``helper`` is a function of this file: its parameter."""
    arg = facts.parent(load)
    call = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or depth > 3:
        return None
    owner = facts.function_for(call.func)
    param = facts.parameter_receiving(call, load) if owner is not None else None
    if owner is None or param is None or param.star:
        return None
    return param.name.value, owner


def _stored_attribute(facts: Facts, call: cst.Call) -> tuple[cst.Attribute, Binding] | None:
    """``self.pool = Pool()`` / ``obj.pool = Pool()``: the attribute and its binding."""
    parent = facts.parent(call)
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
        return None
    target = parent.targets[0].target
    if not isinstance(target, cst.Attribute) or not isinstance(target.value, cst.Name):
        return None
    binding = next((b for b in facts.attribute_bindings if b.target is target), None)
    return (target, binding) if binding is not None else None


def _work_on_attribute(facts: Facts, target: cst.Attribute, binding: Binding) -> cst.Call | None:
    """Unwaited work on ``self.x`` when no code of this file joins, terminates or hands it
    on. Only in a script (main guard) or for a private ``_x``: a library's users may
    close a public attribute themselves."""
    if not facts.main_guards and not target.attr.value.startswith("_"):
        return None
    pending: cst.Call | None = None
    for use in facts.attribute_uses:
        if use is target or use.attr.value != target.attr.value:
            continue
        if not any(b is binding for b in facts.attribute_bindings_of(use)):
            continue
        parent = facts.parent(use)
        if isinstance(parent, cst.AssignTarget | cst.AugAssign) or (
            isinstance(parent, cst.Assign) and any(t.target is use for t in parent.targets)
        ):
            continue
        outcome = _use_of_pool(facts, use, 0)
        if outcome is _HANDED_ON:
            return None
        if pending is None and isinstance(outcome, cst.Call):
            pending = outcome
    return pending


@check("MP304")
def pool_not_closed(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        if not _is_pool_constructor(facts, call) or facts.runs_at_import(call):
            continue  # module-level objects of a library may be closed by its users
        work = _unwaited_work(facts, call)
        if work is None:
            continue
        target = bound_name(facts, call)
        pool = target.value if target is not None else "pool"
        method = work.func.attr.value  # type: ignore[attr-defined]
        yield Finding("MP304", call, {"method": method, "pool": pool})
