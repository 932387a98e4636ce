"""MP114 child-changes-lost: child changes state in place that the parent reads.

Page: rules/MP114.md (zh-CN: rules/zh-CN/MP114.md) · Fixtures: fixtures/MP114/
· Example: examples/MP114-child-changes-lost/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.children.parent_state import (
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
    POOL_KINDS,
    Facts,
    FastVisitor,
)
from mplint.flow import loads_of, uses_of
from mplint.semantic.literals import MUTATING_METHODS
from mplint.semantic.syntax import nodes_in

messages(
    {
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
    for text, base, _ in in_place_changes(facts, params):
        if not facts.is_inside(base, function.body):
            continue
        bindings = facts.visible_bindings(base)
        if len(bindings) == 1 and bindings[0].node is params[text]:
            found[text] = params[text]
    return found


def _returns_value(function: cst.FunctionDef) -> bool:
    returns = nodes_in(function.body, cst.Return, skip=(cst.FunctionDef, cst.Lambda))
    return any(r.value is not None for r in returns)


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
                reads = _later_reads(
                    facts, argument.value, scope, site.call, anchors_of(facts).order
                )
                if reads:
                    yield reads[0], argument.value, shown_name(facts, function)
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
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in MUTATING_METHODS:
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
            order = anchors_of(facts).order
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
                    yield read, f"{variable}.{use.name}", shown_name(facts, run)


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
    child_side = child_closure(facts, {u.function for u in children})
    called_by_parent = {
        facts.function_for(call.func)
        for call in facts.calls
        if facts.function_of(call) not in child_side
    }
    for use in children:
        if use.function in called_by_parent:
            continue
        send = use.call if isinstance(use.call, cst.Call) else construction_of(facts, use.call)
        if send is None:
            continue
        closure = child_closure(facts, {use.function})
        rebound = {  # MP110 reports globals the child rebinds
            name
            for function in closure
            for name in facts.globals_declared.get(function, ())
            if facts.bindings.get((function, name))
        }
        changed = {
            text
            for text, base, _ in in_place_changes(facts, names - rebound)
            if in_any(facts, base, closure) and is_global_read(facts, base)
        }
        if not changed:
            continue
        anchors = anchors_of(facts)
        send_chain = anchors.chain(send)
        for text in sorted(changed):
            for read in facts.name_nodes.get(text, ()):
                if (
                    is_global_read(facts, read)
                    and not any(facts.is_inside(read, f.body) for f in child_side)
                    and comes_before(send_chain, anchors.chain(read))
                ):
                    yield read, text, shown_name(facts, use.function)
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
