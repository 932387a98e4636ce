"""MP502 manager-exposed: manager on all interfaces or with a literal authkey.

Page: rules/MP502.md (zh-CN: rules/zh-CN/MP502.md) · Fixtures: fixtures/MP502/
· Example: examples/MP502-manager-exposed/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import (
    MANAGER_CLASSES,
    Facts,
    call_argument,
    string_value,
)
from mplint.semantic.syntax import short_source_text

messages(
    {
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
    }
)


ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0"})


def _constant(facts: Facts, node: cst.BaseExpression, depth: int = 0) -> cst.BaseExpression:
    """A name bound once to a literal (``ADDRESS = ("", 5000)``) stands for the literal."""
    if isinstance(node, cst.Name) and depth < 4:
        value = facts.only_value(node)
        if value is not None and not isinstance(facts.visible_bindings(node)[0].node, cst.For):
            return _constant(facts, value, depth + 1)
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
