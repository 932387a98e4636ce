"""MP104 process-init-without-super: Process subclass __init__ skips super().__init__.

Page: rules/MP104.md (zh-CN: rules/zh-CN/MP104.md) · Fixtures: fixtures/MP104/
· Example: examples/MP104-process-init-without-super/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, InsertLineBefore
from mplint.facts import (
    Facts,
    FastVisitor,
)

messages(
    {
        "MP104": Message(
            en="`{cls}.__init__` never calls `super().__init__()`: `start()` will raise "
            "'AttributeError: ... has no attribute '_closed''. Call `super().__init__()` "
            "first.",
            zh="`{cls}.__init__` 没有调用 `super().__init__()`：调用 `start()` 时会报 "
            "'AttributeError: ... has no attribute '_closed''。请先调用 `super().__init__()`。",
        ),
    }
)


class _InitCallFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__":
            self.found = True
        return not self.found


@check("MP104")
def process_init_without_super(facts: Facts) -> Iterator[Finding]:
    for name, cls in facts.process_subclasses.items():
        init = facts.method_of(cls, "__init__")
        if init is None:
            continue
        finder = _InitCallFinder()
        init.body.visit(finder)
        if not finder.found:
            yield Finding("MP104", init.name, {"cls": name}, fix=_insert_super_init(init))


def _insert_super_init(init: cst.FunctionDef) -> FixPlan | None:
    body = init.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements = list(body.body)
    if _is_docstring(statements[0]):
        if len(statements) == 1:
            return None
        anchor = statements[1]
    else:
        anchor = statements[0]
    return FixPlan(
        "Call super().__init__() first",
        Applicability.SAFE,
        (InsertLineBefore(anchor, "super().__init__()"),),
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
