"""The call graph of one file: which functions of this file a call runs, and which
functions a set of roots reaches.

A call runs more than the function it names:
- ``Cls(...)`` runs ``Cls.__init__`` (its own, or that of a base class of this file);
- a function decorated with a decorator of this file runs through the decorator's
  wrapper: calling it (or sending it to a child) runs the decorator's nested functions;
- ``functools.partial(f, ...)`` and ``self.m``/``Cls.m`` name ``f`` and ``m``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import libcst as cst

from mplint.semantic.classes import local_bases

if TYPE_CHECKING:
    from mplint.facts import Facts


def wrappers_of(facts: Facts, function: cst.FunctionDef) -> list[cst.FunctionDef]:
    """The functions a decorator of this file wraps ``function`` in: the nested
    functions of each decorator that is a plain function of this file."""
    found: list[cst.FunctionDef] = []
    for decorator in function.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func  # @retry(3): the factory's nested functions
        named = facts.function_for(expression)
        if named is None:
            continue
        found.append(named)
        found.extend(f for f in facts.functions if f is not named and facts.is_inside(f, named))
    return found


def callees(facts: Facts, call: cst.Call) -> list[cst.FunctionDef]:
    """The functions of this file that run when ``call`` runs (not counting what they
    call in turn)."""
    function = facts.function_for(call.func)
    if function is not None:
        return [function, *wrappers_of(facts, function)]
    cls = facts.local_class(call.func)
    if cls is not None:
        for base in local_bases(facts, cls):
            init = facts.method_of(base, "__init__")
            if init is not None:
                return [init]
    return []


def reachable_from(facts: Facts, roots: Iterable[cst.FunctionDef | None]) -> set[cst.FunctionDef]:
    """The roots and every function of this file they run, through calls, constructors
    and decorators. ``None`` as a root stands for the module's own code."""
    found: set[cst.FunctionDef] = set()
    frontier: list[cst.FunctionDef | None] = []
    for root in roots:
        if root is None:
            frontier.append(None)
            continue
        for function in (root, *wrappers_of(facts, root)):
            if function not in found:
                found.add(function)
                frontier.append(function)
    while frontier:
        caller = frontier.pop()
        for call in facts.calls_by_function.get(caller, ()):
            for callee in facts.callees(call):
                if callee not in found:
                    found.add(callee)
                    frontier.append(callee)
    return found


def callers(facts: Facts) -> dict[cst.FunctionDef, set[cst.FunctionDef]]:
    """For each function of this file, the functions of this file that run it."""
    found: dict[cst.FunctionDef, set[cst.FunctionDef]] = {}
    for caller, calls in facts.calls_by_function.items():
        if caller is None:
            continue
        for call in calls:
            for callee in facts.callees(call):
                found.setdefault(callee, set()).add(caller)
    return found


def functions_reaching(facts: Facts, predicate: Callable[[cst.Call], bool]) -> set[cst.FunctionDef]:
    """Functions of this file that make a call for which ``predicate`` holds, directly
    or through the functions (constructors, decorators) they run."""
    reaching = {
        function
        for function, calls in facts.calls_by_function.items()
        if function is not None and any(predicate(call) for call in calls)
    }
    if not reaching:
        return reaching
    graph = facts.callers
    frontier = list(reaching)
    while frontier:
        for caller in graph.get(frontier.pop(), ()):
            if caller not in reaching:
                reaching.add(caller)
                frontier.append(caller)
    return reaching
