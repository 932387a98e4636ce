"""MP503 proxy-after-shutdown: manager proxy used after the manager shut down.

Page: rules/MP503.md (zh-CN: rules/zh-CN/MP503.md) · Fixtures: fixtures/MP503/
· Example: examples/MP503-proxy-after-shutdown/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.managers.manager_api import MANAGER_METHODS
from mplint.facts import (
    MANAGER_CLASSES,
    Facts,
    Scope,
    bound_names,
    call_argument,
    string_value,
)
from mplint.names import MANAGER_PROXY_KINDS
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import OwnCodeVisitor

messages(
    {
        "MP503": Message(
            en="`{proxy}` is a proxy of the manager `{manager}`, which was shut down {when}: "
            "using it now fails with a connection error (FileNotFoundError, "
            "ConnectionRefusedError, BrokenPipeError). Copy what you need (`dict(...)`, "
            "`list(...)`) while the manager runs, or use it inside the block.",
            zh="`{proxy}` 是 Manager `{manager}` 的代理对象，而该 Manager {when}已经关闭："
            "现在使用它会报连接错误（FileNotFoundError、ConnectionRefusedError、"
            "BrokenPipeError）。请在 Manager 运行时复制所需的数据（`dict(...)`、`list(...)`），"
            "或在代码块内使用它。",
        ),
    }
)


_WITH_ENDED = Phrase("when its `with` block ended", "在 `with` 代码块结束时")
_SHUT_DOWN = Phrase("by `shutdown()`", "通过 `shutdown()`")

_CONDITIONAL = (
    cst.If,
    cst.For,
    cst.While,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Match,
    cst.MatchCase,
)


def _ends_path(statement: cst.CSTNode) -> str | None:
    """ "return" when a statement ends the function (return, raise), "loop" for break and
    continue, else None."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            result = _ends_path(small)
            if result is not None:
                return result
    if isinstance(statement, cst.Return | cst.Raise):
        return "return"
    if isinstance(statement, cst.Break | cst.Continue):
        return "loop"
    return None


def _following(facts: Facts, start: cst.CSTNode, conditional_ok: bool) -> Iterator[cst.CSTNode]:
    """The statements that run after ``start`` on the path that falls through it, in
    order, within its function. With ``conditional_ok`` False the walk stops at the end
    of an if branch, a loop body or an except handler."""
    current = start
    while True:
        parent = facts.parent(current)
        if parent is None or isinstance(parent, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return
        body = getattr(parent, "body", None)
        if isinstance(body, list | tuple) and any(s is current for s in body):
            index = next(i for i, s in enumerate(body) if s is current)
            ended = None
            for sibling in body[index + 1 :]:
                yield sibling
                ended = _ends_path(sibling)
                if ended is not None:
                    break
            if ended == "return":
                return
            if ended == "loop":
                loop = next(
                    (a for a in facts.ancestors(parent) if isinstance(a, cst.For | cst.While)),
                    None,
                )
                if loop is None or not conditional_ok:
                    return
                current = loop
                continue
            current = parent
            continue
        if isinstance(parent, cst.Try | cst.TryStar):
            rest: list[cst.CSTNode] = []
            if current is parent.body and parent.orelse is not None:
                rest.extend(parent.orelse.body.body)
            if parent.finalbody is not None and current is not parent.finalbody:
                rest.extend(parent.finalbody.body.body)
            for statement in rest:
                yield statement
                if _ends_path(statement) is not None:
                    return
            current = parent
            continue
        conditional = isinstance(parent, _CONDITIONAL) or (
            isinstance(parent, cst.Else)
            and not isinstance(facts.parent(parent), cst.Try | cst.TryStar)
        )
        if conditional and not conditional_ok:
            return
        current = parent


_HARMLESS_CALLS = frozenset({"isinstance", "type", "id", "repr", "callable"})


class _DeadProxyUses(OwnCodeVisitor):
    """Reads of names that hold dead proxies, in execution order; a name stops being
    followed once it is bound again."""

    def __init__(self, dead: set[str]) -> None:
        super().__init__()
        self.dead = dead
        self.uses: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.dead:
            self.uses.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Global(self, node: cst.Global) -> bool:
        return False

    def visit_Nonlocal(self, node: cst.Nonlocal) -> bool:
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> bool:
        if isinstance(node.func, cst.Name) and node.func.value in _HARMLESS_CALLS:
            for arg in node.args:
                if not isinstance(arg.value, cst.Name):
                    arg.value.visit(self)
            return False
        return True

    def visit_Comparison(self, node: cst.Comparison) -> bool:
        identity = all(isinstance(c.operator, cst.Is | cst.IsNot) for c in node.comparisons)
        if not identity:
            return True
        for operand in (node.left, *(c.comparator for c in node.comparisons)):
            if not isinstance(operand, cst.Name):
                operand.visit(self)
        return False

    def visit_Assign(self, node: cst.Assign) -> bool:
        if not (isinstance(node.value, cst.Name) and node.value.value in self.dead):
            node.value.visit(self)  # a plain alias `x = proxy` does not use it
        for target in node.targets:
            self._bind(target.target)
        return False

    def visit_AnnAssign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:
            node.value.visit(self)
            self._bind(node.target)
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        node.value.visit(self)
        self._bind(node.target)
        return False

    def visit_For(self, node: cst.For) -> bool:
        node.iter.visit(self)
        self._bind(node.target)
        node.body.visit(self)
        if node.orelse is not None:
            node.orelse.visit(self)
        return False

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        node.item.visit(self)
        if node.asname is not None:
            self._bind(node.asname.name)
        return False

    def visit_Del(self, node: cst.Del) -> bool:
        self._bind(node.target)
        return False

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> bool:
        if node.type is not None:
            node.type.visit(self)
        if node.name is not None:
            self._bind(node.name.name)
        node.body.visit(self)
        return False

    def _comprehension(self, node: cst.BaseComp | cst.DictComp) -> bool:
        names: set[str] = set()
        level: cst.CompFor | None = node.for_in
        while level is not None:
            names.update(bound_names(level.target))
            level = level.inner_for_in
        return not (names & self.dead)

    def visit_ListComp(self, node: cst.ListComp) -> bool:
        return self._comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> bool:
        return self._comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> bool:
        return self._comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> bool:
        return self._comprehension(node)

    def _bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.dead.discard(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)
        else:
            target.visit(self)  # d[k] = v, d.x = v: uses d


def _proxy_makers(facts: Facts) -> frozenset[str]:
    """Manager methods that make proxies: the standard ones and every typeid registered
    in this file (``MyManager.register("jobs", ...)``)."""
    typeids = set(MANAGER_PROXY_KINDS)
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "register":
            continue
        owner = func.value
        if facts.resolve(owner) in MANAGER_CLASSES or (
            isinstance(owner, cst.Name) and owner.value in facts.manager_subclasses
        ):
            typeid = call_argument(call, "typeid", 0)
            name = string_value(typeid.value) if typeid is not None else None
            if name:
                typeids.add(name)
    return frozenset(typeids - MANAGER_METHODS)


def _same_binding(facts: Facts, first: cst.Name, second: cst.Name) -> bool:
    a = facts.visible_bindings(first)
    b = facts.visible_bindings(second)
    return bool(a) and [id(x.node) for x in a] == [id(x.node) for x in b]


def _proxies_of(
    facts: Facts, manager: cst.Name, scope: Scope, makers: frozenset[str]
) -> dict[str, list[cst.CSTNode]]:
    """Names of ``scope`` bound to a proxy made by ``manager``: name -> binding nodes."""
    found: dict[str, list[cst.CSTNode]] = {}
    for (where, name), bindings in facts.bindings.items():
        if where is not scope:
            continue
        for binding in bindings:
            value = binding.value
            if binding.unpack_index is not None or not isinstance(value, cst.Call):
                continue
            func = value.func
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == manager.value
                and func.attr.value in makers
                and _same_binding(facts, func.value, manager)
            ):
                found.setdefault(name, []).append(binding.node)
    return found


def _directly_in(facts: Facts, node: cst.CSTNode, with_node: cst.With) -> bool:
    """Is the binding an unconditional statement of the with block (possibly inside
    nested with blocks or a try body)?"""
    for ancestor in facts.ancestors(node):
        if ancestor is with_node:
            return True
        if isinstance(ancestor, (*_CONDITIONAL, cst.Else, cst.FunctionDef, cst.Lambda)):
            return False
    return False


def _dead_uses(
    facts: Facts, start: cst.CSTNode, names: set[str], conditional_ok: bool
) -> Iterator[cst.Name]:
    visitor = _DeadProxyUses(set(names))
    reported: set[tuple[str, int]] = set()
    for statement in _following(facts, start, conditional_ok):
        if not visitor.dead:
            return
        visitor.uses = []
        statement.visit(visitor)
        for use in visitor.uses:
            key = (use.value, id(facts.statement_of(use)))
            if key not in reported:
                reported.add(key)
                yield use


@check("MP503")
def proxy_after_shutdown(facts: Facts) -> Iterator[Finding]:
    makers = _proxy_makers(facts)
    # `with Manager() as m:` ... the block ends.
    for (scope, name), bindings in list(facts.bindings.items()):
        for binding in bindings:
            item = binding.node
            if not isinstance(item, cst.WithItem) or facts.kind_of(binding.value) != Kind.MANAGER:
                continue
            if item.asname is None or not isinstance(item.asname.name, cst.Name):
                continue
            with_node = facts.parent(item)
            if not isinstance(with_node, cst.With):
                continue
            proxies = set()
            for proxy, nodes in _proxies_of(facts, item.asname.name, scope, makers).items():
                inside = [
                    b.node
                    for b in facts.bindings.get((scope, proxy), [])
                    if facts.is_inside(b.node, with_node.body)
                ]
                # One binding in the block, the proxy, on the block's straight path.
                if (
                    proxy != name
                    and len(inside) == 1
                    and any(n is inside[0] for n in nodes)
                    and _directly_in(facts, inside[0], with_node)
                ):
                    proxies.add(proxy)
            for use in _dead_uses(facts, with_node, proxies, conditional_ok=True):
                yield Finding(
                    "MP503",
                    use,
                    {
                        "proxy": use.value,
                        "manager": name,
                        "when": _WITH_ENDED,
                    },
                )
    # m.shutdown() as a statement of its own.
    for call in facts.method_calls("shutdown", kinds=(Kind.MANAGER,)):
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        expression = facts.parent(call)
        if not isinstance(receiver, cst.Name) or not isinstance(expression, cst.Expr):
            continue
        scope = facts.scope_of(call)
        proxies = set()
        for proxy, nodes in _proxies_of(facts, receiver, scope, makers).items():
            every = facts.bindings.get((scope, proxy), [])
            if len(every) == len(nodes):  # the name never holds anything else
                proxies.add(proxy)
        for use in _dead_uses(facts, expression, proxies, conditional_ok=False):
            yield Finding(
                "MP503",
                use,
                {
                    "proxy": use.value,
                    "manager": receiver.value,
                    "when": _SHUT_DOWN,
                },
            )
