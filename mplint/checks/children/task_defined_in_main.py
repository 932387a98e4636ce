"""MP113 task-defined-in-main: task function or class defined under the main guard.

Page: rules/MP113.md (zh-CN: rules/zh-CN/MP113.md) · Fixtures: fixtures/MP113/
· Example: examples/MP113-task-defined-in-main/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.children.parent_state import SPAWN_NOTE_EN, SPAWN_NOTE_ZH
from mplint.facts import (
    POOL_KINDS,
    POOL_TASK_METHODS,
    Facts,
    call_argument,
)

messages(
    {
        "MP113": Message(
            en='`{name}` is defined under `if __name__ == "__main__":` and a child process '
            "needs it: under spawn and forkserver the child re-imports this file as "
            "`__mp_main__`, skips that block and cannot find it (`AttributeError: Can't get "
            "attribute '{name}'`): a Process child dies, a Pool hangs for ever and an executor "
            "raises `BrokenProcessPool`. " + SPAWN_NOTE_EN + " Move the definition to "
            "module level, above the guard.",
            zh='`{name}` 定义在 `if __name__ == "__main__":` 入口保护之内，子进程却需要用到它：'
            "在 `spawn` 和 `forkserver` 方式下，子进程会以 `__mp_main__` 的名字重新导入本文件，"
            "跳过这段代码，于是找不到它（`AttributeError: Can't get attribute '{name}'`）："
            "`Process` 的子进程直接退出，进程池永远挂起，执行器抛出 `BrokenProcessPool`。"
            + SPAWN_NOTE_ZH
            + "请把定义移到模块顶层、入口保护之前。",
        ),
    }
)


def _defined_in_main(facts: Facts, definition: cst.FunctionDef | cst.ClassDef) -> bool:
    """Defined in the main guard's block at module level, with no other module-level
    definition of the name that a re-imported module would have."""
    if not facts.in_main_guard(definition) or not isinstance(
        facts.scope_of(definition), cst.Module
    ):
        return False
    if any(isinstance(a, cst.ClassDef) for a in facts.ancestors(definition)):
        return False
    name = definition.name.value
    if name in facts.imports or facts.star_modules:
        return False
    for binding in facts.bindings.get((facts.module, name), ()):
        if not facts.in_main_guard(binding.node):
            return False
    definitions: list[cst.FunctionDef | cst.ClassDef] = [*facts.functions, *facts.classes.values()]
    for other in definitions:
        if (
            other is not definition
            and other.name.value == name
            and isinstance(facts.scope_of(other), cst.Module)
            and not facts.in_main_guard(other)
        ):
            return False
    return True


def _main_class(facts: Facts, node: cst.BaseExpression) -> cst.ClassDef | None:
    """A class of this file named by ``node`` and defined under the main guard."""
    if not isinstance(node, cst.Name) or facts.visible_bindings(node):
        return None
    cls = facts.classes.get(node.value)
    return cls if cls is not None and _defined_in_main(facts, cls) else None


def _sent_classes(facts: Facts) -> Iterator[tuple[cst.ClassDef, cst.Call]]:
    """Classes of the main guard used as a task or target, and Process subclasses of the
    main guard that are made (their object is pickled whole under spawn)."""
    for call in facts.calls:
        kind = facts.kind_of(call)
        if kind == "process":
            if isinstance(call.func, cst.Name) and call.func.value in facts.process_subclasses:
                cls = _main_class(facts, call.func)
                if cls is not None:
                    yield cls, call
                    continue
            target = call_argument(call, "target", 1)
            cls = _main_class(facts, target.value) if target is not None else None
            if cls is not None:
                yield cls, call
            for keyword, position in (("args", 3), ("kwargs", 4)):
                sent = call_argument(call, keyword, position)
                if sent is not None and not sent.star:
                    yield from ((c, call) for c in _main_objects(facts, sent.value, 0))
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            if facts.kind_of(func.value) in POOL_KINDS:
                task = call_argument(call, "func", 0) or call_argument(call, "fn", 0)
                cls = _main_class(facts, task.value) if task is not None else None
                if cls is not None:
                    yield cls, call
                for argument in call.args[1:]:
                    if not argument.star and argument.keyword is None:
                        yield from ((c, call) for c in _main_objects(facts, argument.value, 0))


def _main_objects(facts: Facts, node: cst.BaseExpression, depth: int) -> Iterator[cst.ClassDef]:
    """Classes of the main guard whose objects an argument holds: ``Point(1, 2)``, a
    tuple, list or dict of them, or a name bound once to one."""
    if depth > 3:
        return
    if isinstance(node, cst.Call):
        cls = _main_class(facts, node.func)
        if cls is not None:
            yield cls
    elif isinstance(node, cst.Tuple | cst.List | cst.Set):
        for element in node.elements:
            yield from _main_objects(facts, element.value, depth + 1)
    elif isinstance(node, cst.Dict):
        for item in node.elements:
            if isinstance(item, cst.DictElement):
                yield from _main_objects(facts, item.value, depth + 1)
    elif isinstance(node, cst.Name):
        value = facts.only_value(node)
        if value is not None:
            yield from _main_objects(facts, value, depth + 1)


@check("MP113")
def task_defined_in_main(facts: Facts) -> Iterator[Finding]:
    if not any(
        facts.in_main_guard(definition)
        for definition in (*facts.functions, *facts.classes.values())
    ):
        return
    reported: set[int] = set()
    sent: list[tuple[cst.FunctionDef | cst.ClassDef, cst.Call]] = []
    for use in facts.child_uses:
        if use.via != "run" and isinstance(use.call, cst.Call):
            sent.append((use.function, use.call))
    sent.extend(_sent_classes(facts))
    for definition, call in sent:
        if id(definition) in reported or not _defined_in_main(facts, definition):
            continue
        if not facts.may_spawn(call.func):
            continue
        reported.add(id(definition))
        yield Finding("MP113", call, {"name": definition.name.value})
