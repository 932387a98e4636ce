"""Classes of one file: which derive from a library class, which class an object is an
instance of, and what an attribute of such an object is bound to, across methods.

``self.x`` is followed through every method of the class and of the classes of this
file it derives from, and through ``obj.x = ...`` written from outside wherever
``obj`` is known to be an instance of that class (``obj = Cls(...)``). An attribute
of an object whose class is unknown is followed through ``obj.x = ...`` assignments
to the same name in the same scope only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from mplint.facts import Binding, Facts


def subclasses_of(facts: Facts, qualnames: Iterable[str]) -> dict[str, cst.ClassDef]:
    """Classes of this file (module level) that derive from one of ``qualnames``,
    directly or through each other: the one fixpoint every rule uses."""
    wanted = frozenset(qualnames)
    found: dict[str, cst.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for name, cls in facts.classes.items():
            if name in found:
                continue
            for base in cls.bases:
                if facts.resolve(base.value) in wanted or (
                    isinstance(base.value, cst.Name) and base.value.value in found
                ):
                    found[name] = cls
                    changed = True
                    break
    return found


def local_bases(facts: Facts, cls: cst.ClassDef) -> list[cst.ClassDef]:
    """The class and the classes of this file it derives from, nearest first."""
    chain = [cls]
    for _ in range(8):
        current = chain[-1]
        nxt = next(
            (
                facts.classes[base.value.value]
                for base in current.bases
                if isinstance(base.value, cst.Name)
                and base.value.value in facts.classes
                and facts.classes[base.value.value] not in chain
            ),
            None,
        )
        if nxt is None:
            break
        chain.append(nxt)
    return chain


def inherited_init(facts: Facts, cls: cst.ClassDef) -> cst.FunctionDef | None:
    """The ``__init__`` that ``Cls(...)`` runs, when this file defines it (the class's own
    or that of a base class of this file); None when it comes from elsewhere."""
    for base in local_bases(facts, cls):
        init = facts.method_of(base, "__init__")
        if init is not None:
            return init
        if any(
            not isinstance(b.value, cst.Name) or b.value.value not in facts.classes
            for b in base.bases
        ):
            return None  # a library base class may define it
    return None


def enclosing_class(facts: Facts, node: cst.CSTNode) -> cst.ClassDef | None:
    """The class whose method holds the node (``self`` there is an instance of it)."""
    function = facts.function_of(node)
    return facts.class_of(function) if function is not None else None


def instance_class(facts: Facts, node: cst.BaseExpression) -> cst.ClassDef | None:
    """The class of this file ``node`` is an instance of: ``self`` inside a method, or a
    name every binding of which is ``Cls(...)``; None when unsure."""
    if not isinstance(node, cst.Name):
        return None
    if node.value == "self":
        cls = enclosing_class(facts, node)
        if cls is not None:
            return cls
    bindings = facts.visible_bindings(node)
    if not bindings:
        return None
    found: set[int] = set()
    cls = None
    for binding in bindings:
        value = binding.value
        if not isinstance(value, cst.Call) or binding.unpack_index is not None:
            return None
        cls = facts.local_class(value.func)
        if cls is None:
            return None
        found.add(id(cls))
    return cls if len(found) == 1 else None


def attribute_bindings(facts: Facts, node: cst.Attribute) -> list[Binding]:
    """What ``obj.x`` may be bound to: see the module docstring. Empty when unknown."""
    owner = node.value
    if not isinstance(owner, cst.Name):
        return []
    attr = node.attr.value
    cls = instance_class(facts, owner)
    if cls is not None:
        return class_attribute_bindings(facts, cls, attr)
    scope = facts.scope_of(node)
    name = f"{owner.value}.{attr}"
    return [b for b in facts.attribute_bindings if b.name == name and b.scope is scope]


def _defined_in(facts: Facts, node: cst.CSTNode) -> cst.CSTNode | None:
    """The innermost class, function or lambda whose body holds the node."""
    return next(
        (
            a
            for a in facts.ancestors(node)
            if isinstance(a, cst.ClassDef | cst.FunctionDef | cst.Lambda)
        ),
        None,
    )


def class_attribute_bindings(facts: Facts, cls: cst.ClassDef, attr: str) -> list[Binding]:
    """Every ``attr = ...`` in the body of the class (and of its bases of this file),
    every ``self.attr = ...`` of their methods, and every ``obj.attr = ...`` where ``obj``
    is an instance of it."""
    key = (cls, attr)
    cached = facts.attribute_cache.get(key)
    if cached is not None:
        return cached
    classes = local_bases(facts, cls)
    found: list[Binding] = []
    for base in classes:  # `procs = []` in the class body: shared by every instance
        for binding in facts.bindings.get((facts.scope_of(base), attr), ()):
            if _defined_in(facts, binding.node) is base:
                found.append(binding)
    for binding in facts.attribute_bindings:
        owner, _, name = binding.name.partition(".")
        if name != attr:
            continue
        if owner == "self":
            holder = enclosing_class(facts, binding.node)
            if holder is not None and any(holder is c for c in classes):
                found.append(binding)
        elif isinstance(binding.target, cst.Attribute) and isinstance(
            binding.target.value, cst.Name
        ):
            holder = instance_class(facts, binding.target.value)
            if holder is not None and any(holder is c for c in classes):
                found.append(binding)
    facts.attribute_cache[key] = found
    return found
