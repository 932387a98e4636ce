"""MP302 pool-join-without-close: pool.join() without close() or terminate().

Page: rules/MP302.md (zh-CN: rules/zh-CN/MP302.md) · Fixtures: fixtures/MP302/
· Example: examples/MP302-pool-join-without-close/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.pools.async_results import POOL_LIKE
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, InsertLineBefore
from mplint.facts import Facts, FastVisitor
from mplint.semantic.syntax import source_text

messages(
    {
        "MP302": Message(
            en="`{receiver}.join()` is called on a pool that was not closed first: it raises "
            "'ValueError: Pool is still running'. Call `{receiver}.close()` (or `terminate()`) "
            "before `join()`.",
            zh="对没有先关闭的进程池调用了 `{receiver}.join()`：会报 'ValueError: Pool is still "
            "running'。请在 `join()` 之前调用 `{receiver}.close()`（或 `terminate()`）。",
        ),
    }
)


_CLOSERS = frozenset({"close", "terminate", "__exit__"})


def _closed_before_join(facts: Facts, receiver: cst.Name, join: cst.Call) -> bool:
    """True when the pool may be closed before this join: close()/terminate() earlier in the
    source, a `with` block on it that ended, or the pool handed to other code earlier."""
    bindings = facts.visible_bindings(receiver)
    if not bindings:
        return True
    scope = bindings[0].scope
    for binding in bindings:
        if isinstance(binding.node, cst.WithItem):
            with_statement = facts.parent(binding.node)
            if isinstance(with_statement, cst.With) and not flow.is_inside(
                facts, join, with_statement.body
            ):
                return True  # __exit__ called terminate()
        elif binding.value is None:
            return True  # a parameter or loop variable: someone else may close it
    join_order = flow.name_order(facts, receiver)
    for use in flow.uses_of(facts, receiver.value, scope):
        base = use.attribute.value
        if (
            use.name in _CLOSERS
            and isinstance(base, cst.Name)
            and flow.name_order(facts, base) < join_order
            and not flow.exclusive(facts, use.attribute, join)
        ):
            return True
    for load in flow.loads_of(facts, receiver.value, scope):
        parent = facts.parent(load)
        if isinstance(parent, cst.Attribute) and parent.value is load:
            continue
        if isinstance(parent, cst.WithItem) and not flow.is_inside(
            facts, join, facts.parent(parent) or parent
        ):
            return True
        if flow.name_order(facts, load) < join_order:
            return True  # handed to other code, which may close it
    return False


class _SelfAttributeUses(FastVisitor):
    """How ``self.<name>`` is used in a class: closed, or handed on."""

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.closed_or_handed_on = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        inner = node.value
        if (
            isinstance(inner, cst.Attribute)
            and isinstance(inner.value, cst.Name)
            and inner.value.value == "self"
            and inner.attr.value == self.attribute
            and node.attr.value in _CLOSERS
        ):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Arg(self, node: cst.Arg) -> bool:
        if self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        if self._is_self_attribute(node.item):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Return(self, node: cst.Return) -> bool:
        if node.value is not None and self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Assign(self, node: cst.Assign) -> bool:
        if self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def _is_self_attribute(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and node.attr.value == self.attribute
        )


def _self_pool_closed_somewhere(facts: Facts, receiver: cst.Attribute) -> bool:
    function = facts.function_of(receiver)
    cls = facts.class_of(function) if function is not None else None
    if cls is None:
        return True
    visitor = _SelfAttributeUses(receiver.attr.value)
    cls.body.visit(visitor)
    return visitor.closed_or_handed_on


def _insert_close(facts: Facts, join: cst.Call, receiver: cst.BaseExpression) -> FixPlan | None:
    statement = facts.parent(join)
    if not isinstance(statement, cst.Expr) or statement.value is not join:
        return None
    line = facts.parent(statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    if not isinstance(facts.parent(line), cst.IndentedBlock | cst.Module):
        return None
    return FixPlan(
        "Close the pool before joining it",
        Applicability.SAFE,
        (InsertLineBefore(line, f"{source_text(receiver)}.close()"),),
    )


@check("MP302")
def pool_join_without_close(facts: Facts) -> Iterator[Finding]:
    for call in facts.method_calls("join", kinds=POOL_LIKE):
        receiver = call.func.value  # type: ignore[attr-defined]
        if isinstance(receiver, cst.Name):
            if _closed_before_join(facts, receiver, call):
                continue
        elif isinstance(receiver, cst.Attribute):
            if _self_pool_closed_somewhere(facts, receiver):
                continue
        else:
            continue
        yield Finding(
            "MP302",
            call,
            {"receiver": source_text(receiver)},
            fix=_insert_close(facts, call, receiver),
        )
