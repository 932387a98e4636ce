"""The one walk over a module: it records what ``Facts`` answers from (parents, imports,
calls, definitions, bindings, attribute and container stores, returns, main guards).

It reads the nodes' fields directly instead of using libcst's visitor, which rebuilds
every node it passes and costs as much as the parse itself."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import libcst as cst

from mplint.names import canonical
from mplint.semantic.records import Binding, Scope
from mplint.semantic.syntax import (
    _WALKED_TYPES,
    FUNCTION_TYPES,
    _child_fields,
    bound_names,
    dotted_name,
    is_main_guard_test,
)

if TYPE_CHECKING:
    from mplint.facts import Facts


_LEAVE = object()  # a walk entry: done with this node's subtree
# The nodes the walk keeps on its stack until their subtree is done.
_DEFINITIONS = frozenset({cst.Module, cst.ClassDef, cst.FunctionDef, cst.Lambda})
_FIELD_GETTERS: dict[type, Callable[[cst.CSTNode], tuple[Any, ...]]] = {}


def _field_getter(node_type: type) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    """The values of the fields the walk enters, in one call (``_child_fields``)."""
    fields = _child_fields(node_type)
    if not fields:
        getter: Callable[[cst.CSTNode], tuple[Any, ...]] = lambda node: ()  # noqa: E731
    elif len(fields) == 1:
        one = attrgetter(fields[0])
        getter = lambda node: (one(node),)  # noqa: E731
    else:
        getter = attrgetter(*fields)
    _FIELD_GETTERS[node_type] = getter
    return getter


class _Collector:
    """One pre-order walk over the module. It reads the nodes' fields directly instead of
    using libcst's visitor, which rebuilds every node it passes and costs as much as the
    parse itself; layout and punctuation nodes are not entered."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        # The module, classes, functions and lambdas around the node being visited.
        self.stack: list[cst.CSTNode] = []
        self.parent: cst.CSTNode | None = None  # of the node being visited
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
            cst.AugAssign: self._aug_assign,
            cst.NamedExpr: self._walrus,
            cst.WithItem: self._with_item,
            cst.Global: self._global,
            cst.Nonlocal: self._nonlocal,
            cst.If: self._if,
            cst.For: self._for,
            cst.CompFor: self._comp_for,
            cst.Return: self._return,
            cst.Yield: self._yield,
            cst.Attribute: self._attribute,
            cst.Name: self._name,
        }

    def walk(self, module: cst.Module) -> None:
        parent_ids = self.facts.parent_ids
        nodes = self.facts.nodes
        handlers = self.handlers
        stack = self.stack
        todo: list[tuple[cst.CSTNode, object]] = [(module, None)]
        pop, push = todo.pop, todo.append
        while todo:
            node, parent = pop()
            if parent is _LEAVE:
                stack.pop()
                if type(node) in FUNCTION_TYPES:
                    self.scopes.pop()
                continue
            node_type = type(node)
            if parent is not None:
                parent_ids[id(node)] = parent  # type: ignore[assignment]
                nodes.append(node)
            self.parent = parent  # type: ignore[assignment]
            if node_type in _DEFINITIONS:
                stack.append(node)
                push((node, _LEAVE))
            handler = handlers.get(node_type)
            if handler is not None:
                handler(node)
            getter = _FIELD_GETTERS.get(node_type)
            if getter is None:
                getter = _field_getter(node_type)
            children: list[cst.CSTNode] = []
            for value in getter(node):
                value_type = type(value)
                if value_type in _WALKED_TYPES:
                    children.append(value)
                elif value_type is tuple or value_type is list:
                    children.extend(v for v in value if type(v) in _WALKED_TYPES)
            for child in reversed(children):
                push((child, node))

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
            self.facts.return_statements.setdefault(self.scope, []).append(node)

    def _yield(self, node: cst.Yield) -> None:
        if isinstance(self.scope, cst.FunctionDef):
            self.facts.yields.setdefault(self.scope, []).append(node)

    def _attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            self.facts.attribute_uses.append(node)

    def _name(self, node: cst.Name) -> None:
        self.facts.name_nodes.setdefault(node.value, []).append(node)

    def _global(self, node: cst.Global) -> None:
        if isinstance(self.scope, cst.FunctionDef):
            names = self.facts.globals_declared.setdefault(self.scope, set())
            names.update(item.name.value for item in node.names)

    def _nonlocal(self, node: cst.Nonlocal) -> None:
        if isinstance(self.scope, cst.FunctionDef):
            names = self.facts.nonlocals_declared.setdefault(self.scope, set())
            names.update(item.name.value for item in node.names)

    def _binding_scope(self, name: str) -> Scope:
        """The scope a store of ``name`` binds: the current one, or for a name declared
        ``nonlocal`` the enclosing function's (the nearest one, as is usual)."""
        scope = self.scope
        if isinstance(scope, cst.FunctionDef) and name in self.facts.nonlocals_declared.get(
            scope, ()
        ):
            functions = [n for n in self.stack if isinstance(n, cst.FunctionDef)]
            if len(functions) >= 2 and functions[-1] is scope:
                return functions[-2]
        return scope

    def _if(self, node: cst.If) -> None:
        if type(self.parent) is cst.Module and is_main_guard_test(node.test):
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

    def _aug_assign(self, node: cst.AugAssign) -> None:
        """``xs += [...]``: the right side's elements join ``xs``, as with ``extend``."""
        if not isinstance(node.operator, cst.AddAssign):
            return
        if isinstance(node.target, cst.Name):
            key = (self.scope, node.target.value)
            self.facts.augmented_stores.setdefault(key, []).append(node.value)
        elif isinstance(node.target, cst.Attribute):  # self.procs += [p]
            self.facts.augmented_attribute_stores.append((node.target, node.value))

    def _record(
        self,
        name: str,
        value: cst.BaseExpression | None,
        node: cst.CSTNode,
        scope: Scope,
        unpack_index: int | None = None,
    ) -> None:
        if scope is self.scope:
            scope = self._binding_scope(name)
        self.facts.bindings.setdefault((scope, name), []).append(
            Binding(name, value, node, scope, unpack_index)
        )
