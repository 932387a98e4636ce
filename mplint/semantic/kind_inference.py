"""What kind of object an expression holds (``Facts.kind_of``), followed through names,
attributes, containers, loops, this file's return values and, for parameters, what the
call sites of this file pass. Unsure answers None.

A mixin of ``Facts``: it reads the records of the one walk (``bindings``,
``attribute_bindings``, ``subscript_stores``, ``augmented_stores``, ``returns``, ``comprehension_targets``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, cast

import libcst as cst

from mplint.names import MANAGER_PROXY_KINDS, kind_of_constructor
from mplint.semantic import classes
from mplint.semantic.iteration import iterated_container
from mplint.semantic.kinds import Kind
from mplint.semantic.records import Binding, CallSite, Scope
from mplint.semantic.syntax import (
    COMPREHENSION_TYPES,
    SCOPE_TYPES,
    dotted_name,
    is_method_call,
)
from mplint.semantic.values import element_origins, origins

ASYNC_RESULT_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
# The methods whose result's kind depends on their receiver's (a manager's, a pool's).
_RECEIVER_METHODS = frozenset(MANAGER_PROXY_KINDS) | ASYNC_RESULT_METHODS


# What the kind search returns for a value that flows back to itself.
_CYCLE = "<cycle>"
_UNKNOWN = object()  # not in the cache


def _is_none(node: cst.BaseExpression | None) -> bool:
    return type(node) is cst.Name and node.value == "None"


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


class KindInference:
    """``Facts``' answers about objects; see the module docstring."""

    if TYPE_CHECKING:
        # What the mixin reads from Facts (mplint/facts.py), declared for the type checker.
        calls: list[cst.Call]
        module_functions: dict[str, cst.FunctionDef]
        subscript_stores: dict[tuple[Scope, str], list[cst.BaseExpression]]
        augmented_stores: dict[tuple[Scope, str], list[cst.BaseExpression]]
        augmented_attribute_stores: list[tuple[cst.Attribute, cst.BaseExpression]]
        comprehension_targets: dict[cst.CompFor, set[str]]
        _kind_cache: dict[int, str | None]
        _kind_pending: set[int]
        _parameter_kinds: dict[cst.Param, Kind | None]
        _parameters_pending: set[cst.Param]

        @property
        def call_sites(self) -> dict[cst.FunctionDef, list[CallSite]]: ...

        @property
        def returns(self) -> dict[cst.FunctionDef, list[cst.BaseExpression | None]]: ...
        @property
        def process_subclasses(self) -> dict[str, cst.ClassDef]: ...
        @property
        def manager_subclasses(self) -> dict[str, cst.ClassDef]: ...
        def parent(self, node: cst.CSTNode) -> cst.CSTNode | None: ...
        def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]: ...
        def scope_of(self, node: cst.CSTNode) -> Scope: ...
        def resolve(self, node: cst.BaseExpression | None) -> str | None: ...
        def builtin_name(self, node: cst.BaseExpression) -> str | None: ...
        def visible_bindings(self, name: cst.Name) -> list[Binding]: ...
        def function_for(self, node: cst.BaseExpression | None) -> cst.FunctionDef | None: ...
        def _inside(self, node: cst.CSTNode, container: cst.CSTNode | None) -> bool: ...

    def kind_of(self, node: cst.BaseExpression | None) -> Kind | None:
        """What object an expression holds (a ``Kind``), or None when unsure."""
        kind = self._kind_of(node, 0)
        return None if kind is None or kind == _CYCLE else kind  # type: ignore[return-value]

    def _kind_of(self, node: cst.BaseExpression | None, depth: int) -> str | None:
        if node is None or depth > 8:
            return None
        key = id(node)
        cached = self._kind_cache.get(key, _UNKNOWN)
        if cached is not _UNKNOWN:
            return cached  # type: ignore[return-value]
        if key in self._kind_pending:
            # x = x.strip(), or p appended to a list that p is later read from: the value
            # flows back to itself and adds no kind of its own.
            return _CYCLE
        self._kind_pending.add(key)
        try:
            kind = self._compute_kind(node, depth)
        finally:
            self._kind_pending.discard(key)
        if kind != _CYCLE:
            self._kind_cache[key] = kind
        return kind

    def _compute_kind(self, node: cst.BaseExpression, depth: int) -> str | None:
        if isinstance(node, cst.Call):
            return self._call_kind(node, depth)
        if isinstance(node, cst.Name):
            loop = (
                self._comprehension_binding(node)
                if node.value in self.comprehension_names
                else None
            )
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
        return classes.attribute_bindings(self, node)  # type: ignore[arg-type]

    def class_chain(self, cls: cst.ClassDef) -> list[cst.ClassDef]:
        """The class and the classes of this file it derives from, nearest first."""
        return classes.local_bases(self, cls)  # type: ignore[arg-type]

    def instance_class(self, node: cst.BaseExpression) -> cst.ClassDef | None:
        """The class of this file an object is an instance of (``self``, ``w = Cls()``)."""
        cache = self.__dict__.setdefault("_instance_classes", {})
        if node not in cache:
            cache[node] = classes.instance_class(self, node)  # type: ignore[arg-type]
        return cache[node]

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

    @cached_property
    def comprehension_names(self) -> frozenset[str]:
        return frozenset(n for names in self.comprehension_targets.values() for n in names)

    def comprehension_loop(self, name: cst.Name) -> cst.CompFor | None:
        """The comprehension ``for`` that binds this name where it is used, if any."""
        if name.value not in self.comprehension_names:
            return None
        return self._comprehension_binding(name)

    def origins(
        self, node: cst.BaseExpression | None, through_parameters: bool = False
    ) -> list[cst.Call] | None:
        """The constructor calls an expression may hold; None when unsure
        (``semantic.values``)."""
        return origins(self, node, through_parameters)  # type: ignore[arg-type]

    def element_origins(
        self, node: cst.BaseExpression, through_parameters: bool = False
    ) -> list[cst.Call] | None:
        """The constructor calls a container's elements may hold; None when unsure."""
        return element_origins(self, node, through_parameters)  # type: ignore[arg-type]

    def _comprehension_binding(self, name: cst.Name) -> cst.CompFor | None:
        """The comprehension ``for`` that binds this name where it is used, if any."""
        for ancestor in self.ancestors(name):
            if type(ancestor) in SCOPE_TYPES:
                return None
            if type(ancestor) in COMPREHENSION_TYPES:
                loop: cst.CompFor | None = cast(cst.BaseComp, ancestor).for_in
                while loop is not None:
                    if name.value in self.comprehension_targets.get(loop, ()):
                        return loop
                    loop = loop.inner_for_in
        return None

    def _loop_variable_kind(self, loop: cst.For | cst.CompFor, name: str, depth: int) -> str | None:
        """``for p in procs``, ``enumerate(procs)``, ``d.items()``, ``zip(procs, ...)``."""
        container = iterated_container(loop, name)
        return None if container is None else self._element_kind(container, depth + 1)

    def _element_kind(self, node: cst.BaseExpression, depth: int) -> str | None:
        """The one kind of the elements of a container (the values of a dict)."""
        found = self.element_expressions(node, depth)
        if found is None:
            return None
        return _one_kind({self._kind_of(element, depth + 1) for element in found})

    def element_expressions(
        self, node: cst.BaseExpression | None, depth: int = 0
    ) -> list[cst.BaseExpression] | None:
        """The expressions a container's elements come from (a dict's values), the one
        place that follows containers for kinds (``_element_kind``) and origins
        (``values``): literals, comprehensions, ``d.values()``, ``list(xs)`` and the like,
        what a function of this file returns, and for a name or ``self.x`` its values or
        what fills it (``fillings``), a level down for a loop variable that walks a list
        of lists. None when unsure."""
        if node is None or depth > 8:
            return None
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            if not node.elements or any(isinstance(e, cst.StarredElement) for e in node.elements):
                return None
            return [e.value for e in node.elements]
        if isinstance(node, cst.Dict):
            values = [e.value for e in node.elements if isinstance(e, cst.DictElement)]
            return values if values and len(values) == len(node.elements) else None
        if isinstance(node, cst.ListComp | cst.GeneratorExp | cst.SetComp):
            return [node.elt]
        if isinstance(node, cst.DictComp):
            return [node.value]
        if isinstance(node, cst.Call):
            return self._call_elements(node, depth)
        if not isinstance(node, cst.Name | cst.Attribute):
            return None
        bindings = (
            self.visible_bindings(node)
            if isinstance(node, cst.Name)
            else self.attribute_bindings_of(node)
        )
        real = [b for b in bindings if not _is_none(b.value)]
        if not real:
            return None
        walked = self.loop_variable_container(node)
        if walked is not None:  # for group in groups: for p in group
            groups = self.element_expressions(walked, depth + 1)
            return None if groups is None else self._gathered(groups, depth)
        found: list[cst.BaseExpression] = []
        for binding in real:
            if binding.value is None or binding.unpack_index is not None:
                return None
            if not _is_empty_container(binding.value):
                inner = self.element_expressions(binding.value, depth + 1)
            else:
                fillings = self.fillings(node, binding)
                inner = [] if fillings else None
                for value, many in fillings:
                    more = self.element_expressions(value, depth + 1) if many else [value]
                    if more is None or inner is None:
                        inner = None
                        break
                    inner.extend(more)
            if inner is None:
                return None
            found.extend(inner)
        return found

    def _call_elements(self, node: cst.Call, depth: int) -> list[cst.BaseExpression] | None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "values" and not node.args:
            return self.element_expressions(func.value, depth + 1)  # d.values()
        if (
            isinstance(func, cst.Name)
            and func.value in _SAME_ELEMENTS
            and node.args
            and not node.args[0].star
            and func.value not in self.module_functions
        ):
            return self.element_expressions(node.args[0].value, depth + 1)  # list(procs)
        function = self.function_for(func) if isinstance(func, cst.Name) else None
        if function is not None and not function.decorators:  # procs = make_all()
            returned = self.returns.get(function)
            if returned and all(v is not None for v in returned):
                return self._gathered(returned, depth)
        return None

    def _gathered(
        self, containers: Sequence[cst.BaseExpression | None], depth: int
    ) -> list[cst.BaseExpression] | None:
        """The elements of every container, None when one of them is unsure."""
        found: list[cst.BaseExpression] = []
        for container in containers:
            inner = self.element_expressions(container, depth + 1)
            if inner is None:
                return None
            found.extend(inner)
        return found

    def loop_variable_container(self, node: cst.Name | cst.Attribute) -> cst.BaseExpression | None:
        """For a name that only a ``for`` loop binds (``for group in groups``), the
        expressions of the elements it walks, as one container (None when unsure)."""
        if not isinstance(node, cst.Name):
            return None
        bindings = self.visible_bindings(node)
        if len(bindings) != 1 or not isinstance(bindings[0].node, cst.For):
            return None
        return iterated_container(bindings[0].node, node.value)

    def fillings(
        self, node: cst.Name | cst.Attribute, binding: Binding
    ) -> list[tuple[cst.BaseExpression, bool]]:
        """What is put into a container that starts empty, each with whether it is a
        container of elements (True) or one element (False): ``append(x)``, ``add(x)``,
        ``insert(i, x)``, ``d[k] = x``; ``extend(xs)``, ``xs += [x]``. For a name, in the
        scope that made it; for ``self.x``, anywhere ``self.x`` of that class is filled."""
        found: list[tuple[cst.BaseExpression, bool]] = []
        for call in self._fill_calls(node, binding):
            method = call.func.attr.value  # type: ignore[attr-defined]
            found.append((call.args[-1].value, method == "extend"))
        if isinstance(node, cst.Name):
            for value in self.subscript_stores.get((binding.scope, node.value), ()):
                found.append((value, False))
            for value in self.augmented_stores.get((binding.scope, node.value), ()):
                found.append((value, True))
        else:
            text = dotted_name(node)
            cls = self.instance_class(node.value)
            for target, value in self.augmented_attribute_stores:
                if dotted_name(target) != text:
                    continue
                if cls is None or self.instance_class(target.value) is cls:
                    found.append((value, True))
        return found

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
        if self.builtin_name(call.func) == "open":
            return Kind.OPEN_FILE
        returned = self._returned_kind(call, depth)
        if returned is not None:
            return returned
        if isinstance(call.func, cst.Name) and call.func.value in self.manager_subclasses:
            return Kind.MANAGER
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _RECEIVER_METHODS:
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

    def _parameter_kind(self, param: cst.Param, elements: bool = False) -> Kind | None:
        """What every call site passes for ``param`` (with ``elements``: the one kind of
        the elements of the container each passes)."""
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
                if argument is None:
                    kinds.add(None)
                elif elements:
                    kinds.add(self._element_kind(argument, 0))  # type: ignore[arg-type]
                else:
                    kinds.add(self.kind_through_parameters(argument))
        finally:
            self._parameters_pending.discard(param)
        return kinds.pop() if len(kinds) == 1 else None

    def kind_through_parameters(self, node: cst.BaseExpression | None) -> Kind | None:
        """``kind_of``, and for a name bound only as a parameter, ``parameter_kind``."""
        kind = self.kind_of(node)
        if kind is not None:
            return kind
        if isinstance(node, cst.Attribute) and id(node) not in self._kind_pending:
            # self.q = q, q a parameter: what the callers pass
            self._kind_pending.add(id(node))
            try:
                bindings = [b for b in self.attribute_bindings_of(node) if not _is_none(b.value)]
                kinds = {
                    self.kind_through_parameters(b.value) if b.value is not None else None
                    for b in bindings
                }
            finally:
                self._kind_pending.discard(id(node))
            return kinds.pop() if len(kinds) == 1 else None
        if not isinstance(node, cst.Name):
            return None
        bindings = self.visible_bindings(node)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            return self.parameter_kind(bindings[0].node)
        walked = self.loop_variable_container(node)
        if isinstance(walked, cst.Name):  # def stop(procs): for p in procs: ...
            holders = self.visible_bindings(walked)
            if len(holders) == 1 and isinstance(holders[0].node, cst.Param):
                return self._parameter_kind(holders[0].node, elements=True)
        return None
