"""MP307 result-awaited-at-once: each task waited for before the next is submitted.

Page: rules/MP307.md (zh-CN: rules/zh-CN/MP307.md) · Fixtures: fixtures/MP307/
· Example: examples/MP307-result-awaited-at-once/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.pools.loops import leaves_after_one_pass
from mplint.facts import Facts, bound_names, call_argument
from mplint.semantic.syntax import source_text

messages(
    {
        "MP307": Message(
            en="`{call}` waits for each task before this loop submits the next one: the tasks "
            "run one at a time, with no parallelism and the cost of pickling on top. Submit "
            "every task first and collect the results afterwards (or use `{batch}`).",
            zh="`{call}` 在本循环提交下一个任务之前就等待当前任务完成：任务只能一个接一个地执行，"
            "没有任何并行，还要额外付出 `pickle` 序列化的开销。请先提交全部任务，之后再统一收集结果"
            "（或使用 `{batch}`）。",
        ),
    }
)


SUBMITTERS = {"apply_async": "get", "submit": "result"}


def _one_worker(facts: Facts, receiver: cst.BaseExpression) -> bool:
    """``Pool(1)``/``ProcessPoolExecutor(max_workers=1)``: nothing to run in parallel."""
    if not isinstance(receiver, cst.Name):
        return False
    for binding in facts.visible_bindings(receiver):
        value = binding.value
        if not isinstance(value, cst.Call):
            continue
        size = call_argument(value, "processes", 0) or call_argument(value, "max_workers", 0)
        if size is not None and isinstance(size.value, cst.Integer) and size.value.value == "1":
            return True
    return False


def _submission(facts: Facts, node: cst.BaseExpression) -> tuple[cst.Call, str] | None:
    """``pool.apply_async(...)`` or ``executor.submit(...)`` on a process pool or executor:
    the call and the method that waits for it."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    method = node.func.attr.value
    wait = SUBMITTERS.get(method)
    if wait is None:
        return None
    kind = facts.kind_of(node.func.value)
    if (method == "apply_async" and kind != "pool") or (method == "submit" and kind != "executor"):
        return None
    if _one_worker(facts, node.func.value):
        return None
    return node, wait


def _receiver_text(call: cst.Call) -> str:
    assert isinstance(call.func, cst.Attribute)
    return source_text(call.func.value)


Awaited = tuple[cst.CSTNode, cst.Call, str, str]


def _awaited_in_loop(facts: Facts, call: cst.Call) -> Awaited | None:
    """When this call waits, inside a loop, for a task submitted in the same pass: the
    loop, the submitting call, the code to show and the batch call to suggest."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method == "apply":
        if facts.kind_of(func.value) != "pool" or _one_worker(facts, func.value):
            return None
        loop = flow.innermost_loop(facts, call)
        if loop is None:
            return None
        return loop, call, f"{source_text(func.value)}.apply(...)", "map()"
    if method not in ("get", "result"):
        return None
    submitted = _submission(facts, func.value)
    if submitted is not None:
        submission, wait = submitted
        if wait != method:
            return None
        loop = flow.innermost_loop(facts, call)
        if loop is None:
            return None
        shown = f"{_receiver_text(submission)}.{submission.func.attr.value}(...).{method}()"  # type: ignore[attr-defined]
        return loop, submission, shown, "map()"
    if not isinstance(func.value, cst.Name):
        return None
    binding = facts.only_binding(func.value)
    if binding is None or binding.value is None:
        return None
    submitted = _submission(facts, binding.value)
    if submitted is None or submitted[1] != method:
        return None
    submission = submitted[0]
    loop = flow.innermost_loop(facts, call)
    if loop is None or flow.innermost_loop(facts, submission) is not loop:
        return None
    if facts.function_of(submission) is not facts.function_of(call):
        return None
    if flow.name_order(facts, func.value) < _binding_order(facts, func.value, binding.node):
        return None
    if not flow.dominates(facts, submission, call):
        return None
    shown = f"{func.value.value} = {_receiver_text(submission)}.{submission.func.attr.value}(...); {func.value.value}.{method}()"  # type: ignore[attr-defined]
    return loop, submission, shown, "map()"


def _binding_order(facts: Facts, name: cst.Name, binding: cst.CSTNode) -> int:
    for index, node in enumerate(facts.name_nodes.get(name.value, ())):
        if flow.is_inside(facts, node, binding):
            return index
    return -1


def _names_in(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, cst.Name):
            names.add(current.value)
        todo.extend(current.children)
    return names


def _next_task_needs_result(
    facts: Facts, wait: cst.Call, submission: cst.Call, loop: cst.CSTNode
) -> bool:
    """``x = pool.apply(step, (x,))`` or ``while not done: done = ex.submit(f).result()``:
    the next task (or whether there is one) depends on this result, so the tasks cannot
    be submitted all at once."""
    statement = facts.statement_of(wait)
    targets: set[str] = set()
    if isinstance(statement, cst.Assign):
        for target in statement.targets:
            targets |= bound_names(target.target)
    elif isinstance(statement, cst.AnnAssign | cst.AugAssign):
        targets |= bound_names(statement.target)
    if not targets:
        return False
    used = set()
    for arg in submission.args:
        used |= _names_in(arg.value)
    if isinstance(loop, cst.While):
        used |= _names_in(loop.test)
    return bool(targets & used)


@check("MP307")
def result_awaited_at_once(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        found = _awaited_in_loop(facts, call)
        if found is None:
            continue
        loop, submission, shown, batch = found
        if leaves_after_one_pass(loop) or _next_task_needs_result(facts, call, submission, loop):
            continue
        yield Finding("MP307", call, {"call": shown, "batch": batch})
