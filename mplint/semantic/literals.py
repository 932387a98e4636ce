"""What literal type a value surely has: a string, a number, None or a dict.

``literal_type(facts, node)`` answers for a literal written in place and for a name whose
every visible binding is such a literal (followed through names, a unary sign, and a
``for i in range(...)`` loop variable, which is an int). Anything else is None: a list
or a tuple, a parameter, a call's result, or bindings that disagree. Unsure means silent.

A list in parentheses (``([i])``) is a list, not a tuple: ``Process`` and ``Pool`` turn
any iterable into the call's arguments, so it passes the list's elements, exactly like
``[i]``; this module does not call it a literal type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import libcst as cst

if TYPE_CHECKING:
    from mplint.facts import Facts

LiteralType = Literal["string", "number", "none", "dict"]
_MAX_DEPTH = 3


def _range_loop(loop: cst.For) -> bool:
    iterator = loop.iter
    return (
        isinstance(loop.target, cst.Name)
        and isinstance(iterator, cst.Call)
        and isinstance(iterator.func, cst.Name)
        and iterator.func.value == "range"
    )


def literal_type(facts: Facts, node: cst.BaseExpression, depth: int = 0) -> LiteralType | None:
    """The literal type ``node`` surely holds, or None when it may be anything else."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString):
        return "string"
    if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
        return "number"
    if isinstance(node, cst.Dict | cst.DictComp):
        return "dict"
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return "number" if node.value != "None" else "none"
    if isinstance(node, cst.UnaryOperation):
        return literal_type(facts, node.expression, depth)
    if not isinstance(node, cst.Name) or depth >= _MAX_DEPTH:
        return None
    bindings = facts.visible_bindings(node)
    if not bindings:
        return None
    found: set[LiteralType | None] = set()
    for binding in bindings:
        if isinstance(binding.node, cst.For) and binding.value is None:
            if not _range_loop(binding.node):
                return None
            found.add("number")
            continue
        if binding.value is None or binding.unpack_index is not None:
            return None
        found.add(literal_type(facts, binding.value, depth + 1))
    return found.pop() if len(found) == 1 else None


# Methods of a list, dict, set or deque that change it in place.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "appendleft",
        "extendleft",
        "popleft",
        "rotate",
        "__setitem__",
        "__delitem__",
        "__iadd__",
    }
)
