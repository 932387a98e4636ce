"""MP113 in a Jupyter notebook, and which findings a notebook's cells do not carry.

Page: rules/MP113.md, section "In a notebook" (and rules/zh-CN/). Run by the engine
for notebooks only (``notebook_findings``), after the registered checks; not in the
registry.

A kernel's ``__main__`` has no file. Under spawn and forkserver the child cannot import
the notebook, so it never finds a function or class defined in a cell, whether it sits
under ``if __name__ == "__main__":`` or not: unpickling the task fails with
``AttributeError: Can't get attribute 'f' on <module '__main__' (built-in)>`` (3.12 and
3.13 print ``(<class '_frozen_importlib.BuiltinImporter'>)`` in place of
``(built-in)``), a Process child dies and a Pool's workers die and are replaced for ever.
For the same reason the harms that come from the child re-importing the main module
(MP101's endless start-up, MP112's import-time values, MP406's fresh copies, MP102 at
import time) cannot happen in a notebook: those findings are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import MESSAGES, Finding, Message, render_message
from mplint.facts import POOL_KINDS, Facts
from mplint.semantic.kinds import Kind, Via

NOTEBOOK_VARIANT = "notebook"
# Rules whose every harm comes from a child re-importing the main module.
REIMPORT_RULES = frozenset({"MP101", "MP112", "MP406"})

MESSAGES.setdefault("MP113", {})[NOTEBOOK_VARIANT] = Message(
    en="`{name}` is defined in a notebook cell and a child process needs it: the kernel's "
    "`__main__` has no file, so under spawn and forkserver the child cannot import it and "
    "never finds `{name}` (`AttributeError: Can't get attribute '{name}' on <module "
    "'__main__' ...>`), whatever the guard: a Process child dies, a Pool hangs for ever and "
    "an executor raises `BrokenProcessPool`. Spawn is the default on macOS and Windows, and "
    "forkserver on Linux from Python 3.14. Move `{name}` into a `.py` module next to the "
    "notebook and import it from there.",
    zh="`{name}` 定义在笔记本（`.ipynb`）的单元格里，子进程却需要用到它：内核的 `__main__` "
    "没有对应的文件，所以在 `spawn` 和 `forkserver` 方式下子进程无法导入它，永远找不到 "
    "`{name}`（`AttributeError: Can't get attribute '{name}' on <module '__main__' ...>`），"
    "有没有入口保护都一样：`Process` 的子进程直接退出，进程池永远挂起，执行器抛出 "
    "`BrokenProcessPool`。macOS 和 Windows 默认使用 `spawn`，Linux 从 Python 3.14 起默认使用 "
    "`forkserver`。请把 `{name}` 移到笔记本旁边的一个 `.py` 模块里，再从那里导入。",
)


def notebook_findings(
    facts: Facts, findings: list[Finding], enabled: frozenset[str]
) -> list[Finding]:
    """The registered checks' findings as they apply to a notebook, plus MP113's own."""
    kept = [f for f in findings if f.code != "MP113" and not _reimport_harm(f)]
    if "MP113" in enabled:
        kept.extend(cell_definitions_sent(facts))
    return kept


def _reimport_harm(finding: Finding) -> bool:
    if finding.code in REIMPORT_RULES:
        return True
    # MP102 at import time is about children re-importing the module; its other cases
    # (called twice, after a process was made) are not.
    return finding.code == "MP102" and "at import time" in render_message(finding, "en")


def cell_definitions_sent(facts: Facts) -> Iterator[Finding]:
    """Every function or class of the notebook that is sent to a child process which
    may be spawned; one finding per definition, at the first call that sends it."""
    reported: set[int] = set()
    for definition, call in _sent(facts):
        if id(definition) in reported or not _defined_in_cell(facts, definition):
            continue
        if not facts.may_spawn(call.func):
            continue
        reported.add(id(definition))
        yield Finding("MP113", call, {"name": _name(facts, definition)}, variant=NOTEBOOK_VARIANT)


def _sent(facts: Facts) -> Iterator[tuple[cst.FunctionDef | cst.ClassDef, cst.Call]]:
    for use in facts.child_uses:
        if use.via != Via.RUN and isinstance(use.call, cst.Call):
            yield use.function, use.call
    for call in facts.calls:
        if not _goes_to_a_process(facts, call):
            continue
        func = call.func
        if isinstance(func, cst.Name) and func.value in facts.process_subclasses:
            # The Process object itself is pickled under spawn, with its class.
            yield facts.process_subclasses[func.value], call
        task = facts.task_argument(call)
        cls = facts.local_class(task.value) if task is not None else None
        if cls is not None:
            yield cls, call
        for argument in facts.sent_arguments(call):
            for made in _objects_made(facts, argument.value, 0):
                yield made, call


def _goes_to_a_process(facts: Facts, call: cst.Call) -> bool:
    if facts.kind_of(call) in (Kind.PROCESS, *POOL_KINDS):
        return True
    func = call.func
    return isinstance(func, cst.Attribute) and facts.kind_of(func.value) in POOL_KINDS


def _objects_made(facts: Facts, node: cst.BaseExpression, depth: int) -> Iterator[cst.ClassDef]:
    """Classes of the notebook whose objects an argument holds: ``Point(1, 2)``, or a
    tuple, list or set of them."""
    if depth > 3:
        return
    if isinstance(node, cst.Call):
        cls = facts.local_class(node.func)
        if cls is not None:
            yield cls
    elif isinstance(node, cst.Tuple | cst.List | cst.Set):
        for element in node.elements:
            yield from _objects_made(facts, element.value, depth + 1)


def _defined_in_cell(facts: Facts, definition: cst.FunctionDef | cst.ClassDef) -> bool:
    """Defined at the top of a cell (under a guard or not), or a method of a class that
    is: a nested function is MP103's (it cannot be pickled anywhere)."""
    owner: cst.CSTNode = definition
    if isinstance(definition, cst.FunctionDef):
        cls = facts.class_of(definition)
        if cls is not None:
            owner = cls
    return isinstance(facts.scope_of(owner), cst.Module) and not any(
        isinstance(a, cst.FunctionDef) for a in facts.ancestors(owner)
    )


def _name(facts: Facts, definition: cst.FunctionDef | cst.ClassDef) -> str:
    if isinstance(definition, cst.FunctionDef):
        cls = facts.class_of(definition)
        if cls is not None:
            return f"{cls.name.value}.{definition.name.value}"
    return definition.name.value
