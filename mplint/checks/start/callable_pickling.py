"""Why a callable handed to a child cannot be pickled by reference (MP103, and the
library variants in ``checks/third_party.py``): a lambda, a nested function, a method of a
local class, any of them inside ``functools.partial``.
"""

from __future__ import annotations

import libcst as cst

from mplint.checks.base import Phrase
from mplint.facts import (
    Facts,
    call_argument,
)

# What MP103 found, and where pickling fails on it.
LAMBDA = Phrase("A lambda", "lambda 函数")
NESTED = Phrase("The nested function `{name}`", "嵌套函数 `{name}` ")
NAMED_LAMBDA = Phrase("`{name}`, a lambda,", "lambda 函数 `{name}` ")
LOCAL_METHOD = Phrase(
    "`{name}`, a method of the local class `{cls}`,", "局部类 `{cls}` 的方法 `{name}` "
)
IN_PARTIAL = Phrase("{inner} inside functools.partial", "functools.partial 里的{inner}")


def why_not_picklable(facts: Facts, node: cst.BaseExpression) -> Phrase | None:
    """Why a callable cannot be pickled by reference, or None when it can (or we can't tell)."""
    if isinstance(node, cst.Lambda):
        return LAMBDA
    if isinstance(node, cst.Call) and facts.resolve(node.func) == "functools.partial":
        first = call_argument(node, "func", 0)
        if first is None:
            return None
        inner = why_not_picklable(facts, first.value)
        return IN_PARTIAL.format(inner=inner) if inner else None
    if isinstance(node, cst.Name):
        definition = facts.local_definition(node)
        if isinstance(definition, cst.FunctionDef):
            return NESTED.format(name=node.value)
        bindings = facts.visible_bindings(node)
        if bindings and all(isinstance(b.value, cst.Lambda) for b in bindings):
            return NAMED_LAMBDA.format(name=node.value)
        return None
    if isinstance(node, cst.Attribute):
        owner = node.value
        cls: cst.CSTNode | None = None
        if isinstance(owner, cst.Name) and owner.value == "self":
            function = facts.function_of(node)
            cls = facts.class_of(function) if function is not None else None
        elif isinstance(owner, cst.Name):
            cls = facts.local_definition(owner)
        elif isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name):
            cls = facts.local_definition(owner.func)
        if isinstance(cls, cst.ClassDef) and facts.is_local_class(cls):
            if facts.method_of(cls, node.attr.value) is not None:
                return LOCAL_METHOD.format(name=node.attr.value, cls=cls.name.value)
    return None
