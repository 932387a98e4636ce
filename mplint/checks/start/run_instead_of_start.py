"""MP105 run-instead-of-start: run() called instead of start(), or start overridden.

Page: rules/MP105.md (zh-CN: rules/zh-CN/MP105.md) · Fixtures: fixtures/MP105/
· Example: examples/MP105-run-instead-of-start/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, FastVisitor, dotted_name
from mplint.semantic.kinds import Kind

messages(
    {
        "MP105": {
            "run_call": Message(
                en="`{name}.run()` calls the process's work directly: the work runs right here "
                "in the calling process; no child process is created and nothing runs in "
                "parallel. Call `{name}.start()` and later `{name}.join()`.",
                zh="`{name}.run()` 直接调用了进程要做的工作：工作就在当前进程里执行，不会创建"
                "子进程，也没有任何并行。请调用 `{name}.start()`，之后再 `{name}.join()`。",
            ),
            "run_on_object": Message(
                en="`.run()` on a Process object calls its work directly: the work runs right "
                "here in the calling process; no child process is created and nothing runs in "
                "parallel. Call `.start()` and later `.join()`.",
                zh="对 Process 对象调用 `.run()` 会直接执行它的工作：工作就在当前进程里执行，"
                "不会创建子进程，也没有任何并行。请调用 `.start()`，之后再 `.join()`。",
            ),
            "start_overridden": Message(
                en="`{name}` overrides `start()` without calling `super().start()`: the work "
                "runs right here in the calling process; no child process is created and "
                "nothing runs in parallel. Put the work in `run(self)` and leave `start()` to "
                "the base class.",
                zh="`{name}` 重写了 `start()` 却没有调用 `super().start()`：工作就在当前进程里"
                "执行，不会创建子进程，也没有任何并行。请把工作放进 `run(self)`，`start()` "
                "交给基类。",
            ),
        },
    }
)


def _calls_start(function: cst.FunctionDef) -> bool:
    finder = _AttributeCallFinder("start")
    function.body.visit(finder)
    return finder.found


class _AttributeCallFinder(FastVisitor):
    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method
        self.found = False
        self.self_calls: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value == self.method:
                self.found = True
            elif isinstance(func.value, cst.Name) and func.value.value == "self":
                self.self_calls.append(func.attr.value)


def _start_creates_child(facts: Facts, cls: cst.ClassDef, start: cst.FunctionDef) -> bool:
    """True when the overridden start() calls some ``start()`` (super's, the base class's),
    itself or through a method of the class it calls."""
    finder = _AttributeCallFinder("start")
    start.body.visit(finder)
    if finder.found:
        return True
    for name in finder.self_calls:
        method = facts.method_of(cls, name)
        if method is None or method is start or _calls_start(method):
            return True  # a method we cannot see (inherited) may start it
    return False


@check("MP105")
def run_instead_of_start(facts: Facts) -> Iterator[Finding]:
    for call in facts.method_calls("run", kinds=(Kind.PROCESS,)):
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else call.func
        name = dotted_name(receiver)
        if name is None:
            yield Finding("MP105", call, variant="run_on_object")
            continue
        yield Finding("MP105", call, {"name": name}, variant="run_call")
    for name, cls in facts.process_subclasses.items():
        start = facts.method_of(cls, "start")
        if start is None or _start_creates_child(facts, cls, start):
            continue
        yield Finding("MP105", start.name, {"name": name}, variant="start_overridden")
