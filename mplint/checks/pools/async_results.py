"""Where a pool's results go: the name an ``apply_async``/``submit`` result is bound to,
its later loads, and whether it is dropped (MP301, MP302, MP304, MP305).
"""

from __future__ import annotations

import libcst as cst

import mplint.flow as flow
from mplint.facts import Facts, Scope
from mplint.semantic.kinds import Kind

ASYNC_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
ITERATOR_METHODS = frozenset({"imap", "imap_unordered"})
# multiprocessing.Pool and its thread twin share the same join/close/terminate logic.
POOL_LIKE = frozenset({Kind.POOL, Kind.THREAD_POOL})


def bound_name(facts: Facts, expr: cst.BaseExpression) -> cst.Name | None:
    """The plain name an expression is bound to: ``r = expr``, ``r: T = expr``, ``(r := expr)``."""
    parent = facts.parent(expr)
    if isinstance(parent, cst.Assign) and parent.value is expr and len(parent.targets) == 1:
        target = parent.targets[0].target
        return target if isinstance(target, cst.Name) else None
    if isinstance(parent, cst.AnnAssign) and parent.value is expr:
        return parent.target if isinstance(parent.target, cst.Name) else None
    if isinstance(parent, cst.NamedExpr) and parent.value is expr:
        # Only `if (r := ...):` / `while (r := ...):`; elsewhere the value also flows on.
        test_of = facts.parent(parent)
        if isinstance(test_of, cst.If | cst.While) and test_of.test is parent:
            return parent.target if isinstance(parent.target, cst.Name) else None
    return None


def binding_scope(facts: Facts, name: cst.Name) -> Scope | None:
    """The scope whose binding a target name sets; None when declared global elsewhere."""
    scope = facts.scope_of(name)
    if isinstance(scope, cst.FunctionDef) and name.value in facts.globals_declared.get(scope, ()):
        return None
    return scope


def loops_of(facts: Facts, node: cst.CSTNode, scope: Scope) -> set[int]:
    """ids of the for/while loops of ``scope`` whose body holds the node."""
    loops = set()
    for ancestor in facts.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, cst.For | cst.While):
            loops.add(id(ancestor))
    return loops


def later_loads(
    facts: Facts, target: cst.Name, scope: Scope, *, exclude: cst.Name | None = None
) -> list[cst.Name]:
    """Reads of ``target``'s variable that can run after it is bound: later in the source,
    or anywhere in a loop that also holds the binding."""
    order = flow.name_order(facts, target)
    loops = loops_of(facts, target, scope)
    found = []
    for load in flow.loads_of(facts, target.value, scope):
        if load is exclude:
            continue
        if flow.name_order(facts, load) > order or (loops & loops_of(facts, load, scope)):
            found.append(load)
    return found


def value_holder(facts: Facts, expr: cst.BaseExpression) -> cst.BaseExpression:
    """The expression that holds the call's result: the call itself, or the comprehension
    it is the element of."""
    parent = facts.parent(expr)
    if isinstance(parent, cst.ListComp | cst.SetComp | cst.GeneratorExp) and parent.elt is expr:
        return parent
    if isinstance(parent, cst.DictComp) and expr in (parent.key, parent.value):
        return parent
    return expr


# Reading these says nothing about a failure.
NOT_FETCHING = frozenset({"ready", "done", "running", "cancelled"})


def result_is_dropped(facts: Facts, call: cst.Call) -> bool:
    holder = value_holder(facts, call)
    parent = facts.parent(holder)
    if isinstance(parent, cst.Expr):
        return True
    target = bound_name(facts, holder)
    if target is None:
        return False  # returned, passed on, stored somewhere: not followed
    scope = binding_scope(facts, target)
    if scope is None:
        return False
    for load in later_loads(facts, target, scope):
        attribute = facts.parent(load)
        if (
            isinstance(attribute, cst.Attribute)
            and attribute.value is load
            and attribute.attr.value in NOT_FETCHING
            and holder is call
        ):
            continue
        return False
    return True
