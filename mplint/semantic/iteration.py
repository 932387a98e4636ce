"""Which loop variable walks which container, in both directions.

``for p in procs`` walks ``procs``; ``for i, p in enumerate(procs)`` and
``for k, p in d.items()`` give ``p`` the elements of ``procs`` and the values of ``d``;
``for p, n in zip(procs, sizes)`` gives ``p`` the elements of ``procs`` and ``n`` those of
``sizes``. The kinds and origins of loop variables (``kind_inference``, ``values``) and
the fate of a process kept in a list (``checks/lifecycle/process_flow.py``) all ask here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from mplint.facts import Facts

Loop = cst.For | cst.CompFor
# Calls that hand a loop the elements of their argument, each to one part of the target.
PAIRING_CALLS = frozenset({"enumerate", "zip"})


def _positional(call: cst.Call) -> list[cst.BaseExpression] | None:
    if any(arg.star for arg in call.args):
        return None
    return [arg.value for arg in call.args if arg.keyword is None]


def loop_sources(loop: Loop) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(container, the part of the loop's target that takes its elements) pairs; the
    loop's iterable itself, whole, when no pairing call splits it."""
    target, iterable = loop.target, loop.iter
    if isinstance(target, cst.Tuple) and isinstance(iterable, cst.Call):
        parts = [element.value for element in target.elements]
        func = iterable.func
        arguments = _positional(iterable)
        if isinstance(func, cst.Name) and arguments:
            if func.value == "enumerate" and len(parts) == 2:
                return [(arguments[0], parts[1])]
            if func.value == "zip" and len(arguments) == len(parts):
                return list(zip(arguments, parts, strict=True))
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "items"
            and not iterable.args
            and len(parts) == 2
        ):
            return [(func.value, parts[1])]  # the values of a dict
    return [(iterable, target)]


def iterated_container(loop: Loop, name: str) -> cst.BaseExpression | None:
    """The container whose elements the loop variable ``name`` takes (the whole iterable
    for a plain ``for name in ...``), None when the loop does not say."""
    for container, part in loop_sources(loop):
        if part is loop.target and isinstance(part, cst.Name):
            return container
        if isinstance(part, cst.Name) and part.value == name:
            return container
    return None


def element_variable(
    facts: Facts, container: cst.CSTNode
) -> tuple[Loop, cst.BaseExpression] | None:
    """When a loop walks ``container`` (as its iterable, or an argument of ``enumerate()``
    or ``zip()`` that is), the loop and the part of its target that takes the elements."""
    parent = facts.parent(container)
    loop: cst.CSTNode | None = parent
    if isinstance(parent, cst.Arg):
        call = facts.parent(parent)
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value in PAIRING_CALLS
        ):
            return None
        loop = facts.parent(call)
        if not (isinstance(loop, cst.For | cst.CompFor) and loop.iter is call):
            return None
    elif not (isinstance(loop, cst.For | cst.CompFor) and loop.iter is container):
        return None
    for source, part in loop_sources(loop):
        if source is container:
            return loop, part
    return None
