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
POOL_KINDS = frozenset({"pool", "executor"})
START_METHODS = ("fork", "spawn", "forkserver")


@dataclass(frozen=True, slots=True)
class ChildUse:
    """A function of this file that runs in another process, and how it gets there."""

    function: cst.FunctionDef
    via: str  # "process", "pool", "executor", "initializer", "run"
    call: cst.CSTNode  # the call (or class) that sends it there
    daemonic: bool


@dataclass(slots=True)
class Binding:
    name: str
    value: cst.BaseExpression | None  # None: bound to something unknown (a parameter, a loop)
    node: cst.CSTNode  # the statement or expression that binds it
    scope: Scope
    unpack_index: int | None = None  # a, b = Pipe(): position in the tuple


ASYNC_RESULT_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.BaseManager", "multiprocessing.managers.SyncManager"}
)
EXECUTOR_CLASSES = frozenset(
    {"concurrent.futures.ProcessPoolExecutor", "concurrent.futures.ThreadPoolExecutor"}
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


def _keyword_literal(node: cst.BaseExpression) -> dict[str, cst.BaseExpression] | None:
    """``{"a": x}`` or ``dict(a=x)`` as keywords, else None."""
    if isinstance(node, cst.Dict):
        found: dict[str, cst.BaseExpression] = {}
        for element in node.elements:
            key = string_value(element.key) if isinstance(element, cst.DictElement) else None
            if key is None or not isinstance(element, cst.DictElement):
                return None
            found[key] = element.value
        return found
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        positional, keywords, complete = _arguments(node.args)
        return keywords if complete and not positional else None
    return None


def string_value(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
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
        self.handlers = {
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
            name = dotted_name(target)
            if name is not None and name.startswith("self."):
                self.facts.self_attribute_bindings.append(Binding(name, value, node, self.scope))

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
        self.self_attribute_bindings: list[Binding] = []
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
        self._parameter_kinds: dict[cst.Param, str | None] = {}
        self._parameters_pending: set[cst.Param] = set()

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

    def _inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

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

    def kind_of(self, node: cst.BaseExpression | None) -> str | None:
        """What object an expression holds: "process", "pool", "executor", "queue",
        "lock", "manager", "proxy-dict", "thread-lock", ... or None when unsure."""
        kind = self._kind_of(node, 0)
        return None if kind == _CYCLE else kind

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
            bindings = self.visible_bindings(node)
            return self._kind_of_bindings(bindings, depth)
        if isinstance(node, cst.Attribute):
            name = dotted_name(node)
            if name is not None and name.startswith("self.") and name.count(".") == 1:
                function = self.function_of(node)
                cls = self.class_of(function) if function is not None else None
                if cls is None:
                    return None
                bindings = [
                    b
                    for b in self.self_attribute_bindings
                    if b.name == name and self._inside(b.node, cls)
                ]
                return self._kind_of_bindings(bindings, depth)
        return None

    def _kind_of_bindings(self, bindings: list[Binding], depth: int) -> str | None:
        if not bindings:
            return None
        kinds = set()
        for binding in bindings:
            if binding.value is None:
                node = binding.node
                if isinstance(node, cst.For) and isinstance(node.target, cst.Name):
                    kinds.add(self._element_kind(node.iter, depth + 1))
                    continue
                return None
            kind = self._kind_of(binding.value, depth + 1)
            if binding.unpack_index is not None:
                kind = "pipe" if kind == "pipe" else None
            kinds.add(kind)
        return _one_kind(kinds)

    def _element_kind(self, node: cst.BaseExpression, depth: int) -> str | None:
        if depth > 8:
            return None
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return _one_kind({self._kind_of(e.value, depth + 1) for e in node.elements})
        if isinstance(node, cst.ListComp | cst.GeneratorExp | cst.SetComp):
            return self._kind_of(node.elt, depth + 1)
        if isinstance(node, cst.Name):
            bindings = self.visible_bindings(node)
            if not bindings:
                return None
            kinds = set()
            for binding in bindings:
                if binding.value is None or binding.unpack_index is not None:
                    return None
                if isinstance(binding.value, cst.List) and not binding.value.elements:
                    kinds.update(self._appended_kinds(node, binding.scope, depth))
                else:
                    kinds.add(self._element_kind(binding.value, depth + 1))
            return _one_kind(kinds)
        return None

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

    def _appended_kinds(self, name: cst.Name, scope: Scope, depth: int) -> set[str | None]:
        """Kinds put into an initially empty list with ``name.append(x)`` in its scope."""
        kinds = {
            self._kind_of(call.args[0].value, depth + 1)
            for call in self.appends_to(name.value, scope)
        }
        return kinds or {None}

    def kind_of_call(self, call: cst.Call) -> str | None:
        return self.kind_of(call)

    def _call_kind(self, call: cst.Call, depth: int) -> str | None:
        qualname = self.resolve(call.func)
        kind = kind_of_constructor(qualname)
        if kind is not None:
            return kind
        if isinstance(call.func, cst.Name) and call.func.value in self.process_subclasses:
            return "process"
        if isinstance(call.func, cst.Name) and call.func.value in self.manager_subclasses:
            return "manager"
        if isinstance(call.func, cst.Attribute):
            receiver = self._kind_of(call.func.value, depth + 1)
            if receiver == "manager":
                return MANAGER_PROXY_KINDS.get(call.func.attr.value)
            if receiver == "pool" and call.func.attr.value in ASYNC_RESULT_METHODS:
                return "async-result"
        return None

    @cached_property
    def process_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from Process, directly or through each other."""
        found: dict[str, cst.ClassDef] = {}
        changed = True
        while changed:
            changed = False
            for name, cls in self.classes.items():
                if name in found:
                    continue
                for base in cls.bases:
                    if self.resolve(base.value) == "multiprocessing.Process" or (
                        isinstance(base.value, cst.Name) and base.value.value in found
                    ):
                        found[name] = cls
                        changed = True
                        break
        return found

    @cached_property
    def manager_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from BaseManager or SyncManager, directly or
        through each other."""
        found: dict[str, cst.ClassDef] = {}
        changed = True
        while changed:
            changed = False
            for name, cls in self.classes.items():
                if name in found:
                    continue
                for base in cls.bases:
                    if self.resolve(base.value) in MANAGER_CLASSES or (
                        isinstance(base.value, cst.Name) and base.value.value in found
                    ):
                        found[name] = cls
                        changed = True
                        break
        return found

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
        qualname = self.resolve(call.func)
        if qualname in ("multiprocessing.Process", "threading.Thread"):
            yield from self._sent_site(call, ("target", 1), ("args", 3), ("kwargs", 4))
        elif qualname == "multiprocessing.Pool" or qualname in EXECUTOR_CLASSES:
            position = 1 if qualname == "multiprocessing.Pool" else None
            yield from self._sent_site(
                call, ("initializer", position), ("initargs", position and 2), (None, None)
            )
        func = call.func
        if not isinstance(func, cst.Attribute):
            return
        receiver = self.kind_of(func.value)
        method = func.attr.value
        if receiver in ("pool", "thread-pool") and method in ("apply", "apply_async"):
            yield from self._sent_site(call, ("func", 0), ("args", 1), ("kwds", 2))
        elif receiver in ("executor", "thread-executor") and method == "submit" and call.args:
            first = call.args[0]
            if first.keyword is None and not first.star:
                callee = self._callee(first.value)
                if callee is not None:
                    yield callee.extended(call, *_arguments(call.args[1:]))

    def _sent_site(
        self,
        call: cst.Call,
        target: tuple[str, int | None],
        args: tuple[str | None, int | None],
        kwargs: tuple[str | None, int | None],
    ) -> Iterator[CallSite]:
        """The site of a function handed over as ``target=`` with ``args=``/``kwargs=``."""
        target_arg = call_argument(call, *target)
        if target_arg is None or target_arg.star:
            return
        callee = self._callee(target_arg.value)
        if callee is None:
            return
        positional: list[cst.BaseExpression] = []
        keywords: dict[str, cst.BaseExpression] = {}
        complete = True
        args_arg = call_argument(call, *args) if args[0] is not None else None
        if args_arg is not None:
            if args_arg.star or not isinstance(args_arg.value, cst.Tuple | cst.List):
                complete = False
            else:
                for element in args_arg.value.elements:
                    if isinstance(element, cst.StarredElement):
                        complete = False
                        break
                    positional.append(element.value)
        kwargs_arg = call_argument(call, *kwargs) if kwargs[0] is not None else None
        if kwargs_arg is not None:
            read = _keyword_literal(kwargs_arg.value) if not kwargs_arg.star else None
            if read is None:
                complete = False
            else:
                keywords.update(read)
        yield callee.extended(call, positional, keywords, complete)

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

    def parameter_kind(self, param: cst.Param) -> str | None:
        """The kind every call site of this file passes for a parameter (see
        ``call_sites``), or None when there is none, they disagree or one is unclear."""
        if param in self._parameter_kinds:
            return self._parameter_kinds[param]
        top = not self._parameters_pending
        kind = self._parameter_kind(param)
        if top:
            self._parameter_kinds[param] = kind
        return kind

    def _parameter_kind(self, param: cst.Param) -> str | None:
        owner = self.parent(self.parent(param) or param)
        if not isinstance(owner, cst.FunctionDef) or param in self._parameters_pending:
            return None
        sites = self.call_sites.get(owner)
        if not sites:
            return None
        self._parameters_pending.add(param)
        try:
            kinds: set[str | None] = set()
            for site in sites:
                if site.call is not None and self._inside(site.call, owner):
                    continue  # a recursive call passes on what the outer sites gave
                argument = site.argument_for(param)
                kinds.add(self.kind_through_parameters(argument) if argument else None)
        finally:
            self._parameters_pending.discard(param)
        return kinds.pop() if len(kinds) == 1 else None

    def kind_through_parameters(self, node: cst.BaseExpression | None) -> str | None:
        """``kind_of``, and for a name bound only as a parameter, ``parameter_kind``."""
        kind = self.kind_of(node)
        if kind is not None or not isinstance(node, cst.Name):
            return kind
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
        their calls) directly or through other functions of this file they call."""
        reaching = {
            function
            for function, calls in self.calls_by_function.items()
            if function is not None and any(predicate(call) for call in calls)
        }
        changed = True
        while changed:
            changed = False
            for function, calls in self.calls_by_function.items():
                if function is None or function in reaching:
                    continue
                if any(self.function_for(call.func) in reaching for call in calls):
                    reaching.add(function)
                    changed = True
        return reaching

    @cached_property
    def child_uses(self) -> list[ChildUse]:
        """Every place a function of this file is sent to run in another process."""
        uses: list[ChildUse] = []
        for call in self.calls:
            kind = self.kind_of_call(call)
            if kind == "process":
                target = call_argument(call, "target", 1)
                function = self.function_for(target.value) if target is not None else None
                if function is not None:
                    uses.append(ChildUse(function, "process", call, self.is_daemonic(call)))
            if kind in POOL_KINDS:
                initializer = call_argument(call, "initializer", 2 if kind == "pool" else None)
                function = self.function_for(initializer.value) if initializer is not None else None
                if function is not None:
                    uses.append(ChildUse(function, "initializer", call, kind == "pool"))
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
                receiver = self.kind_of(func.value)
                if receiver in POOL_KINDS:
                    task = call_argument(call, "func", 0)
                    if task is None:
                        task = call_argument(call, "fn", 0)
                    function = self.function_for(task.value) if task is not None else None
                    if function is not None:
                        uses.append(ChildUse(function, receiver, call, receiver == "pool"))
        for cls in self.process_subclasses.values():
            run = self.method_of(cls, "run")
            if run is not None:
                uses.append(ChildUse(run, "run", cls, False))
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
