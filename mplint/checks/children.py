"""MP112 parent-state-not-inherited, MP113 task-defined-in-main, MP114 child-changes-lost:
what a child process gets of the parent's state, and what the parent gets back.

Pages: rules/MP112.md, rules/MP113.md, rules/MP114.md (and rules/zh-CN/). Fixtures:
fixtures/MP112/, fixtures/MP113/, fixtures/MP114/. Examples:
examples/MP112-parent-state-not-inherited/, examples/MP113-task-defined-in-main/,
examples/MP114-child-changes-lost/.

Only public queries of Facts are used (child_uses, call_sites, bindings, globals_declared,
in_main_guard, kind_of, may_spawn, function_for, name_nodes, ...), plus flow.loads_of and
flow.uses_of, so that moving the checks onto the semantic model is a matter of renaming
those queries.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import (
    POOL_KINDS,
    POOL_TASK_METHODS,
    Binding,
    Facts,
    FastVisitor,
    bound_names,
    call_argument,
)
from mplint.flow import loads_of, reads_module_variable, uses_of

_SPAWN_NOTE_EN = (
    "Spawn is the default on macOS and Windows, and forkserver on Linux from Python 3.14, "
    'so code that "works on my machine" under fork breaks there too.'
)
_SPAWN_NOTE_ZH = (
    "macOS 和 Windows 默认使用 `spawn`，Linux 从 Python 3.14 起默认使用 `forkserver`，"
    "所以在 `fork` 下“在我机器上能跑”的代码到了那里也会出错。"
)

messages(
    {
        "MP112": {
            "changed": Message(
                en="`{function}` runs in a child process and reads the global `{name}`, which "
                "the parent changes at run time before starting it: under spawn and forkserver "
                "the child re-imports this file and sees the value `{name}` has at import "
                "time, not the parent's; only fork copies the parent's value. "
                + _SPAWN_NOTE_EN
                + " Pass the value as an argument, or through `initializer=`/`initargs=`.",
                zh="`{function}` 在子进程中运行并读取全局变量 `{name}`，而父进程在启动它之前的"
                "运行时才修改这个变量：在 `spawn` 和 `forkserver` 方式下，子进程会重新导入本"
                "文件，看到的是导入时 `{name}` 的值，而不是父进程里的值；只有 `fork` 才会复制"
                "父进程里的值。"
                + _SPAWN_NOTE_ZH
                + "请把这个值作为参数传给子进程，或者通过 `initializer=`/`initargs=` 传递。",
            ),
            "main-only": Message(
                en="`{function}` runs in a child process and uses `{name}`, which only the "
                'block under `if __name__ == "__main__":` defines: under spawn and '
                "forkserver the child re-imports this file without running that block and "
                "fails with `NameError: name '{name}' is not defined`; only fork copies it. "
                + _SPAWN_NOTE_EN
                + " Pass the value as an argument (or through `initializer=`/`initargs=`), "
                "or define it at module level.",
                zh="`{function}` 在子进程中运行并使用 `{name}`，而它只在 "
                '`if __name__ == "__main__":` 入口保护之内定义：在 `spawn` 和 `forkserver` '
                "方式下，子进程重新导入本文件时不会执行那段代码，于是报 "
                "`NameError: name '{name}' is not defined`；只有 `fork` 才会把它复制过去。"
                + _SPAWN_NOTE_ZH
                + "请把这个值作为参数传给子进程（或者通过 `initializer=`/`initargs=` 传递），"
                "或者把它定义在模块顶层。",
            ),
        },
        "MP113": Message(
            en='`{name}` is defined under `if __name__ == "__main__":` and a child process '
            "needs it: under spawn and forkserver the child re-imports this file as "
            "`__mp_main__`, skips that block and cannot find it (`AttributeError: Can't get "
            "attribute '{name}'`): a Process child dies, a Pool hangs for ever and an executor "
            "raises `BrokenProcessPool`. " + _SPAWN_NOTE_EN + " Move the definition to "
            "module level, above the guard.",
            zh='`{name}` 定义在 `if __name__ == "__main__":` 入口保护之内，子进程却需要用到它：'
            "在 `spawn` 和 `forkserver` 方式下，子进程会以 `__mp_main__` 的名字重新导入本文件，"
            "跳过这段代码，于是找不到它（`AttributeError: Can't get attribute '{name}'`）："
            "`Process` 的子进程直接退出，进程池永远挂起，执行器抛出 `BrokenProcessPool`。"
            + _SPAWN_NOTE_ZH
            + "请把定义移到模块顶层、入口保护之前。",
        ),
        "MP114": Message(
            en="The parent reads `{name}` after `{function}` changed it in a child process, "
            "but the child changed only its own copy: the parent still sees the old value. "
            "Send the result back instead: return it from a pool task, put it on a "
            "`multiprocessing.Queue`, or use a shared `Value`/`Array` or a `Manager`.",
            zh="父进程在 `{function}` 于子进程中修改 `{name}` 之后读取它，但子进程改的只是自己的"
            "副本：父进程看到的仍是旧值。请改为把结果传回来：从进程池任务中返回、放进 "
            "`multiprocessing.Queue`，或者使用共享的 `Value`/`Array` 或 `Manager`。",
        ),
    }
)

_BUILTINS = frozenset(dir(builtins))
_MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "popitem",
        "appendleft",
        "extendleft",
        "__setitem__",
    }
)
_CONTAINER_CALLS = frozenset(
    {
        "list",
        "dict",
        "set",
        "collections.defaultdict",
        "collections.Counter",
        "collections.OrderedDict",
        "collections.deque",
        "types.SimpleNamespace",
    }
)
_CHILD_VIAS = ("process", "pool", "executor", "run")


_ANCHORS: weakref.WeakKeyDictionary[Facts, _Anchors] = weakref.WeakKeyDictionary()


def _anchors(facts: Facts) -> _Anchors:
    """The file's anchors, made once and shared by the checks of this module."""
    found = _ANCHORS.get(facts)
    if found is None:
        found = _ANCHORS[facts] = _Anchors(facts)
    return found


def _label(facts: Facts, function: cst.FunctionDef) -> str:
    cls = facts.class_of(function)
    return f"{cls.name.value}.{function.name.value}" if cls else function.name.value


class _Anchors:
    """Where a node runs on the parent's main flow: the chain of positions from the main
    guard down through the one call of each function it is in. Two chains compare in
    the order the parent runs them; None when the node is not surely on the main flow
    (import-time code, a function called from several places, a child's function)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        # Every node's position in source order (the facts walk is a pre-order walk).
        self.order = {id(node): index for index, node in enumerate(facts.parents)}
        self.callers: dict[cst.FunctionDef, list[cst.Call]] = {}
        for call in facts.calls:
            function = facts.function_for(call.func)
            if function is not None:
                self.callers.setdefault(function, []).append(call)

    def chain(self, node: cst.CSTNode, depth: int = 0) -> tuple[int, ...] | None:
        if depth > 6:
            return None
        function = self.facts.function_of(node)
        if function is None:
            return (self.order[id(node)],) if self.facts.in_main_guard(node) else None
        callers = self.callers.get(function, [])
        if len(callers) != 1:
            return None
        outer = self.chain(callers[0], depth + 1)
        return None if outer is None else (*outer, self.order[id(node)])


def _before(first: tuple[int, ...] | None, second: tuple[int, ...] | None) -> bool:
    if first is None or second is None:
        return False
    for a, b in zip(first, second, strict=False):
        if a != b:
            return a < b
    return False


def _child_closure(facts: Facts, roots: set[cst.FunctionDef]) -> set[cst.FunctionDef]:
    """The functions of this file a child runs: its own and those they call."""
    found = set(roots)
    todo = list(roots)
    while todo:
        function = todo.pop()
        for call in facts.calls_by_function.get(function, ()):
            callee = facts.function_for(call.func)
            if callee is not None and callee not in found:
                found.add(callee)
                todo.append(callee)
    return found


def _is_global_read(facts: Facts, name: cst.Name) -> bool:
    """The Name loads the module's variable (not a local, not a target or attribute)."""
    return not _bound_nearby(facts, name) and reads_module_variable(
        facts, name, augmented_reads=False
    )


def _bound_nearby(facts: Facts, name: cst.Name) -> bool:
    """The name is bound by an enclosing comprehension (``[x for x in ...]``) or except
    clause (``except E as x``), which the bindings of the facts do not record."""
    for ancestor in facts.ancestors(name):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.Module):
            return False
        if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp):
            comp: cst.CompFor | None = ancestor.for_in
            while comp is not None:
                if name.value in bound_names(comp.target):
                    return True
                comp = comp.inner_for_in
        if isinstance(ancestor, cst.ExceptHandler) and ancestor.name is not None:
            if name.value in bound_names(ancestor.name.name):
                return True
    return False


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
        if _is_global_read(facts, name):
            yield name.value, name


# -- MP113 -------------------------------------------------------------


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
        bindings = facts.visible_bindings(node)
        if len(bindings) == 1 and bindings[0].value is not None:
            if bindings[0].unpack_index is None:
                yield from _main_objects(facts, bindings[0].value, depth + 1)


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


# -- MP112 -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Change:
    node: cst.CSTNode
    attribute: str | None  # `Config.x = ...` changes only x


def _store_statement(facts: Facts, target: cst.CSTNode) -> cst.CSTNode | None:
    """The statement that stores into ``target`` (``target = v``, ``target += v``,
    ``del target``), or None when the node is read."""
    holder = facts.parent(target)
    if isinstance(holder, cst.AssignTarget) and holder.target is target:
        return facts.parent(holder)
    if isinstance(holder, cst.AugAssign | cst.Del) and holder.target is target:
        return holder
    return None


def _in_place_changes(
    facts: Facts, names: Iterable[str]
) -> Iterator[tuple[str, cst.Name, _Change]]:
    """In-place changes of some names, anywhere in the file: ``N.append(x)``,
    ``N[k] = v``, ``N[k] += v``, ``del N[k]``, ``N.attr = v``. Found from the file's
    index of names, without walking the tree; callers decide which ones count."""
    for text in names:
        for name in facts.name_nodes.get(text, ()):
            parent = facts.parent(name)
            if isinstance(parent, cst.Attribute) and parent.value is name:
                holder = facts.parent(parent)
                if isinstance(holder, cst.Call) and holder.func is parent:
                    if parent.attr.value in _MUTATING_METHODS:
                        yield text, name, _Change(holder, None)
                    continue
                statement = _store_statement(facts, parent)
                if statement is not None:
                    yield text, name, _Change(statement, parent.attr.value)
            elif isinstance(parent, cst.Subscript) and parent.value is name:
                statement = _store_statement(facts, parent)
                if statement is not None:
                    yield text, name, _Change(statement, None)


def _in_any(facts: Facts, node: cst.CSTNode, functions: set[cst.FunctionDef]) -> bool:
    """The node is in the body of one of these functions (or of a def nested in one)."""
    return any(isinstance(a, cst.FunctionDef) and a in functions for a in facts.ancestors(node))


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
) -> list[_Change] | None:
    """Where the parent changes the global at run time (the main guard, or functions);
    None when a child-side function rebinds it (an initializer setting it up)."""
    changes: list[_Change] = []
    for binding in facts.bindings.get((facts.module, name), ()):
        if facts.in_main_guard(binding.node):
            changes.append(_Change(binding.node, None))
    for function, declared in facts.globals_declared.items():
        if name not in declared:
            continue
        if function in child_side:
            return None
        for binding in facts.bindings.get((function, name), ()):
            changes.append(_Change(binding.node, None))
    return changes


def _parent_in_place_changes(
    facts: Facts, names: set[str], child_side: set[cst.FunctionDef]
) -> dict[str, list[_Change]]:
    """In-place changes of some module globals made by the parent: under the main guard
    and in functions that do not run in a child (import-time code runs in the child too)."""
    changes: dict[str, list[_Change]] = {}
    for text, base, change in _in_place_changes(facts, names):
        if facts.function_of(base) is None and not facts.in_main_guard(base):
            continue
        if _in_any(facts, base, child_side) or not _is_global_read(facts, base):
            continue
        changes.setdefault(text, []).append(change)
    return changes


@check("MP112")
def parent_state_not_inherited(facts: Facts) -> Iterator[Finding]:
    uses = [u for u in facts.child_uses if isinstance(u.call, cst.Call)]
    uses += [u for u in facts.child_uses if u.via == "run"]
    if not uses or not facts.main_guards:
        return
    child_side = _child_closure(facts, {u.function for u in facts.child_uses})
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
        send = use.call if isinstance(use.call, cst.Call) else _made(facts, use.call)
        if send is None or not facts.may_spawn(send.func):
            continue
        for function in sorted(_child_closure(facts, {use.function}), key=facts.functions.index):
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
                        {"function": _label(facts, function), "name": text},
                        variant=variant,
                    )


def _made(facts: Facts, cls: cst.CSTNode) -> cst.Call | None:
    """The first call that makes an object of a Process subclass (the send of its run)."""
    if not isinstance(cls, cst.ClassDef):
        return None
    for call in facts.calls:
        if isinstance(call.func, cst.Name) and call.func.value == cls.name.value:
            if not facts.visible_bindings(call.func):
                return call
    return None


def _stale(
    facts: Facts,
    name: str,
    reads: list[cst.Name],
    send: cst.Call,
    child_side: set[cst.FunctionDef],
    in_place: list[_Change],
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
        anchors = _anchors(facts)
        send_chain = anchors.chain(send)
        if any(_before(anchors.chain(node), send_chain) for node in definitions):
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
    anchors = _anchors(facts)
    send_chain = anchors.chain(send)
    if any(_before(anchors.chain(change.node), send_chain) for change in relevant):
        return "changed"
    return None


# -- MP114 -------------------------------------------------------------


def _fresh_container(facts: Facts, value: cst.BaseExpression | None) -> bool:
    """A new list, dict, set or plain object: mutable data that is copied, not shared."""
    if isinstance(value, cst.List | cst.Dict | cst.Set | cst.ListComp | cst.DictComp):
        return True
    if isinstance(value, cst.SetComp):
        return True
    if isinstance(value, cst.Call):
        qualname = facts.resolve(value.func)
        if qualname is None and isinstance(value.func, cst.Name):
            if facts.visible_bindings(value.func):
                return False
            if value.func.value in facts.classes:
                cls = facts.classes[value.func.value]
                return value.func.value not in facts.process_subclasses and not any(
                    facts.resolve(base.value) for base in cls.bases
                )
            qualname = value.func.value
        return qualname in _CONTAINER_CALLS
    return False


def _sends(facts: Facts, call: cst.Call | None) -> bool:
    """The call hands a function to another process (not a thread)."""
    if call is None:
        return False
    if facts.kind_of(call) == "process":
        return True
    func = call.func
    return isinstance(func, cst.Attribute) and facts.kind_of(func.value) in POOL_KINDS


def _later_reads(
    facts: Facts, name: str, scope: cst.CSTNode, after: cst.CSTNode, order: dict
) -> list[cst.Name]:
    return [
        load
        for load in loads_of(facts, name, scope)  # type: ignore[arg-type]
        if order[id(load)] > order[id(after)]
        and not facts.is_inside(load, after)
        and not any(isinstance(a, cst.Call) and _sends(facts, a) for a in facts.ancestors(load))
    ]


def _mutated_parameters(facts: Facts, function: cst.FunctionDef) -> dict[str, cst.Param]:
    params = {p.name.value: p for p in (*function.params.posonly_params, *function.params.params)}
    params.update({p.name.value: p for p in function.params.kwonly_params})
    found = {}
    for text, base, _ in _in_place_changes(facts, params):
        if not facts.is_inside(base, function.body):
            continue
        bindings = facts.visible_bindings(base)
        if len(bindings) == 1 and bindings[0].node is params[text]:
            found[text] = params[text]
    return found


class _ValueReturn(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _returns_value(function: cst.FunctionDef) -> bool:
    visitor = _ValueReturn()
    function.body.visit(visitor)
    return visitor.found


def _argument_changes(facts: Facts) -> Iterator[tuple[cst.Name, str, str]]:
    """Task arguments changed in place in the child and read by the parent afterwards."""
    for function, sites in facts.call_sites.items():
        sent = [s for s in sites if _sends(facts, s.call)]
        if not sent:
            continue
        mutated = _mutated_parameters(facts, function)
        if not mutated or _returns_value(function):
            continue  # a task that returns its result: the parent reads that, not the argument
        for param in mutated.values():
            for site in sent:
                argument = site.argument_for(param)
                if not isinstance(argument, cst.Name):
                    continue
                bindings = facts.visible_bindings(argument)
                if not bindings or not all(_fresh_container(facts, b.value) for b in bindings):
                    continue
                scope = bindings[0].scope
                assert site.call is not None
                reads = _later_reads(facts, argument.value, scope, site.call, _anchors(facts).order)
                if reads:
                    yield reads[0], argument.value, _label(facts, function)
                    break


class _SelfInPlace(FastVisitor):
    """Attributes of self changed in place: ``self.x.append(v)``, ``self.x[k] = v``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def _self_attribute(self, node: cst.BaseExpression) -> None:
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        ):
            self.found.add(node.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _MUTATING_METHODS:
            self._self_attribute(node.func.value)

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript | cst.Attribute):
            self._self_attribute(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)


def _run_attribute_changes(facts: Facts) -> Iterator[tuple[cst.Name, str, str]]:
    """``self.x = ...`` in a Process subclass's run(), read as ``p.x`` after ``p.start()``."""
    for cls_name, cls in facts.process_subclasses.items():
        run = facts.inherited_method(cls, "run")
        if run is None:
            continue
        changed: set[str] = set()
        for binding in facts.self_attribute_bindings:
            if facts.is_inside(binding.node, run.body):
                changed.add(binding.name.split(".", 1)[1])
        visitor = _SelfInPlace()
        run.body.visit(visitor)
        for attribute in visitor.found:
            values = [
                b.value
                for b in facts.self_attribute_bindings
                if b.name == f"self.{attribute}" and facts.is_inside(b.node, cls)
            ]
            if values and all(_fresh_container(facts, value) for value in values):
                changed.add(attribute)
        if not changed:
            continue
        for (scope, variable), bindings in facts.bindings.items():
            if not (
                len(bindings) == 1
                and isinstance(bindings[0].value, cst.Call)
                and isinstance(bindings[0].value.func, cst.Name)
                and bindings[0].value.func.value == cls_name
            ):
                continue
            started: int | None = None
            reported: set[str] = set()
            order = _anchors(facts).order
            for use in uses_of(facts, variable, scope):
                if use.name == "start" and started is None:
                    started = order[id(use.attribute)]
                elif (
                    started is not None
                    and use.name in changed - reported
                    and order[id(use.attribute)] > started
                    and use.action == "read"
                ):
                    reported.add(use.name)
                    read = use.attribute.value
                    assert isinstance(read, cst.Name)
                    yield read, f"{variable}.{use.name}", _label(facts, run)


def _global_changes(facts: Facts) -> Iterator[tuple[cst.Name, str, str]]:
    """A module global list/dict changed in place by a child and read by the parent after."""
    names = {
        name
        for (scope, name), bindings in facts.bindings.items()
        if scope is facts.module
        and all(
            _fresh_container(facts, b.value) and not facts.in_main_guard(b.node) for b in bindings
        )
    }
    children = [u for u in facts.child_uses if u.via in _CHILD_VIAS]
    if not names or not children:
        return
    child_side = _child_closure(facts, {u.function for u in children})
    called_by_parent = {
        facts.function_for(call.func)
        for call in facts.calls
        if facts.function_of(call) not in child_side
    }
    for use in children:
        if use.function in called_by_parent:
            continue
        send = use.call if isinstance(use.call, cst.Call) else _made(facts, use.call)
        if send is None:
            continue
        closure = _child_closure(facts, {use.function})
        rebound = {  # MP110 reports globals the child rebinds
            name
            for function in closure
            for name in facts.globals_declared.get(function, ())
            if facts.bindings.get((function, name))
        }
        changed = {
            text
            for text, base, _ in _in_place_changes(facts, names - rebound)
            if _in_any(facts, base, closure) and _is_global_read(facts, base)
        }
        if not changed:
            continue
        anchors = _anchors(facts)
        send_chain = anchors.chain(send)
        for text in sorted(changed):
            for read in facts.name_nodes.get(text, ()):
                if (
                    _is_global_read(facts, read)
                    and not any(facts.is_inside(read, f.body) for f in child_side)
                    and _before(send_chain, anchors.chain(read))
                ):
                    yield read, text, _label(facts, use.function)
                    break


@check("MP114")
def child_changes_lost(facts: Facts) -> Iterator[Finding]:
    if not facts.child_uses:
        return
    seen: set[int] = set()
    for read, name, function in (
        *_run_attribute_changes(facts),
        *_argument_changes(facts),
        *_global_changes(facts),
    ):
        if id(read) in seen:
            continue
        seen.add(id(read))
        yield Finding("MP114", read, {"name": name, "function": function})
