"""MP408 shared-value-race: Value/Array read-modify-write without get_lock().

Page: rules/MP408.md (zh-CN: rules/zh-CN/MP408.md) · Fixtures: fixtures/MP408/
· Example: examples/MP408-shared-value-race/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.sync.primitive_calls import calls_in, line_code, method_name
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import Facts, FastVisitor, call_argument, dotted_name
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

PROCESS_LOCK_KINDS = frozenset({Kind.LOCK, Kind.SEMAPHORE, Kind.CONDITION})


messages(
    {
        "MP408": Message(
            en="`{statement}` reads and writes the shared {what} `{name}` in two steps without "
            "its lock: processes running it at once lose updates. {advice}",
            zh="`{statement}` 分两步读写共享的 {what} `{name}`，却没有加锁：多个进程同时执行会"
            "丢失更新。{advice}",
        ),
    }
)


def _block_indent(facts: Facts, node: cst.CSTNode) -> str | None:
    """The indentation of a statement, from the blocks around it (None in a one-line suite)."""
    parts: list[str] = []
    parent = facts.parent(node)
    if not isinstance(parent, cst.IndentedBlock | cst.Module):
        return None
    for ancestor in [node, *facts.ancestors(node)]:
        if isinstance(ancestor, cst.IndentedBlock):
            parts.append(
                ancestor.indent if ancestor.indent is not None else facts.module.default_indent
            )
    return "".join(reversed(parts))


_LOCK_HINTS = ("lock", "mutex", "sem", "cond")


def _guarded(facts: Facts, node: cst.CSTNode) -> bool:
    """Inside ``with <a lock>:``, or in a function that takes a lock by hand."""
    for item in flow.enclosing_with_items(facts, node):
        expression = item.item
        if isinstance(expression, cst.Call) and method_name(expression) == "get_lock":
            return True
        kind = facts.kind_through_parameters(expression)
        if kind is not None and (kind in PROCESS_LOCK_KINDS or kind.startswith("thread-")):
            return True
        text = (dotted_name(expression) or "").lower()
        if kind is None and any(hint in text for hint in _LOCK_HINTS):
            return True
    for call in calls_in(facts, node):
        if method_name(call) == "acquire":
            return True
    return False


def _shared_target(
    facts: Facts, target: cst.BaseExpression
) -> tuple[cst.BaseExpression, str] | None:
    """``v.value`` of a Value, or ``a[i]`` of an Array with an index every process uses."""
    if isinstance(target, cst.Attribute) and target.attr.value == "value":
        kind = facts.kind_through_parameters(target.value)
        if kind in (Kind.VALUE, Kind.RAW_VALUE):
            return target.value, kind
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        kind = facts.kind_through_parameters(target.value)
        index = target.slice[0].slice
        if kind in (Kind.ARRAY, Kind.RAW_ARRAY) and isinstance(index, cst.Index):
            if _shared_index(facts, index.value):
                return target.value, kind
    return None


def _shared_index(facts: Facts, index: cst.BaseExpression) -> bool:
    """A literal index, or the variable of ``for i in range(n)``: the same elements in
    every process (a per-process index, such as a parameter, may be a partition)."""
    if isinstance(index, cst.Integer):
        return True
    if isinstance(index, cst.Name):
        bindings = facts.visible_bindings(index)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.For):
            loop = bindings[0].node
            iterator = loop.iter
            return (
                isinstance(iterator, cst.Call)
                and isinstance(iterator.func, cst.Name)
                and facts.builtin_name(iterator.func) == "range"
                and len(iterator.args) == 1
                and loop.target is not None
                and isinstance(loop.target, cst.Name)
            )
    return False


def _mentions(node: cst.CSTNode, target: cst.BaseExpression) -> bool:
    finder = _SameCode(source_text(target))
    node.visit(finder)
    return finder.found


class _SameCode(cst.CSTVisitor):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if isinstance(node, cst.Attribute | cst.Subscript) and source_text(node) == self.code:
            self.found = True
            return False
        return True


def _raw_or_unlocked(facts: Facts, holder: cst.BaseExpression) -> bool:
    """True when some object this may be has no get_lock(): RawValue, or lock=False."""
    origins = facts.origins(holder, through_parameters=True) or []
    if not origins:
        return True
    for origin in origins:
        if facts.resolve(origin.func) not in ("multiprocessing.Value", "multiprocessing.Array"):
            return True
        lock = call_argument(origin, "lock")
        if lock is not None and not (
            isinstance(lock.value, cst.Name) and lock.value.value == "True"
        ):
            return True
    return False


_HOLD_A_LOCK = Phrase(
    "Hold a `multiprocessing.Lock` around it (`with lock:`), passed to every process.",
    "请用一把传给所有进程的 `multiprocessing.Lock` 把它包起来（`with lock:`）。",
)
_USE_GET_LOCK = Phrase(
    "Wrap it in `with {name}.get_lock():`.", "请把它放进 `with {name}.get_lock():` 中。"
)


# Every Value or Array the check can follow is made by a call of this file: a file with
# none needs no walk of its functions.
_SHARED_KINDS = frozenset({Kind.VALUE, Kind.RAW_VALUE, Kind.ARRAY, Kind.RAW_ARRAY})


@check("MP408")
def shared_value_race(facts: Facts) -> Iterator[Finding]:
    if not any(facts.kind_of_call(call) in _SHARED_KINDS for call in facts.calls):
        return
    reach = facts.child_reachable
    for function in reach:
        finder = _ReadModifyWrite()
        function.body.visit(finder)
        for statement, target in finder.found:
            shared = _shared_target(facts, target)
            if shared is None or facts.function_of(statement) is not function:
                continue
            if isinstance(statement, cst.Assign) and not _mentions(statement.value, target):
                continue
            if _guarded(facts, statement):
                continue
            holder, kind = shared
            name = source_text(holder)
            raw = kind.startswith("raw-") or _raw_or_unlocked(facts, holder)
            what = "Value" if kind.endswith("value") else "Array"
            if kind.startswith("raw-"):
                what = "Raw" + what
            if raw:
                advice = _HOLD_A_LOCK
            else:
                advice = _USE_GET_LOCK.format(name=name)
            yield Finding(
                "MP408",
                statement,
                {
                    "statement": source_text(statement),
                    "what": what,
                    "name": name,
                    "advice": advice,
                },
                fix=None if raw else _get_lock_fix(facts, statement, name),
            )


class _ReadModifyWrite(FastVisitor):
    """``x += ...`` and ``x = ...`` statements (nested functions excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.AugAssign | cst.Assign, cst.BaseExpression]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.found.append((node, node.target))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self.found.append((node, node.targets[0].target))


def _get_lock_fix(facts: Facts, statement: cst.CSTNode, name: str) -> FixPlan | None:
    line = facts.parent(statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    indent = _block_indent(facts, line)
    if indent is None:
        return None
    block = facts.parent(line)
    unit = (
        block.indent
        if isinstance(block, cst.IndentedBlock) and block.indent
        else facts.module.default_indent
    )
    code = line_code(line)
    if "\n" in code:
        return None
    return FixPlan(
        f"Wrap it in `with {name}.get_lock():`",
        Applicability.SAFE,
        (Replace(line, f"with {name}.get_lock():\n{indent}{unit}{code}"),),
    )
