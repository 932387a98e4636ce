"""How much a child can put on a queue: MP402's question.

A `multiprocessing.Queue` hands items to a feeder thread that writes them to a pipe; a
child cannot exit until that pipe has taken everything (64 KiB on Linux). Joining a child
before taking its items hangs only when it can put more than that: a put in a loop, or a
payload whose size is large or unknown. One put of a number, a short string or a small
tuple of them cannot fill the pipe.
"""

from __future__ import annotations

import libcst as cst

import mplint.flow as flow
from mplint.checks.sync.primitive_calls import method_name, receiver_of
from mplint.facts import Facts, call_argument

# Calls whose result is one number or flag, whatever their arguments.
_SCALAR_CALLS = frozenset(
    {"int", "float", "bool", "len", "sum", "min", "max", "round", "abs", "ord", "hash"}
)
_SCALAR_METHODS = frozenset({"count", "index", "bit_length", "is_integer"})
_ARITHMETIC = (
    cst.Add,
    cst.Subtract,
    cst.Multiply,
    cst.Divide,
    cst.FloorDivide,
    cst.Modulo,
    cst.Power,
    cst.BitAnd,
    cst.BitOr,
    cst.BitXor,
    cst.LeftShift,
    cst.RightShift,
)
_SHORT_STRING = 1000


def _is_loop_variable_over_range(facts: Facts, name: cst.Name) -> bool:
    bindings = facts.visible_bindings(name)
    return len(bindings) == 1 and (
        isinstance(bindings[0].node, cst.For)
        and isinstance(bindings[0].node.iter, cst.Call)
        and isinstance(bindings[0].node.iter.func, cst.Name)
        and bindings[0].node.iter.func.value == "range"
    )


def is_small(
    facts: Facts, node: cst.BaseExpression, arguments: dict[str, cst.BaseExpression], depth: int = 0
) -> bool:
    """The expression surely pickles to a few bytes: a number, a short string, None, a
    flag, arithmetic on numbers, a small tuple of those. ``arguments``: what the process
    call passes for the child function's parameters, by name."""
    if depth > 6:
        return False
    if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
        return True
    if isinstance(node, cst.SimpleString):
        return len(node.value) < _SHORT_STRING
    if isinstance(node, cst.UnaryOperation):
        return is_small(facts, node.expression, arguments, depth + 1)
    if isinstance(node, cst.BinaryOperation):
        if not isinstance(node.operator, _ARITHMETIC):
            return False
        # Both sides must be small numbers: `[0] * n` and `"-" * n` are not.
        if isinstance(node.operator, cst.Multiply | cst.Power) and any(
            isinstance(side, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString)
            for side in (node.left, node.right)
        ):
            return False
        return is_small(facts, node.left, arguments, depth + 1) and is_small(
            facts, node.right, arguments, depth + 1
        )
    if isinstance(node, cst.Comparison):
        return True
    if isinstance(node, cst.Tuple) and len(node.elements) <= 8:
        return all(
            not isinstance(e, cst.StarredElement) and is_small(facts, e.value, arguments, depth + 1)
            for e in node.elements
        )
    if isinstance(node, cst.FormattedString):
        return all(
            not isinstance(part, cst.FormattedStringExpression)
            or is_small(facts, part.expression, arguments, depth + 1)
            for part in node.parts
        )
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Name) and func.value in _SCALAR_CALLS:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in _SCALAR_METHODS:
            return True
        return False
    if isinstance(node, cst.Name):
        if node.value in ("None", "True", "False"):
            return True
        bindings = facts.visible_bindings(node)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            given = arguments.get(node.value)
            if given is None:
                return False
            if isinstance(given, cst.Name) and _is_loop_variable_over_range(facts, given):
                return True
            return is_small(facts, given, {}, depth + 1)
        if _is_loop_variable_over_range(facts, node):
            return True
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.For):
            return _small_elements(facts, bindings[0].node.iter, arguments, depth + 1)
        return bool(bindings) and all(
            b.value is not None
            and b.unpack_index is None
            and is_small(facts, b.value, arguments, depth + 1)
            for b in bindings
        )
    return False


def _small_elements(
    facts: Facts, iterator: cst.BaseExpression, arguments: dict[str, cst.BaseExpression], depth: int
) -> bool:
    """Every element of the iterable is small: `range(...)`, a literal of small items, or the
    child function's argument that is one of those."""
    if isinstance(iterator, cst.Name):
        bindings = facts.visible_bindings(iterator)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            given = arguments.get(iterator.value)
            return given is not None and _small_elements(facts, given, {}, depth + 1)
        return False
    if isinstance(iterator, cst.Call):
        return isinstance(iterator.func, cst.Name) and iterator.func.value == "range"
    if isinstance(iterator, cst.List | cst.Tuple | cst.Set):
        return all(
            not isinstance(e, cst.StarredElement) and is_small(facts, e.value, {}, depth + 1)
            for e in iterator.elements
        )
    return False


_QUEUE_KEEPING = frozenset({"put", "put_nowait", "close", "join_thread", "cancel_join_thread"})


def may_overfill(facts: Facts, process_call: cst.Call, queue: cst.Name) -> bool:
    """Whether the child that ``process_call`` makes can put more on ``queue`` than a pipe
    holds before anyone takes it: a put in a loop, a payload of large or unknown size, or
    the queue handed on to code that is not followed. False only when every put is a
    single small one."""

    target = call_argument(process_call, "target", 1)
    function = facts.function_for(target.value) if target is not None else None
    if function is None:
        return True
    site = next((s for s in facts.call_sites.get(function, ()) if s.call is process_call), None)
    if site is None:
        return True
    params = function.params
    arguments: dict[str, cst.BaseExpression] = {}
    queue_params: list[cst.Param] = []
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        argument = site.argument_for(param)
        if argument is None:
            continue
        arguments[param.name.value] = argument
        if isinstance(argument, cst.Name) and argument.value == queue.value:
            queue_params.append(param)
    if not queue_params:
        return True
    for param in queue_params:
        for name in facts.name_nodes.get(param.name.value, ()):
            if name is param.name or not _inside(facts, name, function):
                continue
            bindings = facts.visible_bindings(name)
            if len(bindings) != 1 or bindings[0].node is not param:
                continue
            parent = facts.parent(name)
            call = facts.parent(parent) if isinstance(parent, cst.Attribute) else None
            if not (isinstance(call, cst.Call) and receiver_of(call) is name):
                return True  # handed on, stored: its puts are not followed
            method = method_name(call)
            if method not in _QUEUE_KEEPING:
                return True
            if method in ("put", "put_nowait"):
                if flow.in_loop_within(facts, call, function) and not _few_rounds(
                    facts, call, function, arguments
                ):
                    return True
                item = call_argument(call, "obj", 0)
                if item is None or not is_small(facts, item.value, arguments):
                    return True
    return False


def _inside(facts: Facts, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return any(a is container for a in facts.ancestors(node))


_FEW_ROUNDS = 100


def _literal_int(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    return None


def _rounds(
    facts: Facts, iterator: cst.BaseExpression, arguments: dict[str, cst.BaseExpression]
) -> int | None:
    """How many times a `for` goes round when that is written in the source: a literal
    list, tuple or set, or `range()` of literal numbers (directly, or given as the
    child function's argument)."""
    if isinstance(iterator, cst.Name):
        bindings = facts.visible_bindings(iterator)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            given = arguments.get(iterator.value)
            return _rounds(facts, given, {}) if given is not None else None
        return None
    if isinstance(iterator, cst.List | cst.Tuple | cst.Set):
        if any(isinstance(e, cst.StarredElement) for e in iterator.elements):
            return None
        return len(iterator.elements)
    if (
        isinstance(iterator, cst.Call)
        and isinstance(iterator.func, cst.Name)
        and iterator.func.value == "range"
        and 1 <= len(iterator.args) <= 3
    ):
        bounds = [_literal_int(arg.value) for arg in iterator.args]
        if any(b is None for b in bounds):
            return None
        return len(range(*bounds))  # type: ignore[arg-type]
    return None


def _few_rounds(
    facts: Facts,
    call: cst.Call,
    function: cst.FunctionDef,
    arguments: dict[str, cst.BaseExpression],
) -> bool:
    """Every loop around the put goes round a known, small number of times (a hundred small
    items pickle to a few kilobytes, far below what the pipe holds)."""
    total = 1
    for ancestor in facts.ancestors(call):
        if ancestor is function:
            return total <= _FEW_ROUNDS
        if isinstance(ancestor, cst.While | cst.CompFor):
            return False
        if isinstance(ancestor, cst.For):
            if not _inside(facts, call, ancestor.body):
                return False
            rounds = _rounds(facts, ancestor.iter, arguments)
            if rounds is None:
                return False
            total *= rounds
    return False
