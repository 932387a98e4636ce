"""Where a value comes from: the constructor calls an expression may hold.

``origins(facts, node)`` follows the same roads as ``Facts.kind_of``: names and their
bindings (None placeholders left out), ``self.x``/``obj.x`` across methods, this file's
return values, containers (literals, comprehensions, ``append``/``extend``/``insert``/
``add``, ``xs += [...]``, ``d[k] = v``, ``d.values()``, ``list(...)``), loop and comprehension variables
(``enumerate``, ``d.items()``), subscripts and unpacking; and, with
``through_parameters``, what every call site of this file passes for a parameter.
The answer is None when some road cannot be followed: unsure means silent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from mplint.semantic.iteration import iterated_container

if TYPE_CHECKING:
    from mplint.facts import Binding, Facts

Origins = list[cst.Call] | None
_MAX_DEPTH = 8


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _join(parts: list[Origins]) -> Origins:
    found: list[cst.Call] = []
    for part in parts:
        if part is None:
            return None
        found.extend(c for c in part if c not in found)
    return found


class _Search:
    def __init__(self, facts: Facts, through_parameters: bool) -> None:
        self.facts = facts
        self.through_parameters = through_parameters
        self.pending: set[cst.CSTNode] = set()

    def value(self, node: cst.BaseExpression | None, depth: int) -> Origins:
        if node is None or depth > _MAX_DEPTH or node in self.pending:
            return None
        self.pending.add(node)
        try:
            return self._value(node, depth)
        finally:
            self.pending.discard(node)

    def _value(self, node: cst.BaseExpression, depth: int) -> Origins:
        facts = self.facts
        if isinstance(node, cst.Call):
            function = facts.function_for(node.func) if isinstance(node.func, cst.Name) else None
            if function is not None:  # make_process(): what its returns give
                values = facts.returns.get(function)
                if function.decorators or not values or any(v is None for v in values):
                    return None
                return _join([self.value(v, depth + 1) for v in values])
            return [node] if facts.kind_of(node) is not None else None
        if isinstance(node, cst.Name):
            loop = facts.comprehension_loop(node)
            if loop is not None:
                return self.loop_variable(loop, node.value, depth)
            return self.bindings(facts.visible_bindings(node), depth)
        if isinstance(node, cst.Attribute):
            return self.bindings(facts.attribute_bindings_of(node), depth)
        if isinstance(node, cst.Subscript):
            return self.elements(node.value, depth + 1)
        return None

    def bindings(self, bindings: list[Binding], depth: int) -> Origins:
        real = [b for b in bindings if not _is_none(b.value)]
        if not real:
            return None
        parts: list[Origins] = []
        for binding in real:
            if isinstance(binding.node, cst.Param):
                parts.append(self.parameter(binding.node, depth))
            elif binding.value is None:
                node = binding.node
                if isinstance(node, cst.For):
                    parts.append(self.loop_variable(node, binding.name, depth))
                else:
                    return None
            elif binding.unpack_index is not None:
                parts.append(self.elements(binding.value, depth + 1))
            else:
                parts.append(self.value(binding.value, depth + 1))
        return _join(parts)

    def parameter(self, param: cst.Param, depth: int, elements: bool = False) -> Origins:
        """What every call site of this file passes for ``param`` (with ``elements``: the
        elements of the container each passes)."""
        facts = self.facts
        if not self.through_parameters:
            return None
        owner = facts.parent(facts.parent(param) or param)
        sites = facts.call_sites.get(owner) if isinstance(owner, cst.FunctionDef) else None
        if not sites:
            return None
        read = self.elements if elements else self.value
        arguments = [site.argument_for(param) for site in sites]
        return _join([read(a, depth + 1) if a is not None else None for a in arguments])

    def loop_variable(self, loop: cst.For | cst.CompFor, name: str, depth: int) -> Origins:
        container = iterated_container(loop, name)
        return None if container is None else self.elements(container, depth + 1)

    def elements(self, node: cst.BaseExpression, depth: int) -> Origins:
        """The origins of a container's elements (a dict's values): the values of what
        ``Facts.element_expressions`` finds, or for a parameter, of what callers pass."""
        facts = self.facts
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, cst.Name):
            bindings = facts.visible_bindings(node)
            if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
                return self.parameter(bindings[0].node, depth, elements=True)
        found = facts.element_expressions(node, depth)
        if found is None:
            return None
        return _join([self.value(element, depth + 1) for element in found])


def origins(
    facts: Facts, node: cst.BaseExpression | None, through_parameters: bool = False
) -> Origins:
    """The constructor calls ``node`` may hold; None when unsure (see the docstring)."""
    return _Search(facts, through_parameters).value(node, 0)


def element_origins(
    facts: Facts, node: cst.BaseExpression, through_parameters: bool = False
) -> Origins:
    """The constructor calls the elements of a container may hold; None when unsure."""
    return _Search(facts, through_parameters).elements(node, 0)
