"""Plain syntax helpers (no analysis): names of expressions, literal strings, call
arguments, the main guard's test, and the fast read-only walk of libcst nodes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container, Iterable, Iterator
from operator import attrgetter
from typing import Any, TypeVar

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)


def split_arguments(
    args: Iterable[cst.Arg],
) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression], bool]:
    """The positional and keyword arguments of a call; complete is False after a star."""
    positional: list[cst.BaseExpression] = []
    keywords: dict[str, cst.BaseExpression] = {}
    complete = True
    for arg in args:
        if arg.star:
            complete = False
        elif arg.keyword is not None:
            keywords[arg.keyword.value] = arg.value
        elif complete:
            positional.append(arg.value)
    return positional, keywords, complete


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value  # bytes for b"...", None when an f-string is part of it
        return value if isinstance(value, str) else None
    return None


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` as a string, for plain names and attribute chains only."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def bound_names(target: cst.BaseExpression) -> set[str]:
    """The plain names an assignment target binds: ``a``, ``a, (b, c)``, ``[a, b]``."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        names: set[str] = set()
        for element in target.elements:
            names |= bound_names(element.value)
        return names
    return set()


def source_text(node: cst.CSTNode) -> str:
    """The code of a node as written (for messages)."""
    return cst.Module(body=[]).code_for_node(node)


def short_source_text(node: cst.CSTNode, limit: int = 60) -> str:
    """The code of a node on one line, cut to ``limit`` characters."""
    text = " ".join(source_text(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Exact types, for the hottest tests: isinstance() against a libcst class goes through
# ABCMeta whenever it answers no, several times slower than a set lookup. (Every
# concrete libcst node class is a leaf: only the abstract Base* classes have subclasses.)
FUNCTION_TYPES = frozenset({cst.FunctionDef, cst.Lambda})
SCOPE_TYPES = frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module})
COMPREHENSION_TYPES = frozenset({cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp})

_exact: dict[object, frozenset[type] | None] = {}


def exact_types(kinds: type | tuple[type, ...]) -> frozenset[type] | None:
    """The kinds as a set of exact types when none of them has a subclass, so that
    ``type(node) in`` answers what ``isinstance(node, kinds)`` would; else None."""
    if kinds not in _exact:
        every = kinds if isinstance(kinds, tuple) else (kinds,)
        leaves = not any(kind.__subclasses__() for kind in every)
        _exact[kinds] = frozenset(every) if leaves else None
    return _exact[kinds]


# What a walk that stays in one function's own code does not enter.
NESTED_SCOPES: tuple[type[cst.CSTNode], ...] = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def walk(node: cst.CSTNode, skip: tuple[type, ...] = ()) -> Iterator[cst.CSTNode]:
    """The subtree's nodes, the root first. A node of a ``skip`` kind below the root is
    neither given nor entered (``skip=NESTED_SCOPES`` keeps the walk in the root's own
    function)."""
    exact = exact_types(skip)
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if current is not node and (
            type(current) in exact if exact is not None else isinstance(current, skip)
        ):
            continue
        yield current
        stack.extend(_children(current))


def nodes_in(
    node: cst.CSTNode, kinds: type[N] | tuple[type[N], ...], skip: tuple[type, ...] = ()
) -> list[N]:
    """Every node of ``kinds`` in the subtree, the root included (walked as in ``walk``)."""
    exact = exact_types(kinds)
    if exact is not None:
        found = [current for current in walk(node, skip) if type(current) in exact]
        return found  # type: ignore[return-value]
    return [current for current in walk(node, skip) if isinstance(current, kinds)]


def contains(
    node: cst.CSTNode, kinds: type | tuple[type, ...], skip: tuple[type, ...] = ()
) -> bool:
    """Whether the subtree holds a node of ``kinds`` (walked as in ``walk``)."""
    exact = exact_types(kinds)
    if exact is not None:
        return any(type(current) in exact for current in walk(node, skip))
    return any(isinstance(current, kinds) for current in walk(node, skip))


def names_in(node: cst.CSTNode) -> list[cst.Name]:
    """Every Name in the subtree (a plain walk: lambdas and comprehensions included)."""
    return nodes_in(node, cst.Name)


def is_method_call(call: cst.Call, methods: str | Container[str], receiver: str) -> bool:
    """Is this ``receiver.method(...)`` for a plain name ``receiver``?"""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return False
    method = func.attr.value
    wanted = method == methods if isinstance(methods, str) else method in methods
    return wanted and func.value.value == receiver


def lambda_call(node: cst.BaseExpression) -> cst.BaseExpression:
    """What a task given as ``lambda ...: f(...)`` runs: ``f``; any other node unchanged.

    The child calls the lambda, and the lambda calls ``f`` there, so ``f`` runs in the
    child (when the lambda can be sent at all: under fork, or in a thread).
    """
    if isinstance(node, cst.Lambda) and isinstance(node.body, cst.Call):
        return node.body.func
    return node


def call_argument(call: cst.Call, keyword: str, position: int | None = None) -> cst.Arg | None:
    """The argument passed as ``keyword=`` or at ``position`` (counting positional args only)."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == keyword:
                return arg
            continue
        if arg.star:
            return None if position is not None and positional <= position else arg
        if position is not None and positional == position:
            return arg
        positional += 1
    return None


def is_main_guard_test(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if string_value(s) == "__main__"]
    return len(names) == 1 and len(strings) == 1


# Nodes that carry only layout or punctuation: the walk does not descend into them.
_LAYOUT_BASES = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
)
# isinstance() against libcst's abstract classes is slow; the walk tests exact types.
_WALKED_TYPES = frozenset(
    value
    for value in vars(cst).values()
    if isinstance(value, type)
    and cst.CSTNode in value.__mro__
    # __mro__ rather than issubclass(): libcst's bases are ABCs, and 4,000 ABC
    # subclass checks cost 50 ms of every run's start-up.
    and not any(base in value.__mro__ for base in _LAYOUT_BASES)
)
# Fields in the order their code appears, where the dataclass lists them otherwise.
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.Module: ("header", "body", "footer"),
    cst.FunctionDef: (
        "leading_lines",
        "decorators",
        "lines_after_decorators",
        "asynchronous",
        "name",
        "type_parameters",
        "params",
        "returns",
        "body",
    ),
    cst.ClassDef: (
        "leading_lines",
        "decorators",
        "lines_after_decorators",
        "name",
        "type_parameters",
        "bases",
        "keywords",
        "body",
    ),
    cst.Parameters: (
        "posonly_params",
        "posonly_ind",
        "params",
        "star_arg",
        "kwonly_params",
        "star_kwarg",
    ),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Arg: ("star", "keyword", "equal", "value", "comma"),
    cst.Param: ("star", "name", "annotation", "equal", "default", "comma"),
    cst.ImportFrom: ("relative", "module", "names"),
    cst.ExceptHandler: ("leading_lines", "type", "name", "body"),
    cst.IndentedBlock: ("header", "body", "footer"),
    cst.For: ("leading_lines", "asynchronous", "target", "iter", "body", "orelse"),
    cst.With: ("leading_lines", "asynchronous", "items", "body"),
    cst.CompFor: ("asynchronous", "target", "iter", "ifs", "inner_for_in"),
}
_ALL_FIELDS: dict[type, tuple[str, ...]] = {}
_FIRST = ("leading_lines", "lpar")


def _all_fields_in_source_order(node_type: type) -> tuple[str, ...]:
    fields = _ALL_FIELDS.get(node_type)
    if fields is None:
        names = [f.name for f in dataclasses.fields(node_type)]
        ordered = [n for n in _FIRST if n in names]
        ordered += [n for n in _SOURCE_ORDER.get(node_type, ()) if n not in ordered]
        ordered += [n for n in names if n not in ordered]
        fields = _ALL_FIELDS[node_type] = tuple(ordered)
    return fields


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    """The fields the facts walk enters, in source order: layout fields left out."""
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = _CHILD_FIELDS[node_type] = tuple(
            name
            for name in _all_fields_in_source_order(node_type)
            if not name.startswith(("whitespace", "lpar", "rpar", "leading_lines", "lines_"))
        )
    return fields


def _all_node_types() -> frozenset[type]:
    found: set[type] = set()
    todo: list[type] = [cst.CSTNode]
    while todo:
        subclasses: list[type] = todo.pop().__subclasses__()
        for subclass in subclasses:
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return frozenset(found)


# Every libcst node class: exact type tests instead of isinstance() against the ABC
# CSTNode, which takes the slow path for every field that holds no node.
_NODE_TYPES = _all_node_types()
_FIELD_VALUES: dict[type, Callable[[cst.CSTNode], tuple[Any, ...]]] = {}


def _field_values(node_type: type) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    """A function giving the values of all of a node type's fields, in source order."""
    getter = _FIELD_VALUES.get(node_type)
    if getter is None:
        fields = _all_fields_in_source_order(node_type)
        if not fields:
            getter = _no_fields
        elif len(fields) == 1:
            one = attrgetter(fields[0])
            getter = lambda node: (one(node),)  # noqa: E731
        else:
            getter = attrgetter(*fields)
        _FIELD_VALUES[node_type] = getter
    return getter


def _no_fields(node: cst.CSTNode) -> tuple[Any, ...]:
    return ()


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    children: list[cst.CSTNode] = []
    node_types = _NODE_TYPES
    for value in _field_values(type(node))(node):
        value_type = type(value)
        if value_type in node_types:
            children.append(value)
        elif value_type is tuple or value_type is list:
            children.extend(v for v in value if type(v) in node_types)
    return children


_Hook = Callable[[Any, cst.CSTNode], Any]
_HOOKS: dict[tuple[type, type], tuple[_Hook | None, _Hook | None]] = {}


def _hooks(visitor_type: type, node_type: type) -> tuple[_Hook | None, _Hook | None]:
    """The ``visit_X`` and ``leave_X`` a visitor class defines for a node type; None for
    those it leaves to libcst's empty defaults."""
    key = (visitor_type, node_type)
    hooks = _HOOKS.get(key)
    if hooks is None:
        found: list[_Hook | None] = []
        for prefix in ("visit_", "leave_"):
            name = prefix + node_type.__name__
            hook = getattr(visitor_type, name, None)
            found.append(None if hook is getattr(cst.CSTVisitor, name, None) else hook)
        hooks = _HOOKS[key] = (found[0], found[1])
    return hooks


class FastVisitor(cst.CSTVisitor):
    """A read-only visitor used as usual (``visit_X``/``leave_X``, ``node.visit(v)``) that
    walks the nodes itself: libcst's own visit rebuilds every node it passes, which
    costs as much as parsing them. The hooks are looked up once per visitor class and
    node type; ``visit_X_attr`` hooks are not called. Do not override
    ``on_visit``/``on_leave``."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        # libcst calls this for the root only, then our on_leave for it.
        visitor_type = type(self)
        visit, _ = _hooks(visitor_type, type(node))
        if visit is not None and visit(self, node) is False:
            return False
        todo: list[tuple[cst.CSTNode, _Hook | None]] = [
            (c, None) for c in reversed(_children(node))
        ]
        pop, push = todo.pop, todo.append
        while todo:
            current, leave = pop()
            if leave is not None:
                leave(self, current)
                continue
            visit, leave = _hooks(visitor_type, type(current))
            if leave is not None:
                push((current, leave))
            if visit is None or visit(self, current) is not False:
                todo.extend((c, None) for c in reversed(_children(current)))
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        _, leave = _hooks(type(self), type(original_node))
        if leave is not None:
            leave(self, original_node)


class OwnCodeVisitor(FastVisitor):
    """A FastVisitor that stays in the code it is run on: it does not enter nested
    functions, classes or lambdas (run it on a body, not on the definition itself)."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False
