"""MP112 parent-state-not-inherited: child reads a global the parent sets only at run time.

Page: rules/MP112.md (zh-CN: rules/zh-CN/MP112.md) · Fixtures: fixtures/MP112/
· Example: examples/MP112-parent-state-not-inherited/
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.children.parent_state import (
    SPAWN_NOTE_EN,
    SPAWN_NOTE_ZH,
    Change,
    anchors_of,
    child_closure,
    comes_before,
    construction_of,
    in_any,
    in_place_changes,
    is_global_read,
    shown_name,
)
from mplint.facts import (
    Binding,
    Facts,
    FastVisitor,
)

messages(
    {
        "MP112": {
            "changed": Message(
                en="`{function}` runs in a child process and reads the global `{name}`, which "
                "the parent changes at run time before starting it: under spawn and forkserver "
                "the child re-imports this file and sees the value `{name}` has at import "
                "time, not the parent's; only fork copies the parent's value. "
                + SPAWN_NOTE_EN
                + " Pass the value as an argument, or through `initializer=`/`initargs=`.",
                zh="`{function}` 在子进程中运行并读取全局变量 `{name}`，而父进程在启动它之前的"
                "运行时才修改这个变量：在 `spawn` 和 `forkserver` 方式下，子进程会重新导入本"
                "文件，看到的是导入时 `{name}` 的值，而不是父进程里的值；只有 `fork` 才会复制"
                "父进程里的值。"
                + SPAWN_NOTE_ZH
                + "请把这个值作为参数传给子进程，或者通过 `initializer=`/`initargs=` 传递。",
            ),
            "main-only": Message(
                en="`{function}` runs in a child process and uses `{name}`, which only the "
                'block under `if __name__ == "__main__":` defines: under spawn and '
                "forkserver the child re-imports this file without running that block and "
                "fails with `NameError: name '{name}' is not defined`; only fork copies it. "
                + SPAWN_NOTE_EN
                + " Pass the value as an argument (or through `initializer=`/`initargs=`), "
                "or define it at module level.",
                zh="`{function}` 在子进程中运行并使用 `{name}`，而它只在 "
                '`if __name__ == "__main__":` 入口保护之内定义：在 `spawn` 和 `forkserver` '
                "方式下，子进程重新导入本文件时不会执行那段代码，于是报 "
                "`NameError: name '{name}' is not defined`；只有 `fork` 才会把它复制过去。"
                + SPAWN_NOTE_ZH
                + "请把这个值作为参数传给子进程（或者通过 `initializer=`/`initargs=` 传递），"
                "或者把它定义在模块顶层。",
            ),
        },
    }
)

_BUILTINS = frozenset(dir(builtins))


class _Names(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.found.append(node)


def _global_reads(facts: Facts, function: cst.FunctionDef) -> Iterator[tuple[str, cst.Name]]:
    names = _Names()
    function.body.visit(names)
    for name in names.found:
        if is_global_read(facts, name):
            yield name.value, name


def _main_only_definitions(facts: Facts, name: str) -> list[cst.CSTNode] | None:
    """Where the main guard binds a name that exists at module level only because of it
    (assignments, defs, classes); None when the re-imported module has it too."""
    if name in facts.imports or facts.star_modules or name in _BUILTINS:
        return None
    found: list[cst.CSTNode] = [b.node for b in facts.bindings.get((facts.module, name), ())]
    definitions: list[cst.FunctionDef | cst.ClassDef] = [*facts.functions, *facts.classes.values()]
    for definition in definitions:
        if definition.name.value == name and isinstance(facts.scope_of(definition), cst.Module):
            if any(isinstance(a, cst.ClassDef) for a in facts.ancestors(definition)):
                continue
            found.append(definition)
    if found and all(facts.in_main_guard(node) for node in found):
        return found
    return None


def _plain_module_value(facts: Facts, bindings: list[Binding]) -> bool:
    """Module-level bindings that are plain data, not process objects (other rules)."""
    return all(b.value is not None and facts.kind_of(b.value) is None for b in bindings)


def _run_time_changes(
    facts: Facts, name: str, child_side: set[cst.FunctionDef]
) -> list[Change] | None:
    """Where the parent changes the global at run time (the main guard, or functions);
    None when a child-side function rebinds it (an initializer setting it up)."""
    changes: list[Change] = []
    for binding in facts.bindings.get((facts.module, name), ()):
        if facts.in_main_guard(binding.node):
            changes.append(Change(binding.node, None))
    for function, declared in facts.globals_declared.items():
        if name not in declared:
            continue
        if function in child_side:
            return None
        for binding in facts.bindings.get((function, name), ()):
            changes.append(Change(binding.node, None))
    return changes


def _parent_in_place_changes(
    facts: Facts, names: set[str], child_side: set[cst.FunctionDef]
) -> dict[str, list[Change]]:
    """In-place changes of some module globals made by the parent: under the main guard
    and in functions that do not run in a child (import-time code runs in the child too)."""
    changes: dict[str, list[Change]] = {}
    for text, base, change in in_place_changes(facts, names):
        if facts.function_of(base) is None and not facts.in_main_guard(base):
            continue
        if in_any(facts, base, child_side) or not is_global_read(facts, base):
            continue
        changes.setdefault(text, []).append(change)
    return changes


@check("MP112")
def parent_state_not_inherited(facts: Facts) -> Iterator[Finding]:
    uses = [u for u in facts.child_uses if isinstance(u.call, cst.Call)]
    uses += [u for u in facts.child_uses if u.via == "run"]
    if not uses or not facts.main_guards:
        return
    child_side = child_closure(facts, {u.function for u in facts.child_uses})
    reads_of: dict[cst.FunctionDef, dict[str, list[cst.Name]]] = {}
    for function in child_side:
        reads: dict[str, list[cst.Name]] = {}
        for text, name in _global_reads(facts, function):
            reads.setdefault(text, []).append(name)
        reads_of[function] = reads
    read_names = {text for reads in reads_of.values() for text in reads}
    in_place = _parent_in_place_changes(facts, read_names, child_side) if read_names else {}
    reported: set[tuple[int, str]] = set()
    for use in uses:
        send = use.call if isinstance(use.call, cst.Call) else construction_of(facts, use.call)
        if send is None or not facts.may_spawn(send.func):
            continue
        for function in sorted(child_closure(facts, {use.function}), key=facts.functions.index):
            for text, names in reads_of.get(function, {}).items():
                key = (id(function), text)
                if key in reported:
                    continue
                variant = _stale(facts, text, names, send, child_side, in_place.get(text, []))
                if variant is not None:
                    reported.add(key)
                    yield Finding(
                        "MP112",
                        names[0],
                        {"function": shown_name(facts, function), "name": text},
                        variant=variant,
                    )


def _stale(
    facts: Facts,
    name: str,
    reads: list[cst.Name],
    send: cst.Call,
    child_side: set[cst.FunctionDef],
    in_place: list[Change],
) -> str | None:
    """Does the child see another value of this global than the parent had at the send?
    "main-only" when the name exists only under the main guard, "changed" when the parent
    changed its import-time value, None when neither (or unsure)."""
    bindings = facts.bindings.get((facts.module, name), [])
    if not _plain_module_value(facts, bindings):
        return None
    changes = _run_time_changes(facts, name, child_side)
    if changes is None:
        return None
    definitions = _main_only_definitions(facts, name)
    if definitions is not None:
        anchors = anchors_of(facts)
        send_chain = anchors.chain(send)
        if any(comes_before(anchors.chain(node), send_chain) for node in definitions):
            return "main-only"
        return None
    cls = facts.classes.get(name)
    is_class = cls is not None and not facts.in_main_guard(cls)
    if name in facts.imports or name in facts.module_functions:
        return None
    if not bindings and not is_class:
        return None
    changes.extend(in_place)
    read_attributes = {
        parent.attr.value
        for read in reads
        if isinstance(parent := facts.parent(read), cst.Attribute) and parent.value is read
    }
    relevant = [
        change
        for change in changes
        if not (is_class and change.attribute is None)  # a class: only its attributes
        and (change.attribute is None or change.attribute in read_attributes)
    ]
    if not relevant:
        return None
    anchors = anchors_of(facts)
    send_chain = anchors.chain(send)
    if any(comes_before(anchors.chain(change.node), send_chain) for change in relevant):
        return "changed"
    return None
