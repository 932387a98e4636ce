"""MP501 proxy-nested-mutation: nested value of a manager proxy mutated in place.

Page: rules/MP501.md (zh-CN: rules/zh-CN/MP501.md) · Fixtures: fixtures/MP501/
· Example: examples/MP501-proxy-nested-mutation/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.managers.manager_api import MANAGER_METHODS
from mplint.facts import (
    Facts,
    FastVisitor,
    Scope,
)
from mplint.semantic.kinds import Kind
from mplint.semantic.literals import MUTATING_METHODS
from mplint.semantic.syntax import short_source_text

messages(
    {
        "MP501": Message(
            en="`{target}` is a local copy of a value fetched from the manager proxy "
            "`{proxy}`: {how} changes only that copy, and the change is lost. Read the value, "
            "change it, then assign it back (`{store} = value`).",
            zh="`{target}` 是从 Manager 代理对象 `{proxy}` 取回的值的本地副本：{how}"
            "只修改了这个副本，修改会丢失。请先读出值、修改后再赋值回去（`{store} = value`）。",
        ),
    }
)

PROXY_CONTAINER_KINDS = frozenset({Kind.PROXY_DICT, Kind.PROXY_LIST, Kind.PROXY_NAMESPACE})


def _proxy_kind(facts: Facts, node: cst.BaseExpression) -> str | None:
    kind = facts.kind_through_parameters(node)
    return kind if kind in PROXY_CONTAINER_KINDS else None


def _copied_from_proxy(facts: Facts, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The proxy a value was fetched from, when ``node`` is that value or a part of it:
    ``d[k]``, ``d[k][j]``, ``d[k].attr``, ``d.get(k)``, ``d.setdefault(k, [])``, ``ns.attr``."""
    while True:
        if isinstance(node, cst.Subscript):
            if _proxy_kind(facts, node.value) in (Kind.PROXY_DICT, Kind.PROXY_LIST):
                return node.value
            node = node.value
        elif isinstance(node, cst.Attribute):
            if _proxy_kind(facts, node.value) == Kind.PROXY_NAMESPACE:
                return node.value
            node = node.value
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("get", "setdefault")
        ):
            if _proxy_kind(facts, node.func.value) == Kind.PROXY_DICT:
                return node.func.value
            return None
        else:
            return None


class _Mutations(FastVisitor):
    """In-place changes of values fetched from proxies, and proxies stored inside proxies,
    in one function body (or the module's top-level statements)."""

    def __init__(self, facts: Facts, module_level: bool) -> None:
        super().__init__()
        self.facts = facts
        self.module_level = module_level
        self.found: list[tuple[cst.CSTNode, cst.BaseExpression, cst.BaseExpression, Phrase]] = []
        self.stores_proxies = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return not self.module_level

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return not self.module_level

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        receiver_kind = self.facts.kind_through_parameters(func.value)
        if receiver_kind in PROXY_CONTAINER_KINDS or receiver_kind == Kind.MANAGER:
            # m.dict({"a": m.list()}), d.update(a=m.list()), lst.append(m.dict())
            if any(self._holds_proxy(arg.value) for arg in node.args):
                self.stores_proxies = True
        if func.attr.value in MUTATING_METHODS:
            proxy = _copied_from_proxy(self.facts, func.value)
            if proxy is not None:
                self.found.append((node, func.value, proxy, _CALLED.format(method=func.attr.value)))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assigned(node.target, node.value)

    def visit_Del(self, node: cst.Del) -> None:
        self._changed(node.target, _DELETED)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript | cst.Attribute):
            if not _is_self_attribute(target) and self._holds_proxy(value):
                self.stores_proxies = True
        self._changed(target, _ASSIGNED)

    def _changed(self, target: cst.BaseExpression, how: Phrase) -> None:
        if isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._changed(element.value, how)
        elif isinstance(target, cst.Subscript | cst.Attribute):
            proxy = _copied_from_proxy(self.facts, target.value)
            if proxy is not None:
                if how is not _DELETED:
                    how = _ITEM_ASSIGNED if isinstance(target, cst.Subscript) else _ATTRIBUTE_SET
                self.found.append((target, target.value, proxy, how))

    def _holds_proxy(self, node: cst.BaseExpression) -> bool:
        """Does the expression make or name a manager proxy, or a literal holding one?"""
        if isinstance(node, cst.Call):
            func = node.func
            if (
                isinstance(func, cst.Attribute)
                and self.facts.kind_through_parameters(func.value) == Kind.MANAGER
                and func.attr.value not in MANAGER_METHODS
            ):
                return True
            return any(self._holds_proxy(arg.value) for arg in node.args)
        if isinstance(node, cst.Tuple | cst.List | cst.Set):
            return any(self._holds_proxy(element.value) for element in node.elements)
        if isinstance(node, cst.Dict):
            return any(
                self._holds_proxy(element.value)
                for element in node.elements
                if isinstance(element, cst.DictElement | cst.StarredDictElement)
            )
        if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            return self._holds_proxy(node.elt)
        if isinstance(node, cst.DictComp):
            return self._holds_proxy(node.value)
        if isinstance(node, cst.Name | cst.Attribute):
            kind = self.facts.kind_through_parameters(node)
            return kind is not None and (kind.startswith("proxy-") or kind == Kind.MANAGER)
        return False


# How a copy was changed, as the message says it.
_CALLED = Phrase("`.{method}()`", "调用 `.{method}()` ")
_DELETED = Phrase("`del`", "用 `del` 删除元素")
_ASSIGNED = Phrase("assigning to it", "对它赋值")
_ITEM_ASSIGNED = Phrase("assigning to one of its items", "对它的元素赋值")
_ATTRIBUTE_SET = Phrase("setting one of its attributes", "设置它的属性")


def _store_spelling(target: cst.BaseExpression, proxy: cst.BaseExpression) -> str:
    """Where the value came from, as the place to store it back: ``d[k]``, ``ns.attr``."""
    node: cst.BaseExpression = target
    while isinstance(node, cst.Subscript | cst.Attribute | cst.Call):
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.value is proxy and node.args:
                return f"{short_source_text(proxy)}[{short_source_text(node.args[0].value, 30)}]"
            break
        if node.value is proxy:
            return short_source_text(node)
        node = node.value
    return f"{short_source_text(proxy)}[key]"


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    )


def _scopes_with_proxies(facts: Facts) -> list[Scope]:
    """Functions (and the module) where a name or parameter holds a dict, list or
    Namespace proxy, or whose class keeps one on ``self``."""
    if not any(facts.kind_of_call(call) in PROXY_CONTAINER_KINDS for call in facts.calls):
        return []  # every proxy is made by a call (``manager.dict()``), and none is here
    scopes: dict[int, Scope] = {}
    for (scope, _name), bindings in facts.bindings.items():
        for binding in bindings:
            if isinstance(binding.node, cst.Param):
                kind = facts.parameter_kind(binding.node)
            elif isinstance(binding.value, cst.Call):
                kind = facts.kind_of_call(binding.value)
            else:
                continue
            if kind in PROXY_CONTAINER_KINDS:
                scopes[id(scope)] = scope
    for binding in facts.self_attribute_bindings:
        if facts.kind_of(binding.value) not in PROXY_CONTAINER_KINDS:
            continue
        function = facts.function_of(binding.node)
        cls = facts.class_of(function) if function is not None else None
        if cls is not None:
            for statement in cls.body.body:
                if isinstance(statement, cst.FunctionDef):
                    scopes[id(statement)] = statement
    return list(scopes.values())


@check("MP501")
def proxy_nested_mutation(facts: Facts) -> Iterator[Finding]:
    found: dict[int, tuple[cst.CSTNode, cst.BaseExpression, cst.BaseExpression, Phrase]] = {}
    stores_proxies = False
    for scope in _scopes_with_proxies(facts):
        if isinstance(scope, cst.Lambda):
            continue
        visitor = _Mutations(facts, isinstance(scope, cst.Module))
        scope.body.visit(visitor) if isinstance(scope, cst.FunctionDef) else scope.visit(visitor)
        stores_proxies = stores_proxies or visitor.stores_proxies
        for item in visitor.found:
            found.setdefault(id(item[0]), item)
    if stores_proxies:
        return  # values may be proxies themselves, and then in-place changes do work
    for node, target, proxy, how in found.values():
        yield Finding(
            "MP501",
            node,
            {
                "target": short_source_text(target),
                "proxy": short_source_text(proxy),
                "how": how,
                "store": _store_spelling(target, proxy),
            },
        )
