"""MP5xx: managers and shared state."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import (
    MANAGER_CLASSES,
    Facts,
    FastVisitor,
    Scope,
    bound_names,
    call_argument,
    string_value,
)
from mplint.names import MANAGER_PROXY_KINDS
from mplint.semantic.kinds import Kind
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
        "MP502": {
            "all_interfaces": Message(
                en="`{name}` listens on all network interfaces ({host}): anyone who can reach "
                "the port and knows the key gets arbitrary code execution through pickle. Bind "
                "to 127.0.0.1 and reach it through an SSH tunnel or a VPN.",
                zh="`{name}` 监听所有网络接口（{host}）：任何能连上该端口并知道密钥的人都可以"
                "通过 pickle 执行任意代码。请绑定到 127.0.0.1，并通过 SSH 隧道或 VPN 访问。",
            ),
            "literal_authkey": Message(
                en="`{name}` has its authkey written in the source: anyone who can reach the "
                "port and knows the key gets arbitrary code execution through pickle. Read the "
                "key from the environment or a protected file, or use `os.urandom(32)`.",
                zh="`{name}` 的认证密钥（`authkey`）直接写在源代码里：任何能连上该端口并知道密钥的人都可以"
                "通过 pickle 执行任意代码。请从环境变量或受保护的文件读取密钥，或使用 "
                "`os.urandom(32)`。",
            ),
        },
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

PROXY_CONTAINER_KINDS = frozenset({Kind.PROXY_DICT, Kind.PROXY_LIST, Kind.PROXY_NAMESPACE})

# Methods that change the object they are called on.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
        "update",
        "setdefault",
        "add",
        "discard",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
        "appendleft",
        "extendleft",
        "popleft",
        "rotate",
        "__setitem__",
        "__delitem__",
        "__iadd__",
    }
)

# Methods of a manager that do not make proxies.
MANAGER_METHODS = frozenset(
    {"start", "shutdown", "connect", "join", "register", "get_server", "address", "__enter__"}
)


# -- MP501 -------------------------------------------------------------


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


# -- MP502 -------------------------------------------------------------

ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0"})


def _constant(facts: Facts, node: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression:
    """A name bound once to a literal (``ADDRESS = ("", 5000)``) stands for the literal."""
    if isinstance(node, cst.Name) and depth < 4:
        bindings = facts.visible_bindings(node)
        if len(bindings) == 1 and bindings[0].value is not None:
            if bindings[0].unpack_index is None and not isinstance(bindings[0].node, cst.For):
                return _constant(facts, bindings[0].value, depth + 1)
    return node


def _all_interfaces(facts: Facts, node: cst.BaseExpression) -> str | None:
    address = _constant(facts, node)
    if not isinstance(address, cst.Tuple | cst.List) or not address.elements:
        return None
    host = string_value(_constant(facts, address.elements[0].value))
    return host if host in ALL_INTERFACES else None


def _is_literal_key(facts: Facts, node: cst.BaseExpression) -> bool:
    """``b"secret"``, ``"secret"``, ``"secret".encode()``, ``bytes("secret", ...)``, or a
    name bound once to one of them."""
    node = _constant(facts, node)
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        return True
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "encode":
            return _is_literal_key(facts, func.value)
        if isinstance(func, cst.Name) and func.value == "bytes" and node.args:
            first = node.args[0]
            return first.keyword is None and not first.star and _is_literal_key(facts, first.value)
    return False


def _defines_init(facts: Facts, cls: cst.ClassDef) -> bool:
    """Does the class, or a manager class of this file it derives from, define __init__?"""
    seen: set[str] = set()
    pending = [cls]
    while pending:
        current = pending.pop()
        if facts.method_of(current, "__init__") is not None:
            return True
        for base in current.bases:
            if isinstance(base.value, cst.Name) and base.value.value not in seen:
                seen.add(base.value.value)
                parent = facts.manager_subclasses.get(base.value.value)
                if parent is not None:
                    pending.append(parent)
    return False


def _manager_arguments(facts: Facts, call: cst.Call) -> tuple[str, int] | None:
    """When a call makes a BaseManager/SyncManager, its name and the position of
    ``address`` among the positional arguments."""
    func = call.func
    if facts.resolve(func) in MANAGER_CLASSES:
        return short_source_text(func), 0
    if isinstance(func, cst.Name) and func.value in facts.manager_subclasses:
        if _defines_init(facts, facts.manager_subclasses[func.value]):
            return None  # its own __init__: the arguments mean what it says
        return func.value, 0
    if not isinstance(func, cst.Attribute) or func.attr.value != "__init__":
        return None
    function = facts.function_of(call)
    cls = facts.class_of(function) if function is not None else None
    if cls is None or cls.name.value not in facts.manager_subclasses:
        return None
    owner = func.value
    if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name):
        if owner.func.value == "super":
            return cls.name.value, 0
    if facts.resolve(owner) in MANAGER_CLASSES:
        return cls.name.value, 1  # BaseManager.__init__(self, address, authkey)
    return None


def _connects(facts: Facts, call: cst.Call) -> bool:
    """Is the manager a client (``connect()``): then its address is where it connects to."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Attribute):
        return parent.attr.value == "connect"
    if not isinstance(parent, cst.Assign):
        return False
    names = [t.target for t in parent.targets if isinstance(t.target, cst.Name)]
    scope = facts.scope_of(call)
    return any(
        use.name == "connect" for name in names for use in flow.uses_of(facts, name.value, scope)
    )


@check("MP502")
def manager_exposed(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        found = _manager_arguments(facts, call)
        if found is None:
            continue
        name, offset = found
        address = call_argument(call, "address", offset)
        if address is not None and not address.star and not _connects(facts, call):
            host = _all_interfaces(facts, address.value)
            if host is not None:
                yield Finding(
                    "MP502",
                    address,
                    {"name": name, "host": repr(host)},
                    variant="all_interfaces",
                )
        authkey = call_argument(call, "authkey", offset + 1)
        if authkey is not None and not authkey.star and _is_literal_key(facts, authkey.value):
            yield Finding(
                "MP502",
                authkey,
                {"name": name},
                variant="literal_authkey",
            )


# -- MP503 -------------------------------------------------------------

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


class _DeadProxyUses(FastVisitor):
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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
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
