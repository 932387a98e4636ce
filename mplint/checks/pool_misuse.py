"""MP306 pool-used-after-close and MP307 result-awaited-at-once.

Pages: rules/MP306.md, rules/MP307.md (and rules/zh-CN/).
Fixtures: fixtures/MP306/, fixtures/MP307/.
Examples: examples/MP306-pool-used-after-close/, examples/MP307-result-awaited-at-once/.

Both rules look at one pool or executor held in a plain name and ask, through the
public queries of ``Facts`` and ``flow``, in what order its methods run:

- MP306: a task method (``apply*``, ``map*``, ``imap*``, ``starmap*``, ``submit``) runs
  after ``close()``, ``terminate()`` or ``shutdown()`` surely ran on the same path, or
  after the ``with`` block that made it ended. Multiprocessing raises ``ValueError: Pool
  not running``; an executor ``RuntimeError: cannot schedule new futures after shutdown``.
- MP307: inside a loop, each task is waited for before the next one is submitted:
  ``pool.apply_async(...).get()``, ``executor.submit(...).result()``, ``pool.apply(...)``,
  or ``r = pool.apply_async(...)`` then ``r.get()`` in the same pass of the loop. The
  tasks run one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import Facts, Scope, bound_names, call_argument
from mplint.semantic.syntax import source_text

messages(
    {
        "MP306": Message(
            en="`{receiver}.{method}()` runs after {closer} shut the {what} down: it raises "
            "'{error}'. Give it all its work before closing it, or make a new one.",
            zh="`{receiver}.{method}()` 在{closer}关闭该{what}之后才执行：会报 "
            "`{error}`。请在关闭之前提交全部任务，或新建一个。",
        ),
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

TASK_METHODS = frozenset(
    {
        "apply",
        "apply_async",
        "map",
        "map_async",
        "imap",
        "imap_unordered",
        "starmap",
        "starmap_async",
        "submit",
    }
)
POOLS = frozenset({"pool", "thread-pool"})
EXECUTORS = frozenset({"executor", "thread-executor"})
CLOSERS = {"pool": ("close", "terminate"), "executor": ("shutdown",)}
ERRORS = {
    "pool": "ValueError: Pool not running",
    "executor": "RuntimeError: cannot schedule new futures after shutdown",
}
WHAT = {"pool": Phrase("pool", "进程池"), "executor": Phrase("executor", "执行器")}
_WITH_END = Phrase("the end of its `with` block", " `with` 块结束时")
_CLOSER = Phrase("`{method}()`", " `{method}()` ")
_CLOSER_IN_LOOP = Phrase("`{method}()` on the loop's previous pass", "循环上一轮的 `{method}()` ")


def _family(kind: str | None) -> str | None:
    if kind in POOLS:
        return "pool"
    if kind in EXECUTORS:
        return "executor"
    return None


# -- MP306 -------------------------------------------------------------


def _only_binding(facts: Facts, name: cst.Name) -> tuple[Scope, cst.CSTNode] | None:
    """The scope and binding node of a name bound exactly once where it is used."""
    bindings = facts.visible_bindings(name)
    if len(bindings) != 1:
        return None
    return bindings[0].scope, bindings[0].node


def _shut_down_before(
    facts: Facts, receiver: cst.Name, use: cst.Call, family: str
) -> Phrase | None:
    """How the pool was surely shut down before ``use`` runs, or None."""
    found = _only_binding(facts, receiver)
    if found is None:
        return None
    scope, binding = found
    function = facts.function_of(use)
    if isinstance(binding, cst.WithItem):
        statement = facts.parent(binding)
        if (
            isinstance(statement, cst.With)
            and not flow.is_inside(facts, use, statement)
            and facts.function_of(statement) is function
            and flow.name_order(facts, receiver) > _last_name_order(facts, statement, receiver)
            and flow.dominates(facts, statement, use)
        ):
            return _WITH_END
        return None
    order = flow.name_order(facts, receiver)
    for earlier in flow.uses_of(facts, receiver.value, scope):
        if earlier.name not in CLOSERS[family] or earlier.action is not flow.Action.CALL:
            continue
        base = earlier.attribute.value
        if not isinstance(base, cst.Name) or flow.name_order(facts, base) >= order:
            continue
        closing = facts.parent(earlier.attribute)
        if not isinstance(closing, cst.Call) or facts.function_of(closing) is not function:
            continue
        if flow.dominates(facts, closing, use):
            return _CLOSER.format(method=earlier.name)
    for later in flow.uses_of(facts, receiver.value, scope):
        if later.name not in CLOSERS[family] or later.action is not flow.Action.CALL:
            continue
        closing = facts.parent(later.attribute)
        if isinstance(closing, cst.Call) and _closed_on_an_earlier_pass(
            facts, closing, use, binding
        ):
            return _CLOSER_IN_LOOP.format(method=later.name)
    return None


def _closed_on_an_earlier_pass(
    facts: Facts, closing: cst.Call, use: cst.Call, binding: cst.CSTNode
) -> bool:
    """``for batch in batches: pool.map(f, batch); pool.close()``: the loop body closes
    the pool that was made before the loop, so the second pass uses a closed pool."""
    loop = _enclosing_loop(facts, closing)
    if loop is None or _enclosing_loop(facts, use) is not loop:
        return False
    if flow.is_inside(facts, binding, loop) or _leaves_after_one_pass(loop):
        return False
    if facts.function_of(closing) is not facts.function_of(use):
        return False
    return flow.unconditional_within(facts, closing, loop.body) and flow.unconditional_within(
        facts, use, loop.body
    )


def _enclosing_loop(facts: Facts, node: cst.CSTNode) -> cst.For | cst.While | None:
    """The innermost for/while loop of the node's function whose body holds the node."""
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return None
        if isinstance(ancestor, cst.For | cst.While):
            return ancestor if child is ancestor.body else None
        child = ancestor
    return None


def _last_name_order(facts: Facts, statement: cst.With, receiver: cst.Name) -> int:
    """The source position of the last use of the name inside the ``with`` statement."""
    last = -1
    for index, name in enumerate(facts.name_nodes.get(receiver.value, ())):
        if flow.is_inside(facts, name, statement):
            last = index
    return last


@check("MP306")
def pool_used_after_close(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in TASK_METHODS:
            continue
        receiver = func.value
        if not isinstance(receiver, cst.Name):
            continue
        family = _family(facts.kind_of(receiver))
        if family is None:
            continue
        closer = _shut_down_before(facts, receiver, call, family)
        if closer is None:
            continue
        yield Finding(
            "MP306",
            call,
            {
                "receiver": receiver.value,
                "method": func.attr.value,
                "closer": closer,
                "what": WHAT[family],
                "error": ERRORS[family],
            },
        )


# -- MP307 -------------------------------------------------------------

SUBMITTERS = {"apply_async": "get", "submit": "result"}
LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _innermost_loop(facts: Facts, node: cst.CSTNode) -> cst.CSTNode | None:
    """The innermost loop of the node's own function whose every pass runs it: a for/while
    body or a comprehension's element (not a loop's iterable or else block)."""
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return None
        if isinstance(ancestor, cst.For | cst.While) and child is ancestor.body:
            return ancestor
        if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            return ancestor if child is ancestor.elt else None
        if isinstance(ancestor, cst.DictComp):
            return ancestor if child in (ancestor.key, ancestor.value) else None
        child = ancestor
    return None


def _leaves_after_one_pass(loop: cst.CSTNode) -> bool:
    """A loop whose body ends in ``break``/``return``/``raise`` at its top level runs once."""
    if not isinstance(loop, cst.For | cst.While) or not isinstance(loop.body, cst.IndentedBlock):
        return False
    last = loop.body.body[-1] if loop.body.body else None
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Break | cst.Return | cst.Raise) for s in last.body
    )


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
        loop = _innermost_loop(facts, call)
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
        loop = _innermost_loop(facts, call)
        if loop is None:
            return None
        shown = f"{_receiver_text(submission)}.{submission.func.attr.value}(...).{method}()"  # type: ignore[attr-defined]
        return loop, submission, shown, "map()"
    if not isinstance(func.value, cst.Name):
        return None
    bindings = facts.visible_bindings(func.value)
    if len(bindings) != 1 or bindings[0].value is None:
        return None
    submitted = _submission(facts, bindings[0].value)
    if submitted is None or submitted[1] != method:
        return None
    submission = submitted[0]
    loop = _innermost_loop(facts, call)
    if loop is None or _innermost_loop(facts, submission) is not loop:
        return None
    if facts.function_of(submission) is not facts.function_of(call):
        return None
    if flow.name_order(facts, func.value) < _binding_order(facts, func.value, bindings[0].node):
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
        if _leaves_after_one_pass(loop) or _next_task_needs_result(facts, call, submission, loop):
            continue
        yield Finding("MP307", call, {"call": shown, "batch": batch})
