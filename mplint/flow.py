"""What is done to one object, in source order, and whether two places can both run.

Lifecycle rules ask the same questions: was ``p.join()`` called after ``p.start()``,
on the same path, in the same scope? This module answers them from the facts
pass (``Facts.attribute_uses`` is in source order) without a second walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import libcst as cst

from mplint.facts import Facts, Scope


class Action(StrEnum):
    CALL = "call"  # p.start()
    STORE = "store"  # p.daemon = True
    READ = "read"  # p.exitcode, or p.start passed around


@dataclass(frozen=True, slots=True)
class Use:
    attribute: cst.Attribute  # the `p.attr` node
    name: str  # "start", "daemon", "exitcode", ...
    action: Action
    order: int  # source order among all attribute uses

    @property
    def node(self) -> cst.CSTNode:
        return self.attribute


def action_of(facts: Facts, attribute: cst.Attribute) -> Action:
    parent = facts.parent(attribute)
    if isinstance(parent, cst.Call) and parent.func is attribute:
        return Action.CALL
    if isinstance(parent, cst.AssignTarget) and parent.target is attribute:
        return Action.STORE
    return Action.READ


def uses_of(facts: Facts, variable: str, scope: Scope) -> list[Use]:
    """Every ``variable.attr`` whose name is bound in ``scope`` (the same binding the
    analysis sees from there), in source order; nested functions that see the same
    variable through closure are included."""
    found = []
    for order, attribute in enumerate(facts.attribute_uses):
        base = attribute.value
        if not isinstance(base, cst.Name) or base.value != variable:
            continue
        bindings = facts.visible_bindings(base)
        if not bindings or bindings[0].scope is not scope:
            continue
        found.append(Use(attribute, attribute.attr.value, action_of(facts, attribute), order))
    return found


def exclusive(facts: Facts, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """True when the two nodes sit in different branches of one if/else, in two except
    handlers of one try, or in two cases of one match statement, so that no single run
    executes both."""
    first_chain = [first, *facts.ancestors(first)]
    second_chain = [second, *facts.ancestors(second)]
    second_ids = {id(n) for n in second_chain}
    for index, node in enumerate(first_chain):
        if id(node) not in second_ids:
            continue
        # `node` is the nearest common ancestor; the children on each side tell the branch.
        child_first = first_chain[index - 1] if index > 0 else None
        child_second = (
            second_chain[second_chain.index(node) - 1] if second_chain[0] is not node else None
        )
        if child_first is None or child_second is None or child_first is child_second:
            return False
        if isinstance(node, cst.If | cst.Else):
            branches = (getattr(node, "body", None), getattr(node, "orelse", None))
            return any(b is child_first for b in branches) and any(
                b is child_second for b in branches
            )
        if isinstance(node, cst.Try | cst.TryStar):
            return isinstance(
                child_first, cst.ExceptHandler | cst.ExceptStarHandler
            ) and isinstance(child_second, cst.ExceptHandler | cst.ExceptStarHandler)
        if isinstance(node, cst.Match):
            return isinstance(child_first, cst.MatchCase) and isinstance(
                child_second, cst.MatchCase
            )
        return False
    return False


def enclosing_with_items(facts: Facts, node: cst.CSTNode) -> list[cst.WithItem]:
    """The ``with`` items whose block holds the node, innermost first."""
    items: list[cst.WithItem] = []
    previous: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.With) and ancestor.body is previous:
            items.extend(reversed(ancestor.items))
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            break
        previous = ancestor
    return items


def is_inside(facts: Facts, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return facts.is_inside(node, container)


# Exact node types for the tests run on every Name (none has subclasses): isinstance()
# against libcst's classes goes through ABCMeta whenever it answers no.
_UNPACKING = frozenset({cst.Element, cst.StarredElement, cst.Tuple, cst.List})
_WITH_TARGET = frozenset({cst.AnnAssign, cst.NamedExpr, cst.For, cst.CompFor})
_DEFINITIONS = frozenset({cst.FunctionDef, cst.ClassDef, cst.Param})
_IMPORTS = frozenset({cst.ImportAlias, cst.NameItem, cst.ImportFrom})


def _is_store(facts: Facts, name: cst.Name) -> bool:
    """True when the Name is a target that is bound, not read (``x = ...``, ``for x in``)."""
    node: cst.CSTNode = name
    parent = facts.parent(node)
    while type(parent) in _UNPACKING:
        node, parent = parent, facts.parent(parent)  # type: ignore[assignment, arg-type]
    parent_type = type(parent)
    if parent_type is cst.AssignTarget or parent_type is cst.AsName:
        return True
    if parent_type in _WITH_TARGET:
        return getattr(parent, "target", None) is node
    return False


def is_not_a_variable(facts: Facts, name: cst.Name) -> bool:
    """Attribute names, keywords, definitions, parameters, imports, global declarations."""
    parent = facts.parent(name)
    parent_type = type(parent)
    if parent_type is cst.Attribute:
        return parent.attr is name  # type: ignore[union-attr]
    if parent_type is cst.Arg:
        return parent.keyword is name  # type: ignore[union-attr]
    if parent_type in _DEFINITIONS:
        return parent.name is name  # type: ignore[union-attr]
    return parent_type in _IMPORTS


def reads_module_variable(facts: Facts, name: cst.Name, *, augmented_reads: bool = True) -> bool:
    """The Name reads the module's variable: it is a read (not a target, attribute name,
    keyword, definition or import; ``x += 1`` counts as a read unless ``augmented_reads``
    is off), and no enclosing function binds the name without declaring it ``global``."""
    if is_not_a_variable(facts, name) or _is_store(facts, name):
        return False
    parent = facts.parent(name)
    if not augmented_reads and isinstance(parent, cst.AugAssign) and parent.target is name:
        return False
    scope = facts.scope_of(name)
    while not isinstance(scope, cst.Module):
        if isinstance(scope, cst.FunctionDef) and name.value in facts.globals_declared.get(
            scope, ()
        ):
            return True
        if facts.bindings.get((scope, name.value)):
            return False
        scope = facts.scope_of(scope)
    return True


def loads_of(facts: Facts, variable: str, scope: Scope) -> list[cst.Name]:
    """Every read of ``variable`` (the binding of ``scope``), in source order, nested functions
    that see it through closure included; targets that only bind it are left out."""
    found = []
    for name in facts.name_nodes.get(variable, ()):
        if is_not_a_variable(facts, name) or _is_store(facts, name):
            continue
        bindings = facts.visible_bindings(name)
        if bindings and bindings[0].scope is scope:
            found.append(name)
    return found


def source_before(facts: Facts, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """True when ``first`` ends before ``second`` starts in the source text."""
    first_chain = [first, *facts.ancestors(first)]
    second_chain = [second, *facts.ancestors(second)]
    second_index = {id(node): i for i, node in enumerate(second_chain)}
    for i, node in enumerate(first_chain):
        j = second_index.get(id(node))
        if j is None:
            continue
        if i == 0 or j == 0:
            return False  # one holds the other
        first_child, second_child = first_chain[i - 1], second_chain[j - 1]
        for child in node.children:
            if child is first_child:
                return True
            if child is second_child:
                return False
        return False
    return False


def name_order(facts: Facts, name: cst.Name) -> int:
    """Source position of a Name among the Names of the same text (for before/after)."""
    for index, node in enumerate(facts.name_nodes.get(name.value, ())):
        if node is name:
            return index
    return -1


# -- the order in which calls run: flows through the functions of this file -------------


@dataclass(frozen=True, slots=True)
class Step:
    """One call on a flow, with the calls of this file's functions that led to it
    (outermost first): ``main()`` -> ``launch()`` -> ``p.start()``."""

    call: cst.Call
    via: tuple[cst.Call, ...] = ()

    @property
    def chain(self) -> tuple[cst.Call, ...]:
        return (*self.via, self.call)


MAX_FLOW_STEPS = 20_000


def call_flow(facts: Facts, root: cst.FunctionDef | None = None) -> list[Step]:
    """The calls that code runs, in source order, with the body of every function of this
    file it calls inlined right after the call (recursion cut). ``root`` None: the module's
    own code, main guard included; calls inside lambdas and nested defs that are never
    called are left out. Long flows are cut at MAX_FLOW_STEPS (a prefix stays right)."""
    steps: list[Step] = []

    def visit(function: cst.FunctionDef | None, via: tuple[cst.Call, ...], seen: frozenset) -> None:
        for call in facts.calls_by_function.get(function, ()):
            if len(steps) >= MAX_FLOW_STEPS:
                return
            if isinstance(facts.scope_of(call), cst.Lambda):
                continue
            steps.append(Step(call, via))
            for callee in facts.callees(call):  # f(), Cls() -> __init__, a decorator's wrapper
                if callee not in seen:
                    visit(callee, (*via, call), seen | {callee})

    visit(root, (), frozenset({root}) if root is not None else frozenset())
    return steps


def _conditional_child(parent: cst.CSTNode, child: cst.CSTNode, loops_run: bool = False) -> bool:
    """True when running ``parent`` does not always run ``child``: a branch, a loop body,
    an except handler, the right side of ``and``/``or``, a comprehension's element, a
    function body. With ``loops_run``, loop bodies and comprehension elements count as run
    (a loop over the threads to start is taken to go round at least once)."""
    if isinstance(parent, cst.If | cst.IfExp):
        return child is parent.body or child is parent.orelse
    if isinstance(parent, cst.For | cst.While):
        return child is parent.orelse or (child is parent.body and not loops_run)
    if loops_run and isinstance(
        parent, cst.CompFor | cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp
    ):
        return isinstance(parent, cst.CompFor) and any(child is c for c in parent.ifs)
    if isinstance(parent, cst.Try | cst.TryStar):
        return child is parent.orelse or any(child is h for h in parent.handlers)
    if isinstance(parent, cst.BooleanOperation):
        return child is parent.right
    if isinstance(parent, cst.CompFor):
        return child is not parent.iter
    if isinstance(parent, cst.ListComp | cst.SetComp | cst.GeneratorExp):
        return child is parent.elt
    if isinstance(parent, cst.DictComp):
        return child is parent.key or child is parent.value
    return isinstance(parent, cst.Match | cst.MatchCase | cst.FunctionDef | cst.Lambda)


def unconditional_within(
    facts: Facts, node: cst.CSTNode, container: cst.CSTNode, loops_run: bool = False
) -> bool:
    """True when ``node`` runs whenever ``container`` (an ancestor) runs through: no branch,
    loop body, handler, short-circuit or nested function between them."""
    child = node
    for ancestor in facts.ancestors(node):
        if ancestor is container:
            return True
        if _conditional_child(ancestor, child, loops_run):
            return False
        child = ancestor
    return False


def dominates(
    facts: Facts, first: cst.CSTNode, second: cst.CSTNode, loops_run: bool = False
) -> bool:
    """True when ``first`` runs on every path that reaches ``second`` from their nearest
    common ancestor (``first`` assumed to come first in source order): ``p.start()`` on its
    own line dominates a later ``p.start()``; one inside ``if x:`` does not."""
    second_ancestors = {id(second), *(id(a) for a in facts.ancestors(second))}
    child = first
    for ancestor in facts.ancestors(first):
        if _conditional_child(ancestor, child, loops_run):
            return False
        if id(ancestor) in second_ancestors:
            return True
        child = ancestor
    return False


def runs_before(facts: Facts, first: Step, second: Step, loops_run: bool = False) -> bool:
    """True when ``first`` (earlier on the same flow) has surely run whenever ``second``
    runs: where the two chains part, the first's call dominates the second's, and the
    first's call is unconditional inside every function it is reached through."""
    a, b = first.chain, second.chain
    k = 0
    while k < len(a) and k < len(b) and a[k] is b[k]:
        k += 1
    if k == len(a) or k == len(b):
        return False
    if not dominates(facts, a[k], b[k], loops_run):
        return False
    for node in a[k + 1 :]:
        function = facts.function_of(node)
        if function is None or not unconditional_within(facts, node, function.body, loops_run):
            return False
    return True


_EXITS = (cst.Break, cst.Continue, cst.Return, cst.Raise)


def decided_regions(facts: Facts, test: cst.CSTNode) -> list[cst.CSTNode]:
    """The code whose running an expression decides (a queue's ``empty()``,
    ``qsize()``...):
    - ``if test:`` / ``while test:``: the body and the ``else``;
    - ``for _ in range(test):``: the loop body (the test counts its rounds);
    - ``if test: break`` (or continue/return/raise): what follows the ``if`` in its block;
    - ``while test: wait``: what follows the loop in its block (it runs once the test
      turns false).
    Empty when the expression decides nothing it can see."""
    statement = deciding_statement(facts, test)
    if statement is None:
        return []
    if isinstance(statement, cst.For):
        iterable = statement.iter
        counted = (
            isinstance(iterable, cst.Call)
            and isinstance(iterable.func, cst.Name)
            and iterable.func.value == "range"
        )
        return [statement.body] if counted else []
    regions: list[cst.CSTNode] = [statement.body]
    if statement.orelse is not None:
        regions.append(statement.orelse)
    if isinstance(statement, cst.While) or (statement.orelse is None and _exits(statement.body)):
        regions.extend(_following(facts, statement))
    return regions


def deciding_statement(facts: Facts, test: cst.CSTNode) -> cst.If | cst.While | cst.For | None:
    """The ``if``/``while`` whose test holds the expression, or the ``for`` whose
    iterable does; None when it sits in a plain statement."""
    child: cst.CSTNode = test
    for ancestor in facts.ancestors(test):
        if isinstance(ancestor, cst.If | cst.While) and child is ancestor.test:
            return ancestor
        if isinstance(ancestor, cst.For) and child is ancestor.iter:
            return ancestor
        if isinstance(ancestor, cst.BaseStatement | cst.BaseSmallStatement) or isinstance(
            ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef
        ):
            return None
        child = ancestor
    return None


def _exits(block: cst.BaseSuite) -> bool:
    """The block ends by leaving: ``break``, ``continue``, ``return`` or ``raise``."""
    if isinstance(block, cst.SimpleStatementSuite):
        return bool(block.body) and isinstance(block.body[-1], _EXITS)
    last = block.body[-1] if block.body else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], _EXITS)


def _following(facts: Facts, statement: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements after ``statement`` in its block."""
    block = facts.parent(statement)
    body = list(getattr(block, "body", ()))
    if statement not in body:
        return []
    return body[body.index(statement) + 1 :]


def innermost_loop(
    facts: Facts,
    node: cst.CSTNode,
    *,
    comprehensions: bool = True,
    while_test: bool = False,
) -> cst.CSTNode | None:
    """The innermost loop of the node's own function that runs it once per pass: the
    ``for``/``while`` whose body holds it, or (with ``comprehensions``) the comprehension
    whose element, condition or inner ``for`` holds it; with ``while_test`` also the
    ``while`` whose test holds it. A loop's iterable and ``else`` block do not count."""
    child: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return None
        if isinstance(ancestor, cst.For | cst.While) and child is ancestor.body:
            return ancestor
        if while_test and isinstance(ancestor, cst.While) and child is ancestor.test:
            return ancestor  # while (item := q.get()) is not DONE:
        if comprehensions:
            if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.GeneratorExp):
                if child is ancestor.elt:
                    return ancestor
            if isinstance(ancestor, cst.DictComp) and child in (ancestor.key, ancestor.value):
                return ancestor
            if isinstance(ancestor, cst.CompFor) and (
                child is ancestor.inner_for_in or any(child is c for c in ancestor.ifs)
            ):
                parent = facts.parent(ancestor)
                while isinstance(parent, cst.CompFor):
                    parent = facts.parent(parent)
                return parent
        child = ancestor
    return None


def in_loop(facts: Facts, node: cst.CSTNode) -> bool:
    """Can the node run more than once per run of its function: inside a ``for``/
    ``while`` body, a ``while`` test or a comprehension, within the same function."""
    return innermost_loop(facts, node, while_test=True) is not None


def loops_between(facts: Facts, node: cst.CSTNode, scope: Scope) -> list[cst.CSTNode]:
    """The for/while loops that hold ``node`` inside ``scope``, innermost first."""
    loops: list[cst.CSTNode] = []
    for ancestor in facts.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, cst.For | cst.While):
            loops.append(ancestor)
    return loops


# What runs its body more than once: loops, and the element of a comprehension.
REPEATING = (
    cst.For,
    cst.While,
    cst.CompFor,
    cst.ListComp,
    cst.SetComp,
    cst.GeneratorExp,
    cst.DictComp,
)


def in_loop_within(facts: Facts, node: cst.CSTNode, function: cst.CSTNode | None = None) -> bool:
    """Does the node sit in a loop or comprehension inside ``function``, by default the
    innermost function or lambda that holds it? Unlike ``in_loop``, a loop's iterable and
    ``else`` count too."""
    for ancestor in facts.ancestors(node):
        if ancestor is function:
            return False
        if function is None and isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, REPEATING):
            return True
    return False
