"""What CPython prints when pickling a callable fails, shared by MP103 and MP401.

A lambda written at module level (or under the main guard) is looked up by its name on
`__main__` and fails that lookup; a lambda or function made inside a function, or a method
of a local class, is a "local object" (3.11 and 3.12 say "Can't pickle local object", 3.13
"Can't get local object").
"""

from __future__ import annotations

import libcst as cst

from mplint.checks.base import Phrase
from mplint.facts import Facts, call_argument

MODULE_LAMBDA_ERROR = Phrase(
    "'PicklingError: Can't pickle <function <lambda> ...>: attribute lookup <lambda> on "
    "__main__ failed'",
    "'PicklingError: Can't pickle <function <lambda> ...>: attribute lookup <lambda> on "
    "__main__ failed'",
)
LOCAL_OBJECT_ERROR = Phrase(
    "'AttributeError: Can't pickle local object' (3.13: 'Can't get local object')",
    "'AttributeError: Can't pickle local object'（3.13 为 'Can't get local object'）",
)


def pickling_error(facts: Facts, node: cst.BaseExpression) -> Phrase:
    """The error pickling this callable raises: a partial fails on the function it wraps."""
    if isinstance(node, cst.Call):
        first = call_argument(node, "func", 0)
        return pickling_error(facts, first.value) if first is not None else LOCAL_OBJECT_ERROR
    if isinstance(node, cst.Lambda):
        return LOCAL_OBJECT_ERROR if facts.function_of(node) else MODULE_LAMBDA_ERROR
    if isinstance(node, cst.Name):
        bindings = facts.visible_bindings(node)
        lambdas = [b.value for b in bindings if isinstance(b.value, cst.Lambda)]
        if lambdas and len(lambdas) == len(bindings):
            return pickling_error(facts, lambdas[0])
    return LOCAL_OBJECT_ERROR
