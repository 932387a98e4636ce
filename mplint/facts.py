"""The single pass: everything the checks ask about one file, gathered in one walk.

The walk records, without libcst metadata providers: every node's parent, the
imports (through ``names.canonical``), calls, function and class definitions,
simple assignments (which name holds which object), ``global`` declarations and
the main guard. The queries below answer the checks' questions from those
records; anything the analysis cannot be sure of answers ``None`` or ``False``
so that checks stay silent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from mplint.names import (
    MANAGER_PROXY_KINDS,
    STAR_EXPORTS,
    canonical,
    is_process_module,
    kind_of_constructor,
)
from mplint.semantic import classes, reach
from mplint.semantic.api import (
    CONSTRUCTORS,
    Api,
    TaskArguments,
    method_api,
    sent_arguments,
    starmap_tuples,
    task_arguments,
)
from mplint.semantic.kinds import Kind, Via

Scope = cst.Module | cst.FunctionDef | cst.Lambda

POOL_TASK_METHODS = frozenset(
    {
        "map",
        "map_async",
        "imap",
        "imap_unordered",
        "starmap",
        "starmap_async",
        "apply",
        "apply_async",
        "submit",
    }
)
POOL_KINDS = frozenset({Kind.POOL, Kind.EXECUTOR})
START_METHODS = ("fork", "spawn", "forkserver")


@dataclass(frozen=True, slots=True)
class ChildUse:
    """A function of this file that runs in another process, and how it gets there."""

    function: cst.FunctionDef
    via: Via
    call: cst.CSTNode  # the call (or class) that sends it there
    daemonic: bool


@dataclass(slots=True)
class Binding:
    name: str
    value: cst.BaseExpression | None  # None: bound to something unknown (a parameter, a loop)
    node: cst.CSTNode  # the statement or expression that binds it
    scope: Scope
    unpack_index: int | None = None  # a, b = Pipe(): position in the tuple
    target: cst.BaseExpression | None = None  # obj.x = ...: the attribute stored to


ASYNC_RESULT_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.BaseManager", "multiprocessing.managers.SyncManager"}
)


@dataclass(frozen=True, slots=True)
class CallSite:
    """A place that calls a function of this file, directly or by handing it to a
    process, thread, pool or executor, with the arguments it passes."""

    function: cst.FunctionDef
    call: cst.Call | None
    positional: tuple[cst.BaseExpression, ...]
    keywords: Mapping[str, cst.BaseExpression]
    complete: bool  # False when *args, **kwargs or a non-literal args= hide arguments
    bound: bool  # called as self.method: the first parameter is self

    def extended(
        self,
        call: cst.Call,
        positional: Iterable[cst.BaseExpression],
        keywords: Mapping[str, cst.BaseExpression],
        complete: bool,
    ) -> CallSite:
        """This site with more arguments appended (a partial's, then the call's)."""
        return CallSite(
            self.function,
            call,
            (*self.positional, *positional) if self.complete else self.positional,
            {**self.keywords, **keywords},
            self.complete and complete,
            self.bound,
        )

    def argument_for(self, param: cst.Param) -> cst.BaseExpression | None:
        """The expression this site passes for ``param`` (its default when left out),
        or None when that cannot be read."""
        params = self.function.params
        positional = [*params.posonly_params, *params.params]
        if self.bound:
            if not positional or positional[0] is param:
                return None
            positional = positional[1:]
        name = param.name.value
        if param in positional:
            index = positional.index(param)
            if index < len(self.positional):
                return self.positional[index]
            if not self.complete:
                return None
            if param not in params.posonly_params and name in self.keywords:
                return self.keywords[name]
            return param.default
        if param in params.kwonly_params:
            if name in self.keywords:
                return self.keywords[name]
            return param.default if self.complete else None
        return None


def _arguments(
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


def is_method_call(call: cst.Call, methods: str | Container[str], receiver: str) -> bool:
    """Is this ``receiver.method(...)`` for a plain name ``receiver``?"""
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
        return False
    method = func.attr.value
    wanted = method == methods if isinstance(methods, str) else method in methods
    return wanted and func.value.value == receiver


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


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    children: list[cst.CSTNode] = []
    for name in _all_fields_in_source_order(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            children.append(value)
        elif type(value) is tuple or type(value) is list:
            children.extend(v for v in value if isinstance(v, cst.CSTNode))
    return children


class FastVisitor(cst.CSTVisitor):
    """A read-only visitor used as usual (``visit_X``/``leave_X``, ``node.visit(v)``) that
    walks the nodes itself: libcst's own visit rebuilds every node it passes, which
    costs as much as parsing them. Do not override ``on_visit``/``on_leave``."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        # libcst calls this for the root only, then our on_leave for it.
        if not cst.CSTVisitor.on_visit(self, node):
            return False
        todo: list[tuple[cst.CSTNode, bool]] = [(c, False) for c in reversed(_children(node))]
        while todo:
            current, leaving = todo.pop()
            if leaving:
                cst.CSTVisitor.on_leave(self, current)
                continue
            todo.append((current, True))
            if cst.CSTVisitor.on_visit(self, current):
                todo.extend((c, False) for c in reversed(_children(current)))
        return False


# What the kind search returns for a value that flows back to itself.
_CYCLE = "<cycle>"


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_empty_container(node: cst.BaseExpression) -> bool:
    """``[]``, ``{}``, ``set()``, ``list()``, ``dict()``."""
    if isinstance(node, cst.List | cst.Dict):
        return not node.elements
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value in ("list", "dict", "set")
        and not node.args
    )


_FILL_METHODS = {"append": 1, "add": 1, "insert": 2, "extend": 1}
# Builtins whose result holds the elements of their first argument.
_SAME_ELEMENTS = frozenset({"list", "tuple", "set", "sorted", "reversed", "iter"})


def _fills(call: cst.Call) -> bool:
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and _FILL_METHODS.get(func.attr.value) == len(call.args)
        and not any(arg.star or arg.keyword for arg in call.args)
    )


def _receiver_text(call: cst.Call) -> str | None:
    func = call.func
    return dotted_name(func.value) if isinstance(func, cst.Attribute) else None


def _one_kind(kinds: set[str | None]) -> str | None:
    """The one kind all bindings agree on, leaving out values that only cycle back."""
    real = kinds - {_CYCLE}
    if not real:
        return _CYCLE if kinds else None
    return real.pop() if len(real) == 1 else None


class _Collector:
    """One pre-order walk over the module. It reads the nodes' fields directly instead of
    using libcst's visitor, which rebuilds every node it passes and costs as much as the
    parse itself; layout and punctuation nodes are not entered."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.stack: list[cst.CSTNode] = []
        self.scopes: list[Scope] = []
        self.handlers: dict[type[cst.CSTNode], Callable[..., None]] = {
            cst.Import: self._import,
            cst.ImportFrom: self._import_from,
            cst.Call: self._call,
            cst.FunctionDef: self._function,
            cst.Lambda: self._lambda,
            cst.ClassDef: self._class,
            cst.Assign: self._assign,
            cst.AnnAssign: self._ann_assign,
            cst.NamedExpr: self._walrus,
            cst.WithItem: self._with_item,
            cst.Global: self._global,
            cst.If: self._if,
            cst.For: self._for,
            cst.CompFor: self._comp_for,
            cst.Return: self._return,
            cst.Attribute: self._attribute,
            cst.Name: self._name,
        }

    def walk(self, module: cst.Module) -> None:
        parents = self.facts.parents
        handlers = self.handlers
        stack = self.stack
        leave = object()
        todo: list[tuple[cst.CSTNode, object]] = [(module, None)]
        while todo:
            node, parent = todo.pop()
            if parent is leave:
                stack.pop()
                if isinstance(node, cst.FunctionDef | cst.Lambda):
                    self.scopes.pop()
                continue
            if parent is not None:
                parents[node] = parent  # type: ignore[assignment]
            stack.append(node)
            handler = handlers.get(type(node))
            if handler is not None:
                handler(node)
            todo.append((node, leave))
            children: list[cst.CSTNode] = []
            for name in _child_fields(type(node)):
                value = getattr(node, name)
                value_type = type(value)
                if value_type in _WALKED_TYPES:
                    children.append(value)
                elif value_type is tuple or value_type is list:
                    children.extend(v for v in value if type(v) in _WALKED_TYPES)
            for child in reversed(children):
                todo.append((child, node))

    @property
    def scope(self) -> Scope:
        return self.scopes[-1] if self.scopes else self.facts.module

    def _import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.facts.imports[alias.asname.name.value] = canonical(full)
            else:
                top = full.split(".", 1)[0]
                self.facts.imports[top] = canonical(top)
                if canonical(full) != full:  # import torch.multiprocessing: torch.multiprocessing.X
                    self.facts.imports[full] = canonical(full)

    def _import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = dotted_name(node.module)
        if module is None:
            return
        if isinstance(node.names, cst.ImportStar):
            self.facts.star_modules.append(canonical(module))
            return
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.name.value
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.facts.imports[local] = canonical(f"{module}.{alias.name.value}")

    def _call(self, node: cst.Call) -> None:
        self.facts.calls.append(node)

    def _function(self, node: cst.FunctionDef) -> None:
        self.facts.functions.append(node)
        if isinstance(self.scope, cst.FunctionDef | cst.Lambda):
            self.facts.local_definitions.setdefault((self.scope, node.name.value), node)
        if isinstance(self.scope, cst.Module) and not any(
            isinstance(n, cst.ClassDef) for n in self.stack[:-1]
        ):
            self.facts.module_functions.setdefault(node.name.value, node)
        self._bind_parameters(node.params, node)
        self.scopes.append(node)

    def _lambda(self, node: cst.Lambda) -> None:
        self._bind_parameters(node.params, node)
        self.scopes.append(node)

    def _bind_parameters(self, params: cst.Parameters, scope: Scope) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for param in every:
            self._record(param.name.value, None, param, scope)

    def _class(self, node: cst.ClassDef) -> None:
        if isinstance(self.scope, cst.FunctionDef | cst.Lambda):
            self.facts.local_definitions.setdefault((self.scope, node.name.value), node)
        else:
            self.facts.classes.setdefault(node.name.value, node)

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value, node)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self._bind_target(node.target, node.value, node)

    def _walrus(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, node.value, node)

    def _with_item(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_target(node.asname.name, node.item, node)

    def _for(self, node: cst.For) -> None:
        self._bind_target(node.target, None, node)

    def _comp_for(self, node: cst.CompFor) -> None:
        # A comprehension's variables live in the comprehension only: kept apart from
        # the scope's bindings, asked by ``kind_of`` for a name used inside it.
        self.facts.comprehension_targets[node] = bound_names(node.target)

    def _return(self, node: cst.Return) -> None:
        if isinstance(self.scope, cst.FunctionDef):
            self.facts.returns.setdefault(self.scope, []).append(node.value)

    def _attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            self.facts.attribute_uses.append(node)

    def _name(self, node: cst.Name) -> None:
        self.facts.name_nodes.setdefault(node.value, []).append(node)

    def _global(self, node: cst.Global) -> None:
        if isinstance(self.scope, cst.FunctionDef):
            names = self.facts.globals_declared.setdefault(self.scope, set())
            names.update(item.name.value for item in node.names)

    def _if(self, node: cst.If) -> None:
        if (
            len(self.stack) >= 2
            and isinstance(self.stack[-2], cst.Module)
            and is_main_guard_test(node.test)
        ):
            self.facts.main_guards.append(node)

    def _bind_target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        node: cst.CSTNode,
    ) -> None:
        if isinstance(target, cst.Name):
            self._record(target.value, value, node, self.scope)
        elif isinstance(target, cst.Tuple | cst.List):
            values: list[cst.BaseExpression] | None = None
            if isinstance(value, cst.Tuple | cst.List) and len(value.elements) == len(
                target.elements
            ):
                values = [element.value for element in value.elements]
            for index, element in enumerate(target.elements):
                if values is not None:
                    self._bind_target(element.value, values[index], node)
                elif isinstance(element.value, cst.Name):
                    self._record(element.value.value, value, node, self.scope, index)
                else:
                    self._bind_target(element.value, None, node)
        elif isinstance(target, cst.Attribute):
            if isinstance(target.value, cst.Name):
                name = f"{target.value.value}.{target.attr.value}"
                binding = Binding(name, value, node, self.scope, target=target)
                self.facts.attribute_bindings.append(binding)
                if target.value.value == "self":
                    self.facts.self_attribute_bindings.append(binding)
        elif isinstance(target, cst.Subscript) and value is not None:
            holder = target.value
            if isinstance(holder, cst.Name):  # d[k] = v: v is one of d's elements
                key = (self.scope, holder.value)
                self.facts.subscript_stores.setdefault(key, []).append(value)

    def _record(
        self,
        name: str,
        value: cst.BaseExpression | None,
        node: cst.CSTNode,
        scope: Scope,
        unpack_index: int | None = None,
    ) -> None:
        self.facts.bindings.setdefault((scope, name), []).append(
            Binding(name, value, node, scope, unpack_index)
        )


class Facts:
    """What one file does with processes; built once, queried by every check."""

    def __init__(self, module: cst.Module, start_method_setting: str = "auto") -> None:
        self.module = module
        self.start_method_setting = start_method_setting
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.imports: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.calls: list[cst.Call] = []
        self.functions: list[cst.FunctionDef] = []
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.bindings: dict[tuple[Scope, str], list[Binding]] = {}
        # Every `obj.x = value` with a plain name obj; the `self.x = ...` ones again below.
        self.attribute_bindings: list[Binding] = []
        self.self_attribute_bindings: list[Binding] = []
        # `d[k] = value` by (scope, d): what a container was filled with.
        self.subscript_stores: dict[tuple[Scope, str], list[cst.BaseExpression]] = {}
        # The names each comprehension `for` binds.
        self.comprehension_targets: dict[cst.CompFor, set[str]] = {}
        # `return value` of each function (None for a bare return).
        self.returns: dict[cst.FunctionDef, list[cst.BaseExpression | None]] = {}
        self.globals_declared: dict[cst.FunctionDef, set[str]] = {}
        # Functions and classes defined inside a function: (scope, name) -> definition.
        self.local_definitions: dict[tuple[Scope, str], cst.FunctionDef | cst.ClassDef] = {}
        self.main_guards: list[cst.If] = []
        # Every `name.attr` in source order: p.start(), p.daemon = True, p.exitcode, ...
        self.attribute_uses: list[cst.Attribute] = []
        # Every Name node by its text, in source order (loads, stores, attribute names alike);
        # ``references`` filters them.
        self.name_nodes: dict[str, list[cst.Name]] = {}
        _Collector(self).walk(module)
        self._resolving: set[int] = set()
        self._scope_cache: dict[cst.CSTNode, Scope] = {}
        self._resolve_cache: dict[cst.CSTNode, str | None] = {}
        self._kind_cache: dict[cst.CSTNode, str | None] = {}
        self._kind_pending: set[cst.CSTNode] = set()
        self._parameter_kinds: dict[cst.Param, Kind | None] = {}
        self._parameters_pending: set[cst.Param] = set()
        self.attribute_cache: dict[tuple[cst.ClassDef, str], list[Binding]] = {}
        self._callees: dict[cst.Call, list[cst.FunctionDef]] = {}

    # -- tree navigation -------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def scope_of(self, node: cst.CSTNode) -> Scope:
        cached = self._scope_cache.get(node)
        if cached is not None:
            return cached
        scope: Scope = self.module
        child = node
        # Every node passed on the way up shares the answer: remember it for each, so
        # that the scopes of a whole function cost one walk, not one walk per node.
        passed = [node]
        for ancestor in self.ancestors(node):
            # A decorator or default value belongs to the enclosing scope, a body to the def.
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda) and child is ancestor.body:
                scope = ancestor
                break
            known = self._scope_cache.get(ancestor)
            if known is not None:
                scope = known
                break
            passed.append(ancestor)
            child = ancestor
        for visited in passed:
            self._scope_cache[visited] = scope
        return scope

    def function_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        scope = self.scope_of(node)
        while isinstance(scope, cst.Lambda):
            scope = self.scope_of(scope)
        return scope if isinstance(scope, cst.FunctionDef) else None

    def class_of(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        """The class whose body defines this function directly."""
        for ancestor in self.ancestors(function):
            if isinstance(ancestor, cst.ClassDef):
                return ancestor
            if isinstance(ancestor, cst.FunctionDef):
                return None
        return None

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode | None) -> bool:
        """Is ``node`` the container or one of its descendants? The one place that asks."""
        if container is None:
            return False
        return node is container or any(a is container for a in self.ancestors(node))

    _inside = is_inside  # the old private name, still used by checks being merged

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost statement (simple or compound) that holds the node."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(
            current, cst.BaseSmallStatement | cst.BaseCompoundStatement
        ):
            current = self.parents.get(current)
        return current if current is not None else node

    def in_main_guard(self, node: cst.CSTNode) -> bool:
        for guard in self.main_guards:
            if self._inside(node, guard.body):
                return True
        return False

    def runs_at_import(self, node: cst.CSTNode) -> bool:
        """True when the node's code runs while the module is imported: at module level
        (class bodies included), outside the main guard and outside function bodies."""
        if self.in_main_guard(node):
            return False
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef) and self._inside(node, ancestor.body):
                return False
            if isinstance(ancestor, cst.Lambda):
                return False
        return True

    def result_dropped(self, call: cst.Call) -> bool:
        """True when nothing can ever use what the call made: it is a statement of its
        own (``Process(...)``), or bound to a plain name that is not read anywhere in
        its scope, nested functions included (``p = Process(...)`` and no other ``p``).
        An object that is dropped is never started, pickled or sent."""
        parent = self.parents.get(call)
        if isinstance(parent, cst.Expr):
            return True
        if not (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            return False
        target = parent.targets[0].target
        scope = self.scope_of(call)
        return not any(
            name is not target and self._inside(name, scope)
            for name in self.name_nodes.get(target.value, ())
        )

    # -- names -----------------------------------------------------------

    def resolve(self, node: cst.BaseExpression | None) -> str | None:
        """The canonical qualified name an expression refers to, through the imports,
        ``get_context(...)`` objects and simple aliases; None when unsure."""
        if node is None:
            return None
        if node in self._resolve_cache:
            return self._resolve_cache[node]
        resolved = self._resolve(node)
        self._resolve_cache[node] = resolved
        return resolved

    def _resolve(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return self._resolve_name(node)
        if isinstance(node, cst.Attribute):
            base = self.resolve(node.value)
            return canonical(f"{base}.{node.attr.value}") if base else None
        if isinstance(node, cst.Call):
            if self.resolve(node.func) == "multiprocessing.get_context":
                return "multiprocessing"
        return None

    def _resolve_name(self, node: cst.Name) -> str | None:
        name = node.value
        bindings = self.visible_bindings(node)
        if bindings:
            # A local alias such as `ctx = mp.get_context("spawn")` or `P = mp.Process`.
            values = {self._resolve_binding(b) for b in bindings}
            if len(values) == 1:
                return values.pop()
            return None
        if name in self.imports:
            return self.imports[name]
        for module in self.star_modules:
            if is_process_module(module) and name in STAR_EXPORTS:
                return canonical(f"{module}.{name}")
        return None

    def _resolve_binding(self, binding: Binding) -> str | None:
        value = binding.value
        if value is None or binding.unpack_index is not None:
            return None
        if not isinstance(value, cst.Name | cst.Attribute | cst.Call):
            return None
        if isinstance(value, cst.Call) and not isinstance(value.func, cst.Name | cst.Attribute):
            return None
        key = id(binding)
        if key in self._resolving:
            return None
        self._resolving.add(key)
        try:
            resolved = self.resolve(value)
        finally:
            self._resolving.discard(key)
        # Only module-like aliases count; `p = Process()` makes an object, not a name.
        if isinstance(value, cst.Call) and resolved != "multiprocessing":
            return None
        return resolved

    def visible_bindings(self, name: cst.Name) -> list[Binding]:
        """Bindings of this name in the scope where it is used, else the module's.
        Imports are not bindings here; they are in ``imports``."""
        scope = self.scope_of(name)
        while True:
            found = self.bindings.get((scope, name.value))
            if found:
                if isinstance(scope, cst.FunctionDef) and name.value in self.globals_declared.get(
                    scope, ()
                ):
                    return self.bindings.get((self.module, name.value), [])
                return found
            if isinstance(scope, cst.Module):
                return []
            scope = self.scope_of(scope)

    def local_definition(self, name: cst.Name) -> cst.FunctionDef | cst.ClassDef | None:
        """The function or class defined inside an enclosing function that this name
        refers to (a nested def), when no other binding of the name is visible first."""
        scope = self.scope_of(name)
        while not isinstance(scope, cst.Module):
            if self.bindings.get((scope, name.value)):
                return None
            found = self.local_definitions.get((scope, name.value))
            if found is not None:
                return found
            scope = self.scope_of(scope)
        return None

    def is_local_class(self, cls: cst.ClassDef) -> bool:
        return any(isinstance(a, cst.FunctionDef | cst.Lambda) for a in self.ancestors(cls))

    # -- objects ---------------------------------------------------------

    def kind_of(self, node: cst.BaseExpression | None) -> Kind | None:
        """What object an expression holds (a ``Kind``), or None when unsure."""
        kind = self._kind_of(node, 0)
        return None if kind is None or kind == _CYCLE else Kind(kind)

    def _kind_of(self, node: cst.BaseExpression | None, depth: int) -> str | None:
        if node is None or depth > 8:
            return None
        if node in self._kind_cache:
            return self._kind_cache[node]
        if node in self._kind_pending:
            # x = x.strip(), or p appended to a list that p is later read from: the value
            # flows back to itself and adds no kind of its own.
            return _CYCLE
        self._kind_pending.add(node)
        try:
            kind = self._compute_kind(node, depth)
        finally:
            self._kind_pending.discard(node)
        if kind != _CYCLE:
            self._kind_cache[node] = kind
        return kind

    def _compute_kind(self, node: cst.BaseExpression, depth: int) -> str | None:
        if isinstance(node, cst.Call):
            return self._call_kind(node, depth)
        if isinstance(node, cst.Name):
            loop = self._comprehension_binding(node) if self.comprehension_targets else None
            if loop is not None:
                return self._loop_variable_kind(loop, node.value, depth)
            bindings = self.visible_bindings(node)
            return self._kind_of_bindings(bindings, depth)
        if isinstance(node, cst.Attribute):
            return self._kind_of_bindings(self.attribute_bindings_of(node), depth)
        if isinstance(node, cst.Subscript):
            return self._element_kind(node.value, depth + 1)  # procs[0], workers[name]
        return None

    def attribute_bindings_of(self, node: cst.Attribute) -> list[Binding]:
        """What ``self.x`` or ``obj.x`` may be bound to, across the methods of its class
        and from outside it (see ``semantic.classes``); empty when unknown."""
        return classes.attribute_bindings(self, node)

    def instance_class(self, node: cst.BaseExpression) -> cst.ClassDef | None:
        """The class of this file an object is an instance of (``self``, ``w = Cls()``)."""
        return classes.instance_class(self, node)

    def _kind_of_bindings(self, bindings: list[Binding], depth: int) -> str | None:
        # `self.p = None` first and the real object later: the placeholder adds no kind.
        real = [b for b in bindings if not _is_none(b.value)]
        if not real:
            return None
        kinds = set()
        for binding in real:
            if binding.value is None:
                node = binding.node
                if isinstance(node, cst.For | cst.CompFor):
                    kinds.add(self._loop_variable_kind(node, binding.name, depth))
                    continue
                return None
            if binding.unpack_index is not None:
                kind = self._kind_of(binding.value, depth + 1)
                if kind != Kind.PIPE:  # a, b = Pipe(); else first, second = procs
                    kind = self._element_kind(binding.value, depth + 1)
            else:
                kind = self._kind_of(binding.value, depth + 1)
            kinds.add(kind)
        return _one_kind(kinds)

    def _comprehension_binding(self, name: cst.Name) -> cst.CompFor | None:
        """The comprehension ``for`` that binds this name where it is used, if any."""
        for ancestor in self.ancestors(name):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef | cst.Module):
                return None
            if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp):
                loop: cst.CompFor | None = ancestor.for_in
                while loop is not None:
                    if name.value in self.comprehension_targets.get(loop, ()):
                        return loop
                    loop = loop.inner_for_in
        return None

    def _loop_variable_kind(self, loop: cst.For | cst.CompFor, name: str, depth: int) -> str | None:
        """``for p in procs``, ``for i, p in enumerate(procs)``, ``for k, p in d.items()``."""
        target, iterable = loop.target, loop.iter
        if isinstance(target, cst.Name):
            return self._element_kind(iterable, depth + 1)
        if not isinstance(target, cst.Tuple) or len(target.elements) != 2:
            return None
        second = target.elements[1].value
        if not (isinstance(second, cst.Name) and second.value == name):
            return None
        if isinstance(iterable, cst.Call) and iterable.args:
            func = iterable.func
            if isinstance(func, cst.Name) and func.value == "enumerate":
                return self._element_kind(iterable.args[0].value, depth + 1)
            if isinstance(func, cst.Attribute) and func.attr.value == "items" and not iterable.args:
                return self._element_kind(func.value, depth + 1)
        if isinstance(iterable, cst.Call) and not iterable.args:
            func = iterable.func
            if isinstance(func, cst.Attribute) and func.attr.value == "items":
                return self._element_kind(func.value, depth + 1)
        return None

    def _element_kind(self, node: cst.BaseExpression, depth: int) -> str | None:
        """The one kind of the elements of a container (the values of a dict)."""
        if depth > 8:
            return None
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            if not node.elements or any(isinstance(e, cst.StarredElement) for e in node.elements):
                return None
            return _one_kind({self._kind_of(e.value, depth + 1) for e in node.elements})
        if isinstance(node, cst.Dict):
            values = [e.value for e in node.elements if isinstance(e, cst.DictElement)]
            if not values or len(values) != len(node.elements):
                return None
            return _one_kind({self._kind_of(v, depth + 1) for v in values})
        if isinstance(node, cst.ListComp | cst.GeneratorExp | cst.SetComp):
            return self._kind_of(node.elt, depth + 1)
        if isinstance(node, cst.DictComp):
            return self._kind_of(node.value, depth + 1)
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "values" and not node.args:
                return self._element_kind(func.value, depth + 1)  # d.values()
            if (
                isinstance(func, cst.Name)
                and func.value in _SAME_ELEMENTS
                and len(node.args) >= 1
                and not node.args[0].star
                and func.value not in self.module_functions
            ):
                return self._element_kind(node.args[0].value, depth + 1)  # list(procs)
            return None
        if isinstance(node, cst.Name | cst.Attribute):
            bindings = (
                self.visible_bindings(node)
                if isinstance(node, cst.Name)
                else self.attribute_bindings_of(node)
            )
            real = [b for b in bindings if not _is_none(b.value)]
            if not real:
                return None
            kinds: set[str | None] = set()
            for binding in real:
                if binding.value is None or binding.unpack_index is not None:
                    return None
                if _is_empty_container(binding.value):
                    kinds.update(self._filled_kinds(node, binding, depth))
                else:
                    kinds.add(self._element_kind(binding.value, depth + 1))
            return _one_kind(kinds)
        return None

    def _filled_kinds(
        self, node: cst.Name | cst.Attribute, binding: Binding, depth: int
    ) -> set[str | None]:
        """Kinds put into a container that starts empty: ``append(x)``, ``add(x)``,
        ``insert(i, x)``, ``extend(xs)``, ``d[k] = x``, in the scope that made it (or,
        for ``self.x``, anywhere ``self.x`` is filled)."""
        kinds: set[str | None] = set()
        for call in self._fill_calls(node, binding):
            method = call.func.attr.value  # type: ignore[attr-defined]
            if method == "extend":
                kinds.add(self._element_kind(call.args[0].value, depth + 1))
            else:
                kinds.add(self._kind_of(call.args[-1].value, depth + 1))
        if isinstance(node, cst.Name):
            for value in self.subscript_stores.get((binding.scope, node.value), ()):
                kinds.add(self._kind_of(value, depth + 1))
        return kinds or {None}

    def _fill_calls(self, node: cst.Name | cst.Attribute, binding: Binding) -> list[cst.Call]:
        if isinstance(node, cst.Name):
            candidates = self.calls_by_scope.get(binding.scope, ())
            return [c for c in candidates if _fills(c) and _receiver_text(c) == node.value]
        text = dotted_name(node)
        cls = self.instance_class(node.value)
        found = []
        for call in self.calls:
            if not _fills(call) or _receiver_text(call) != text:
                continue
            if cls is None or self.instance_class(call.func.value.value) is cls:  # type: ignore[attr-defined]
                found.append(call)
        return found

    def appends_to(self, name: str, scope: Scope) -> list[cst.Call]:
        """The ``name.append(x)`` calls of one scope, with one argument."""
        return [
            call
            for call in self.calls_by_scope.get(scope, ())
            if len(call.args) == 1 and is_method_call(call, "append", name)
        ]

    @cached_property
    def calls_by_scope(self) -> dict[Scope, list[cst.Call]]:
        grouped: dict[Scope, list[cst.Call]] = {}
        for call in self.calls:
            grouped.setdefault(self.scope_of(call), []).append(call)
        return grouped

    def kind_of_call(self, call: cst.Call) -> Kind | None:
        return self.kind_of(call)

    def _call_kind(self, call: cst.Call, depth: int) -> str | None:
        qualname = self.resolve(call.func)
        kind = kind_of_constructor(qualname)
        if kind is not None:
            return kind
        if isinstance(call.func, cst.Name) and call.func.value in self.process_subclasses:
            return Kind.PROCESS
        returned = self._returned_kind(call, depth)
        if returned is not None:
            return returned
        if isinstance(call.func, cst.Name) and call.func.value in self.manager_subclasses:
            return Kind.MANAGER
        if isinstance(call.func, cst.Attribute):
            receiver = self._kind_of(call.func.value, depth + 1)
            if receiver == Kind.MANAGER:
                return MANAGER_PROXY_KINDS.get(call.func.attr.value)
            if receiver == Kind.POOL and call.func.attr.value in ASYNC_RESULT_METHODS:
                return Kind.ASYNC_RESULT
        return None

    def _returned_kind(self, call: cst.Call, depth: int) -> str | None:
        """``make_pool()`` where every ``return`` of that function of this file gives one
        kind (a bare ``return`` or none at all: unsure)."""
        if not isinstance(call.func, cst.Name):
            return None
        function = self.function_for(call.func)
        if function is None or function.decorators:
            return None
        values = self.returns.get(function)
        if not values or any(v is None for v in values):
            return None
        return _one_kind({self._kind_of(v, depth + 1) for v in values})

    @cached_property
    def process_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from Process, directly or through each other."""
        return self.subclasses_of("multiprocessing.Process")

    @cached_property
    def manager_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from BaseManager or SyncManager, directly or
        through each other."""
        return self.subclasses_of(*MANAGER_CLASSES)

    def subclasses_of(self, *qualnames: str) -> dict[str, cst.ClassDef]:
        """Classes of this file deriving from one of ``qualnames`` (semantic.classes)."""
        return classes.subclasses_of(self, qualnames)

    # -- parameters: what the call sites of this file pass -----------------

    @cached_property
    def call_sites(self) -> dict[cst.FunctionDef, list[CallSite]]:
        """Every place of this file that calls a function of this file with arguments it
        can read: ``f(a)``, ``self.m(a)``, ``Process(target=f, args=(a,))``,
        ``Thread(...)``, ``pool.apply_async(f, (a,))``, ``executor.submit(f, a)``,
        ``Pool(initializer=f, initargs=(a,))``, each through ``functools.partial`` too."""
        sites: dict[cst.FunctionDef, list[CallSite]] = {}
        for call in self.calls:
            for site in self._call_sites_of(call):
                sites.setdefault(site.function, []).append(site)
        return sites

    def _call_sites_of(self, call: cst.Call) -> Iterator[CallSite]:
        direct = self._callee(call.func)
        if direct is not None:
            yield direct.extended(call, *_arguments(call.args))
        api = self.api_of(call)
        task = self.task_argument(call, api)
        if api is None or task is None:
            return
        callee = self._callee(task.value)
        if callee is None:
            return
        tuples = starmap_tuples(api, call)
        if tuples is not None:
            for elements in tuples:  # starmap(f, [(a, b), ...]): one call per tuple
                yield callee.extended(call, elements, {}, True)
            return
        arguments = task_arguments(api, call)
        yield callee.extended(call, arguments.positional, arguments.keywords, arguments.complete)

    # -- the process APIs: which argument plays which part (see semantic/api.py) ----

    def api_of(self, call: cst.Call) -> Api | None:
        """The table entry of a process API call: a constructor (``Process``, ``Pool``,
        an executor, a thread) or a method of an object whose kind is known. A Process
        subclass of this file with its own ``__init__`` takes other parameters: None."""
        kind = self.kind_of(call)
        if kind is not None and kind in CONSTRUCTORS:
            cls = self.local_class(call.func)
            if cls is not None and self.inherited_method(cls, "__init__") is not None:
                return None
            return CONSTRUCTORS[kind]
        func = call.func
        if isinstance(func, cst.Attribute):
            return method_api(self.kind_of(func.value), func.attr.value)
        return None

    def task_argument(self, call: cst.Call, api: Api | None = None) -> cst.Arg | None:
        """The function a call hands over to run elsewhere: ``target=``, ``initializer=``,
        the ``func``/``fn`` of a pool or executor method; None when there is none."""
        api = api or self.api_of(call)
        if api is None or api.task is None:
            return None
        argument = api.argument(call, api.task)
        return None if argument is None or argument.star else argument

    def sent_arguments(self, call: cst.Call) -> list[cst.Arg]:
        """The arguments whose values go to another process or thread with the task
        (``args``, ``kwargs``, ``initargs``, the rest of ``submit``, the items of
        ``map``) or through a channel (``put(obj)``, ``send(obj)``)."""
        api = self.api_of(call)
        return list(sent_arguments(api, call)) if api is not None else []

    def task_call_arguments(self, call: cst.Call) -> TaskArguments | None:
        """What the task of ``call`` is called with, as far as the text shows."""
        api = self.api_of(call)
        return task_arguments(api, call) if api is not None else None

    def partial_arguments(self, node: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The arguments ``functools.partial(f, a, k=b)`` binds (a and b), through nested
        partials; empty for anything else."""
        found: list[cst.BaseExpression] = []
        while isinstance(node, cst.Call) and self.resolve(node.func) == "functools.partial":
            if not node.args or node.args[0].star:
                break
            found.extend(arg.value for arg in node.args[1:] if not arg.star)
            node = node.args[0].value
        return found

    def local_class(self, node: cst.BaseExpression) -> cst.ClassDef | None:
        """The class of this file a name refers to (module level, or nested in a function)."""
        if not isinstance(node, cst.Name):
            return None
        local = self.local_definition(node)
        if isinstance(local, cst.ClassDef):
            return local
        if self.visible_bindings(node):
            return None
        return self.classes.get(node.value)

    def _callee(self, node: cst.BaseExpression) -> CallSite | None:
        """A function of this file named by ``node`` (``f``, ``self.m``, ``Class.m``, or a
        ``functools.partial`` of one), as a site with no arguments yet."""
        if isinstance(node, cst.Call) and self.resolve(node.func) == "functools.partial":
            if not node.args or node.args[0].keyword is not None or node.args[0].star:
                return None
            inner = self._callee(node.args[0].value)
            if inner is None:
                return None
            return inner.extended(node, *_arguments(node.args[1:]))
        if not isinstance(node, cst.Name | cst.Attribute):
            return None
        function = self.function_for(node)
        if function is None or function.decorators:
            return None
        bound = (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        )
        return CallSite(function, None, (), {}, True, bound)

    def parameter_kind(self, param: cst.Param) -> Kind | None:
        """The kind every call site of this file passes for a parameter (see
        ``call_sites``), or None when there is none, they disagree or one is unclear."""
        if param in self._parameter_kinds:
            return self._parameter_kinds[param]
        top = not self._parameters_pending
        kind = self._parameter_kind(param)
        if top:
            self._parameter_kinds[param] = kind
        return kind

    def _parameter_kind(self, param: cst.Param) -> Kind | None:
        owner = self.parent(self.parent(param) or param)
        if not isinstance(owner, cst.FunctionDef) or param in self._parameters_pending:
            return None
        sites = self.call_sites.get(owner)
        if not sites:
            return None
        self._parameters_pending.add(param)
        try:
            kinds: set[Kind | None] = set()
            for site in sites:
                if site.call is not None and self._inside(site.call, owner):
                    continue  # a recursive call passes on what the outer sites gave
                argument = site.argument_for(param)
                kinds.add(self.kind_through_parameters(argument) if argument else None)
        finally:
            self._parameters_pending.discard(param)
        return kinds.pop() if len(kinds) == 1 else None

    def kind_through_parameters(self, node: cst.BaseExpression | None) -> Kind | None:
        """``kind_of``, and for a name bound only as a parameter, ``parameter_kind``."""
        kind = self.kind_of(node)
        if kind is not None:
            return kind
        if isinstance(node, cst.Attribute) and node not in self._kind_pending:
            # self.q = q, q a parameter: what the callers pass
            self._kind_pending.add(node)
            try:
                bindings = [b for b in self.attribute_bindings_of(node) if not _is_none(b.value)]
                kinds = {
                    self.kind_through_parameters(b.value) if b.value is not None else None
                    for b in bindings
                }
            finally:
                self._kind_pending.discard(node)
            return kinds.pop() if len(kinds) == 1 else None
        if not isinstance(node, cst.Name):
            return None
        bindings = self.visible_bindings(node)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            return self.parameter_kind(bindings[0].node)
        return None

    def calls_to(self, *qualnames: str) -> Iterator[cst.Call]:
        wanted = set(qualnames)
        for call in self.calls:
            if self.resolve(call.func) in wanted:
                yield call

    def method_calls(self, *methods: str, kinds: Iterable[str] | None = None) -> Iterator[cst.Call]:
        """Calls ``x.method(...)`` whose receiver holds one of ``kinds`` (any, when None)."""
        wanted_kinds = set(kinds) if kinds is not None else None
        for call in self.calls:
            func = call.func
            if not isinstance(func, cst.Attribute) or func.attr.value not in methods:
                continue
            if wanted_kinds is None or self.kind_of(func.value) in wanted_kinds:
                yield call

    # -- functions -------------------------------------------------------

    def function_for(self, node: cst.BaseExpression | None) -> cst.FunctionDef | None:
        """The function of this file an expression names: ``f``, ``self.method``,
        ``Class.method`` or ``functools.partial(f, ...)``."""
        if node is None:
            return None
        if isinstance(node, cst.Call) and self.resolve(node.func) == "functools.partial":
            first = call_argument(node, "func", 0)
            return self.function_for(first.value) if first is not None else None
        if isinstance(node, cst.Name):
            if self.visible_bindings(node):
                return None
            return self.module_functions.get(node.value)
        if isinstance(node, cst.Attribute):
            owner = node.value
            cls: cst.ClassDef | None = None
            if isinstance(owner, cst.Name) and owner.value == "self":
                function = self.function_of(node)
                cls = self.class_of(function) if function is not None else None
            elif isinstance(owner, cst.Name):
                cls = self.classes.get(owner.value)
            if cls is not None:
                return self.method_of(cls, node.attr.value)
        return None

    def inherited_method(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        """The method a Process subclass runs: its own, or that of the first Process
        subclass of this file it derives from."""
        current: cst.ClassDef | None = cls
        for _ in range(8):
            if current is None:
                return None
            method = self.method_of(current, name)
            if method is not None:
                return method
            current = next(
                (
                    self.process_subclasses[base.value.value]
                    for base in current.bases
                    if isinstance(base.value, cst.Name)
                    and base.value.value in self.process_subclasses
                ),
                None,
            )
        return None

    def method_of(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                return statement
        return None

    @cached_property
    def calls_by_function(self) -> dict[cst.FunctionDef | None, list[cst.Call]]:
        grouped: dict[cst.FunctionDef | None, list[cst.Call]] = {}
        for call in self.calls:
            grouped.setdefault(self.function_of(call), []).append(call)
        return grouped

    def functions_reaching(self, predicate: Callable[[cst.Call], bool]) -> set[cst.FunctionDef]:
        """Functions of this file that do something (``predicate(call)`` true for one of
        their calls) directly or through other functions of this file they run."""
        return reach.functions_reaching(self, predicate)

    def reachable_from(self, roots: Iterable[cst.FunctionDef | None]) -> set[cst.FunctionDef]:
        """The roots and every function of this file they run (``None``: module code),
        through calls, constructors (``Cls.__init__``) and decorators' wrappers."""
        return reach.reachable_from(self, roots)

    def callees(self, call: cst.Call) -> list[cst.FunctionDef]:
        """The functions of this file a call runs (see ``semantic.reach``)."""
        found = self._callees.get(call)
        if found is None:
            found = self._callees[call] = reach.callees(self, call)
        return found

    @cached_property
    def child_reachable(self) -> set[cst.FunctionDef]:
        """Functions run in a child process, and every function of this file they run."""
        return self.reachable_from(self.child_functions)

    @cached_property
    def child_uses(self) -> list[ChildUse]:
        """Every place a function of this file is sent to run in another process."""
        uses: list[ChildUse] = []
        for call in self.calls:
            task = self.task_argument(call)
            function = self.function_for(task.value) if task is not None else None
            if function is None:
                continue
            kind = self.kind_of(call)
            if kind == Kind.PROCESS:
                uses.append(ChildUse(function, Via.PROCESS, call, self.is_daemonic(call)))
            elif kind in POOL_KINDS:
                uses.append(ChildUse(function, Via.INITIALIZER, call, kind == Kind.POOL))
            elif isinstance(call.func, cst.Attribute):
                receiver = self.kind_of(call.func.value)
                if receiver in POOL_KINDS:
                    uses.append(ChildUse(function, Via(receiver), call, receiver == Kind.POOL))
        for cls in self.process_subclasses.values():
            run = self.method_of(cls, "run")
            if run is not None:
                uses.append(ChildUse(run, Via.RUN, cls, False))
        return uses

    @cached_property
    def child_functions(self) -> set[cst.FunctionDef]:
        return {use.function for use in self.child_uses}

    def is_daemonic(self, process_call: cst.Call) -> bool:
        daemon = call_argument(process_call, "daemon")
        return (
            daemon is not None
            and isinstance(daemon.value, cst.Name)
            and (daemon.value.value == "True")
        )

    # -- start method ----------------------------------------------------

    @cached_property
    def pinned_start_method(self) -> str | None:
        """The start method this file pins with set_start_method(), else the setting."""
        methods = set()
        for call in self.calls_to("multiprocessing.set_start_method"):
            argument = call_argument(call, "method", 0)
            method = string_value(argument.value) if argument is not None else None
            if method is None:
                return None
            methods.add(method)
        if len(methods) == 1:
            return methods.pop()
        if methods:
            return None
        if self.start_method_setting in START_METHODS:
            return self.start_method_setting
        return None

    def context_method(self, node: cst.BaseExpression) -> str | None:
        """The start method of the context an object comes from: ``get_context("fork").Pool``."""
        target: cst.BaseExpression | None = node
        while isinstance(target, cst.Attribute | cst.Call):
            if isinstance(target, cst.Call):
                if self.resolve(target.func) == "multiprocessing.get_context":
                    argument = call_argument(target, "method", 0)
                    return string_value(argument.value) if argument is not None else None
                target = target.func
            else:
                target = target.value
        if isinstance(target, cst.Name):
            bindings = self.visible_bindings(target)
            if len(bindings) == 1 and bindings[0].value is not None:
                return self.context_method(bindings[0].value)
        return None

    def may_spawn(self, node: cst.BaseExpression | None = None) -> bool:
        """Can this code run under spawn or forkserver (the child re-imports the module)?"""
        if node is not None:
            method = self.context_method(node)
            if method is not None:
                return method != "fork"
        return self.pinned_start_method != "fork"

    def may_fork(self, node: cst.BaseExpression | None = None) -> bool:
        if node is not None:
            method = self.context_method(node)
            if method is not None:
                return method == "fork"
        return self.pinned_start_method in (None, "fork")
