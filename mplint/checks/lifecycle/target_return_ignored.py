"""MP207 target-return-ignored: Process target returns a value that is lost.

Page: rules/MP207.md (zh-CN: rules/zh-CN/MP207.md) · Fixtures: fixtures/MP207/
· Example: examples/MP207-target-return-ignored/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.lifecycle.process_flow import ProcessFlow, process_flow_of
from mplint.facts import Facts
from mplint.semantic.kinds import Via

messages(
    {
        "MP207": Message(
            en="`{function}` runs as a Process target and returns a value: the value is "
            "thrown away in the child and the exit code is 0 anyway. Send results back "
            "through a Queue, or use a Pool or ProcessPoolExecutor.",
            zh="`{function}` 作为 Process 的目标函数运行却返回了一个值：这个值在子进程里被"
            "丢弃，退出码仍然是 0。请通过 Queue 把结果发回，或改用 Pool / "
            "ProcessPoolExecutor。",
        ),
    }
)


def _value_returns(
    flows: ProcessFlow, function: cst.FunctionDef, seen: set[int]
) -> list[cst.Return]:
    """The ``return <value>`` statements of the function's own code; none for a generator.
    ``seen``: the functions asked about on the way here (``return f()`` inside ``f``
    gives no value of its own)."""
    facts = flows.facts
    if any(facts.is_inside(y, function.body) for y in facts.yields.get(function, ())):
        return []
    return [
        statement
        for statement in facts.return_statements.get(function, ())
        if _gives_value(flows, statement, seen)
    ]


def _gives_value(flows: ProcessFlow, statement: cst.Return, seen: set[int]) -> bool:
    value = statement.value
    if value is None or (isinstance(value, cst.Name) and value.value == "None"):
        return False
    facts = flows.facts
    if isinstance(value, cst.Call) and facts.builtin_name(value.func) not in _VALUE_BUILTINS:
        # `return q.put(x)` or `return loop()` may well be None: only a function of this
        # file that itself returns a value, or a builtin such as len(), counts.
        callee = facts.function_for(value.func)
        if callee is None or not _returns_value(flows, callee, seen):
            return False
    return True


_VALUE_BUILTINS = frozenset(
    {
        "len",
        "sum",
        "min",
        "max",
        "abs",
        "round",
        "sorted",
        "list",
        "dict",
        "set",
        "tuple",
        "str",
        "int",
        "float",
        "bool",
        "any",
        "all",
        "repr",
        "divmod",
        "pow",
        "frozenset",
    }
)


def _returns_value(flows: ProcessFlow, function: cst.FunctionDef, seen: set[int]) -> bool:
    if id(function) in seen:
        return False
    seen.add(id(function))
    return bool(_value_returns(flows, function, seen))


def _result_may_be_used(
    flows: ProcessFlow, function: cst.FunctionDef, process_calls: set[int]
) -> bool:
    """Whether the function is also called for its value, or handed somewhere other than a
    Process target (a pool, an executor, a callback), so its return value may matter."""
    facts = flows.facts
    name = function.name.value
    if facts.class_of(function) is not None:
        references: list[cst.CSTNode] = [
            use for use in facts.attribute_uses if use.attr.value == name
        ]
    else:
        references = [
            n
            for n in facts.name_nodes.get(name, ())
            if n is not function.name and not flow.is_not_a_variable(facts, n)
        ]
    for reference in references:
        parent = facts.parent(reference)
        if isinstance(parent, cst.Call) and parent.func is reference:
            if not isinstance(facts.parent(parent), cst.Expr):
                return True
            continue
        if isinstance(parent, cst.Arg):
            call = facts.parent(parent)
            if isinstance(call, cst.Call) and facts.resolve(call.func) == "functools.partial":
                outer = facts.parent(call)  # Process(target=partial(f, ...))
                call = facts.parent(outer) if isinstance(outer, cst.Arg) else None
            if isinstance(call, cst.Call) and id(call) in process_calls:
                continue
        return True
    return False


@check("MP207")
def target_return_ignored(facts: Facts) -> Iterator[Finding]:
    flows = process_flow_of(facts)
    by_function: dict[cst.FunctionDef, list[str]] = {}
    process_calls: set[int] = set()
    for use in facts.child_uses:
        by_function.setdefault(use.function, []).append(use.via)
        if use.via == Via.PROCESS:
            process_calls.add(id(use.call))
    for function, vias in by_function.items():
        if any(via not in (Via.PROCESS, Via.RUN) for via in vias):
            continue  # a pool or executor task: its return value is sent back
        if function.asynchronous is not None:
            continue
        returns = _value_returns(flows, function, {id(function)})
        if not returns:
            continue
        if all(_success_status(r.value) for r in returns):
            continue  # `return 0` / `return True` only: the exit code is 0 anyway
        if "run" not in vias and _result_may_be_used(flows, function, process_calls):
            continue
        if "run" in vias and _run_result_used(facts):
            continue
        cls = facts.class_of(function)
        label = f"{cls.name.value}.{function.name.value}" if cls else function.name.value
        for statement in returns:
            yield Finding("MP207", statement, {"function": label})


def _success_status(value: cst.BaseExpression | None) -> bool:
    """``0`` or ``True``: a status that says "it worked", which the child's exit code 0
    already says. A target returning only these loses nothing; one that also returns
    ``False`` or ``1`` on failure does (its failure exits 0 too)."""
    if isinstance(value, cst.Integer):
        return value.value == "0"
    return isinstance(value, cst.Name) and value.value == "True"


def _run_result_used(facts: Facts) -> bool:
    """`x = worker.run()`: someone calls run() directly and keeps what it returns."""
    for use in facts.attribute_uses:
        if use.attr.value != "run":
            continue
        parent = facts.parent(use)
        if isinstance(parent, cst.Call) and not isinstance(facts.parent(parent), cst.Expr):
            return True
    return False
