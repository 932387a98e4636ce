"""MP303 pool-exit-terminates: with Pool exits before async work finished.

Page: rules/MP303.md (zh-CN: rules/zh-CN/MP303.md) · Fixtures: fixtures/MP303/
· Example: examples/MP303-pool-exit-terminates/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.pools.async_results import (
    ASYNC_METHODS,
    ITERATOR_METHODS,
    POOL_LIKE,
    binding_scope,
    bound_name,
    later_loads,
    value_holder,
)
from mplint.facts import Facts, is_method_call

messages(
    {
        "MP303": Message(
            en="`{method}()` submits work that nothing in this `with` block waits for: leaving "
            "the block calls `terminate()`, which kills the pending tasks silently. Wait inside "
            "the block: call `get()`/`wait()` on the result, consume the iterator, or call "
            "`close()` then `join()`.",
            zh="`{method}()` 提交的任务在这个 `with` 块里没有被等待：离开 `with` 块时会调用 "
            "`terminate()`，未完成的任务会被悄悄杀掉。请在块内等待：对结果调用 `get()`/`wait()`、"
            "遍历迭代器，或先 `close()` 再 `join()`。",
        ),
    }
)


def _pool_with(facts: Facts, call: cst.Call, receiver: cst.Name) -> cst.With | None:
    """The innermost ``with`` of this scope that manages the pool the receiver names."""
    for item in flow.enclosing_with_items(facts, call):
        names_it = (
            item.asname is not None
            and isinstance(item.asname.name, cst.Name)
            and item.asname.name.value == receiver.value
        ) or (isinstance(item.item, cst.Name) and item.item.value == receiver.value)
        if not names_it:
            continue
        if facts.kind_of(item.item) not in POOL_LIKE:
            return None  # contextlib.closing(pool) and the like: not terminate()
        statement = facts.parent(item)
        return statement if isinstance(statement, cst.With) else None
    return None


def _waited_in_block(facts: Facts, call: cst.Call, block: cst.BaseSuite) -> bool:
    holder = value_holder(facts, call)
    parent = facts.parent(holder)
    if isinstance(parent, cst.Expr | cst.Return):
        return False
    target: cst.Name | None = bound_name(facts, holder)
    exclude: cst.Name | None = None
    if target is None and isinstance(parent, cst.Arg):
        # results.append(pool.apply_async(...)): follow the list.
        appended = facts.parent(parent)
        if (
            isinstance(appended, cst.Call)
            and isinstance(appended.func, cst.Attribute)
            and appended.func.attr.value == "append"
            and isinstance(appended.func.value, cst.Name)
        ):
            target = exclude = appended.func.value
    if target is None:
        return True  # consumed in place (.get(), a for loop, list(...)) or handed on
    scope = binding_scope(facts, target)
    if scope is None:
        return True
    for load in later_loads(facts, target, scope, exclude=exclude):
        if not flow.is_inside(facts, load, block):
            continue
        attribute = facts.parent(load)
        if (
            exclude is not None
            and isinstance(attribute, cst.Attribute)
            and attribute.attr.value == "append"
        ):
            continue
        return True
    return False


def _pool_waited_after(facts: Facts, call: cst.Call, receiver: cst.Name, with_: cst.With) -> bool:
    """join()/terminate() of the pool, or the pool handed to other code, later in the block."""
    bindings = facts.visible_bindings(receiver)
    if not bindings:
        return True
    scope = bindings[0].scope
    order = flow.name_order(facts, receiver)
    for load in flow.loads_of(facts, receiver.value, scope):
        if flow.name_order(facts, load) <= order or not flow.is_inside(facts, load, with_.body):
            continue
        parent = facts.parent(load)
        if isinstance(parent, cst.Attribute) and parent.value is load:
            if parent.attr.value in ("join", "terminate", "__exit__"):
                return True
            continue
        return True
    return False


def _has_callback(call: cst.Call) -> bool:
    return any(
        arg.keyword is not None and arg.keyword.value in ("callback", "error_callback")
        for arg in call.args
    ) or any(arg.star for arg in call.args)


def _statements_follow(facts: Facts, call: cst.Call, receiver: cst.Name, with_: cst.With) -> bool:
    """True when the with block has statements after the one holding the call, other than
    ``pool.close()`` and ``pass`` (which wait for nothing)."""
    statement: cst.CSTNode = call
    for ancestor in facts.ancestors(call):
        if ancestor is with_.body:
            break
        statement = ancestor
    body = list(with_.body.body) if isinstance(with_.body, cst.IndentedBlock) else []
    for index, top in enumerate(body):
        if top is statement:
            return any(not _waits_for_nothing(later, receiver) for later in body[index + 1 :])
    return False


def _waits_for_nothing(statement: cst.BaseStatement, receiver: cst.Name) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass):
            continue
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return False
        if not is_method_call(small.value, "close", receiver.value):
            return False
    return True


@check("MP303")
def pool_exit_terminates(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            continue
        method = func.attr.value
        if method not in ASYNC_METHODS and method not in ITERATOR_METHODS:
            continue
        receiver = func.value
        if facts.kind_of(receiver) not in POOL_LIKE:
            continue
        with_ = _pool_with(facts, call, receiver)
        if with_ is None:
            continue
        if _waited_in_block(facts, call, with_.body):
            continue
        if _pool_waited_after(facts, call, receiver, with_):
            continue
        if _has_callback(call) and _statements_follow(facts, call, receiver, with_):
            continue  # the callbacks' results may be awaited by other means
        yield Finding("MP303", call, {"method": method})
