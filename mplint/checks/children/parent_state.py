"""What a child process gets of the parent's state, and what the parent gets back: the
analysis MP112 parent-state-not-inherited, MP113 task-defined-in-main and MP114
child-changes-lost share (the anchors of the main flow, the functions a child runs, the
in-place changes of module variables).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import libcst as cst

from mplint.facts import (
    Facts,
    bound_names,
)
from mplint.flow import reads_module_variable
from mplint.semantic.literals import MUTATING_METHODS
from mplint.semantic.syntax import COMPREHENSION_TYPES, FUNCTION_TYPES

SPAWN_NOTE_EN = (
    "Spawn is the default on macOS and Windows, and forkserver on Linux from Python 3.14, "
    'so code that "works on my machine" under fork breaks there too.'
)
SPAWN_NOTE_ZH = (
    "macOS 和 Windows 默认使用 `spawn`，Linux 从 Python 3.14 起默认使用 `forkserver`，"
    "所以在 `fork` 下“在我机器上能跑”的代码到了那里也会出错。"
)


ANCHORS: weakref.WeakKeyDictionary[Facts, Anchors] = weakref.WeakKeyDictionary()


def anchors_of(facts: Facts) -> Anchors:
    """The file's anchors, made once and shared by the checks of this module."""
    found = ANCHORS.get(facts)
    if found is None:
        found = ANCHORS[facts] = Anchors(facts)
    return found


def shown_name(facts: Facts, function: cst.FunctionDef) -> str:
    cls = facts.class_of(function)
    return f"{cls.name.value}.{function.name.value}" if cls else function.name.value


class Anchors:
    """Where a node runs on the parent's main flow: the chain of positions from the main
    guard down through the one call of each function it is in. Two chains compare in
    the order the parent runs them; None when the node is not surely on the main flow
    (import-time code, a function called from several places, a child's function)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        # Every node's position in source order (the facts walk is a pre-order walk).
        self.order = {id(node): index for index, node in enumerate(facts.nodes)}
        self.callers: dict[cst.FunctionDef, list[cst.Call]] = {}
        for call in facts.calls:
            function = facts.function_for(call.func)
            if function is not None:
                self.callers.setdefault(function, []).append(call)

    def chain(self, node: cst.CSTNode, depth: int = 0) -> tuple[int, ...] | None:
        if depth > 6:
            return None
        function = self.facts.function_of(node)
        if function is None:
            return (self.order[id(node)],) if self.facts.in_main_guard(node) else None
        callers = self.callers.get(function, [])
        if len(callers) != 1:
            return None
        outer = self.chain(callers[0], depth + 1)
        return None if outer is None else (*outer, self.order[id(node)])


def comes_before(first: tuple[int, ...] | None, second: tuple[int, ...] | None) -> bool:
    if first is None or second is None:
        return False
    for a, b in zip(first, second, strict=False):
        if a != b:
            return a < b
    return False


def child_closure(facts: Facts, roots: set[cst.FunctionDef]) -> set[cst.FunctionDef]:
    """The functions of this file a child runs: its own and those they call."""
    found = set(roots)
    todo = list(roots)
    while todo:
        function = todo.pop()
        for call in facts.calls_by_function.get(function, ()):
            callee = facts.function_for(call.func)
            if callee is not None and callee not in found:
                found.add(callee)
                todo.append(callee)
    return found


def is_global_read(facts: Facts, name: cst.Name) -> bool:
    """The Name loads the module's variable (not a local, not a target or attribute)."""
    return not bound_nearby(facts, name) and reads_module_variable(
        facts, name, augmented_reads=False
    )


_NAME_SCOPES = FUNCTION_TYPES | {cst.Module}  # not class bodies


def bound_nearby(facts: Facts, name: cst.Name) -> bool:
    """The name is bound by an enclosing comprehension (``[x for x in ...]``) or except
    clause (``except E as x``), which the bindings of the facts do not record."""
    for ancestor in facts.ancestors(name):
        kind = type(ancestor)
        if kind in _NAME_SCOPES:
            return False
        if kind in COMPREHENSION_TYPES:
            comp: cst.CompFor | None = cast(cst.BaseComp, ancestor).for_in
            while comp is not None:
                if name.value in bound_names(comp.target):
                    return True
                comp = comp.inner_for_in
        if type(ancestor) is cst.ExceptHandler and ancestor.name is not None:
            if name.value in bound_names(ancestor.name.name):
                return True
    return False


@dataclass(frozen=True, slots=True)
class Change:
    node: cst.CSTNode
    attribute: str | None  # `Config.x = ...` changes only x


def store_statement(facts: Facts, target: cst.CSTNode) -> cst.CSTNode | None:
    """The statement that stores into ``target`` (``target = v``, ``target += v``,
    ``del target``), or None when the node is read."""
    holder = facts.parent(target)
    if isinstance(holder, cst.AssignTarget) and holder.target is target:
        return facts.parent(holder)
    if isinstance(holder, cst.AugAssign | cst.Del) and holder.target is target:
        return holder
    return None


def in_place_changes(facts: Facts, names: Iterable[str]) -> Iterator[tuple[str, cst.Name, Change]]:
    """In-place changes of some names, anywhere in the file: ``N.append(x)``,
    ``N[k] = v``, ``N[k] += v``, ``del N[k]``, ``N.attr = v``. Found from the file's
    index of names, without walking the tree; callers decide which ones count."""
    for text in names:
        for name in facts.name_nodes.get(text, ()):
            parent = facts.parent(name)
            if type(parent) is cst.Attribute and parent.value is name:
                holder = facts.parent(parent)
                if type(holder) is cst.Call and holder.func is parent:
                    if parent.attr.value in MUTATING_METHODS:
                        yield text, name, Change(holder, None)
                    continue
                statement = store_statement(facts, parent)
                if statement is not None:
                    yield text, name, Change(statement, parent.attr.value)
            elif type(parent) is cst.Subscript and parent.value is name:
                statement = store_statement(facts, parent)
                if statement is not None:
                    yield text, name, Change(statement, None)


def in_any(facts: Facts, node: cst.CSTNode, functions: set[cst.FunctionDef]) -> bool:
    """The node is in the body of one of these functions (or of a def nested in one)."""
    return any(type(a) is cst.FunctionDef and a in functions for a in facts.ancestors(node))


def construction_of(facts: Facts, cls: cst.CSTNode) -> cst.Call | None:
    """The first call that makes an object of a Process subclass (the send of its run)."""
    if not isinstance(cls, cst.ClassDef):
        return None
    for call in facts.calls:
        if isinstance(call.func, cst.Name) and call.func.value == cls.name.value:
            if not facts.visible_bindings(call.func):
                return call
    return None
