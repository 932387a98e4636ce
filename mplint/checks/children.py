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
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import POOL_KINDS, POOL_TASK_METHODS, Binding, Facts, FastVisitor, call_argument
from mplint.flow import loads_of, uses_of

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
            en='`{name}` is defined under `if __name__ == "__main__":` and sent to a child '
            "process: under spawn and forkserver the child re-imports this file as "
            "`__mp_main__`, skips that block and cannot find it (`AttributeError: Can't get "
            "attribute '{name}'`): a Process child dies, a Pool hangs for ever and an executor "
            "raises `BrokenProcessPool`. " + _SPAWN_NOTE_EN + " Move the definition to "
            "module level, above the guard.",
            zh='`{name}` 定义在 `if __name__ == "__main__":` 入口保护之内，却被交给子进程运行：'
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


def _pre_order(facts: Facts) -> dict[cst.CSTNode, int]:
    """Every node's position in source order (the facts walk is a pre-order walk)."""
    return {node: index for index, node in enumerate(facts.parents)}


def _inside(facts: Facts, node: cst.CSTNode, container: cst.CSTNode) -> bool:
    return node is container or any(a is container for a in facts.ancestors(node))


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
        self.order = _pre_order(facts)
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
            return (self.order[node],) if self.facts.in_main_guard(node) else None
        callers = self.callers.get(function, [])
        if len(callers) != 1:
            return None
        outer = self.chain(callers[0], depth + 1)
        return None if outer is None else (*outer, self.order[node])


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
    parent = facts.parent(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return False
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return False
    if isinstance(parent, cst.FunctionDef | cst.ClassDef | cst.Param) and parent.name is name:
        return False
    if isinstance(parent, cst.ImportAlias | cst.NameItem | cst.ImportFrom | cst.AsName):
        return False
    if isinstance(parent, cst.AssignTarget | cst.AnnAssign | cst.AugAssign) and (
        parent.target is name
    ):
        return False
    if isinstance(parent, cst.For | cst.CompFor | cst.NamedExpr) and parent.target is name:
        return False
    if isinstance(parent, cst.Element):
        holder = facts.parent(facts.parent(parent) or parent)
        if isinstance(holder, cst.AssignTarget | cst.For | cst.CompFor):
            return False
    scope = facts.scope_of(name)
    while not isinstance(scope, cst.Module):
        if isinstance(scope, cst.FunctionDef) and name.value in facts.globals_declared.get(
            scope, ()
        ):
            return True
        if facts.bindings.get((scope, name.value)):
            return False
        scope = facts.scope_of(scope)
    return True


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
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            if facts.kind_of(func.value) in POOL_KINDS:
                task = call_argument(call, "func", 0) or call_argument(call, "fn", 0)
                cls = _main_class(facts, task.value) if task is not None else None
                if cls is not None:
                    yield cls, call


@check("MP113")
def task_defined_in_main(facts: Facts) -> Iterator[Finding]:
    if not facts.main_guards:
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


class _InPlace(FastVisitor):
    """In-place changes of some names in a block: ``N.append(x)``, ``N[k] = v``,
    ``N.attr = v``, ``del N[k]``; nested functions are entered too (callers decide)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.found: list[tuple[str, cst.Name, _Change]] = []

    def _base(self, node: cst.BaseExpression) -> cst.Name | None:
        if isinstance(node, cst.Subscript | cst.Attribute) and isinstance(node.value, cst.Name):
            return node.value if node.value.value in self.names else None
        return None

    def _store(self, target: cst.BaseExpression, statement: cst.CSTNode) -> None:
        base = self._base(target)
        if base is not None:
            attribute = target.attr.value if isinstance(target, cst.Attribute) else None
            self.found.append((base.value, base, _Change(statement, attribute)))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target, node)

    def visit_Del(self, node: cst.Del) -> None:
        self._store(node.target, node)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _MUTATING_METHODS
            and isinstance(func.value, cst.Name)
            and func.value.value in self.names
        ):
            self.found.append((func.value.value, func.value, _Change(node, None)))


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


@check("MP112")
def parent_state_not_inherited(facts: Facts) -> Iterator[Finding]:
    uses = [u for u in facts.child_uses if isinstance(u.call, cst.Call)]
    uses += [u for u in facts.child_uses if u.via == "run"]
    if not uses or not facts.main_guards:
        return
    child_side = _child_closure(facts, {u.function for u in facts.child_uses})
    anchors: _Anchors | None = None
    reported: set[tuple[int, str]] = set()
    for use in uses:
        send = use.call if isinstance(use.call, cst.Call) else _made(facts, use.call)
        if send is None or not facts.may_spawn(send.func):
            continue
        for function in sorted(_child_closure(facts, {use.function}), key=facts.functions.index):
            reads: dict[str, list[cst.Name]] = {}
            for text, name in _global_reads(facts, function):
                reads.setdefault(text, []).append(name)
            for text, names in reads.items():
                key = (id(function), text)
                if key in reported:
                    continue
                anchors = anchors or _Anchors(facts)
                variant = _stale(facts, text, names, send, child_side, anchors)
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
    anchors: _Anchors,
) -> str | None:
    """Does the child see another value of this global than the parent had at the send?"""
    send_chain = anchors.chain(send)
    if send_chain is None:
        return None
    bindings = facts.bindings.get((facts.module, name), [])
    if not _plain_module_value(facts, bindings):
        return None
    changes = _run_time_changes(facts, name, child_side)
    if changes is None:
        return None
    definitions = _main_only_definitions(facts, name)
    if definitions is not None:
        if any(_before(anchors.chain(node), send_chain) for node in definitions):
            return "main-only"
        return None
    cls = facts.classes.get(name)
    is_class = cls is not None and not facts.in_main_guard(cls)
    if name in facts.imports or name in facts.module_functions:
        return None
    if not bindings and not is_class:
        return None
    in_place = _InPlace({name})
    for guard in facts.main_guards:
        guard.body.visit(in_place)
    for function in facts.functions:
        if function not in child_side and not any(
            isinstance(a, cst.FunctionDef) for a in facts.ancestors(function)
        ):
            function.body.visit(in_place)
    for _, base, change in in_place.found:
        if _is_global_read(facts, base) and not any(
            _inside(facts, base, f.body) for f in child_side
        ):
            changes.append(change)
    read_attributes = {
        parent.attr.value
        for read in reads
        if isinstance(parent := facts.parent(read), cst.Attribute) and parent.value is read
    }
    for change in changes:
        if is_class and change.attribute is None:
            continue  # only attributes set on a class of this file are followed
        if change.attribute is not None and change.attribute not in read_attributes:
            continue
        if _before(anchors.chain(change.node), send_chain):
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
        if order[load] > order[after]
        and not _inside(facts, load, after)
        and not any(isinstance(a, cst.Call) and _sends(facts, a) for a in facts.ancestors(load))
    ]


def _mutated_parameters(facts: Facts, function: cst.FunctionDef) -> dict[str, cst.Param]:
    params = {p.name.value: p for p in (*function.params.posonly_params, *function.params.params)}
    params.update({p.name.value: p for p in function.params.kwonly_params})
    visitor = _InPlace(set(params))
    function.body.visit(visitor)
    found = {}
    for text, base, _ in visitor.found:
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


def _argument_changes(facts: Facts, order: dict) -> Iterator[tuple[cst.Name, str, str]]:
    """Task arguments changed in place in the child and read by the parent afterwards."""
    for function, sites in facts.call_sites.items():
        sent = [s for s in sites if _sends(facts, s.call)]
        if not sent or _returns_value(function):
            continue  # a task that returns its result: the parent reads that, not the argument
        mutated = _mutated_parameters(facts, function)
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
                reads = _later_reads(facts, argument.value, scope, site.call, order)
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


def _run_attribute_changes(facts: Facts, order: dict) -> Iterator[tuple[cst.Name, str, str]]:
    """``self.x = ...`` in a Process subclass's run(), read as ``p.x`` after ``p.start()``."""
    for cls_name, cls in facts.process_subclasses.items():
        run = facts.inherited_method(cls, "run")
        if run is None:
            continue
        changed: set[str] = set()
        for binding in facts.self_attribute_bindings:
            if _inside(facts, binding.node, run.body):
                changed.add(binding.name.split(".", 1)[1])
        visitor = _SelfInPlace()
        run.body.visit(visitor)
        for attribute in visitor.found:
            values = [
                b.value
                for b in facts.self_attribute_bindings
                if b.name == f"self.{attribute}" and _inside(facts, b.node, cls)
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
            for use in uses_of(facts, variable, scope):
                if use.name == "start" and started is None:
                    started = order[use.attribute]
                elif (
                    started is not None
                    and use.name in changed - reported
                    and order[use.attribute] > started
                    and use.action == "read"
                ):
                    reported.add(use.name)
                    read = use.attribute.value
                    assert isinstance(read, cst.Name)
                    yield read, f"{variable}.{use.name}", _label(facts, run)


def _global_changes(facts: Facts, anchors: _Anchors) -> Iterator[tuple[cst.Name, str, str]]:
    """A module global list/dict changed in place by a child and read by the parent after."""
    children = [u for u in facts.child_uses if u.via in _CHILD_VIAS]
    if not children:
        return
    roots = {u.function for u in children}
    child_side = _child_closure(facts, roots)
    called_by_parent = {
        facts.function_for(call.func)
        for call in facts.calls
        if facts.function_of(call) not in child_side
    }
    names = {
        name
        for (scope, name), bindings in facts.bindings.items()
        if scope is facts.module
        and all(
            _fresh_container(facts, b.value) and not facts.in_main_guard(b.node) for b in bindings
        )
    }
    if not names:
        return
    for use in children:
        if use.function in called_by_parent:
            continue
        send = use.call if isinstance(use.call, cst.Call) else _made(facts, use.call)
        if send is None:
            continue
        send_chain = anchors.chain(send)
        visitor = _InPlace(names)
        for function in _child_closure(facts, {use.function}):
            function.body.visit(visitor)
        for text, base, _ in visitor.found:
            if not _is_global_read(facts, base):
                continue
            for read in facts.name_nodes.get(text, ()):
                if (
                    _is_global_read(facts, read)
                    and not any(_inside(facts, read, f.body) for f in child_side)
                    and _before(send_chain, anchors.chain(read))
                ):
                    yield read, text, _label(facts, use.function)
                    break
            else:
                continue
            break


@check("MP114")
def child_changes_lost(facts: Facts) -> Iterator[Finding]:
    if not facts.child_uses:
        return
    anchors = _Anchors(facts)
    seen: set[int] = set()
    for read, name, function in (
        *_run_attribute_changes(facts, anchors.order),
        *_argument_changes(facts, anchors.order),
        *_global_changes(facts, anchors),
    ):
        if id(read) in seen:
            continue
        seen.add(id(read))
        yield Finding("MP114", read, {"name": name, "function": function})
