"""MP3xx: pools and executors; see RULES.md."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.harmless import function_cannot_raise
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, InsertLineBefore
from mplint.facts import Binding, Facts, FastVisitor, Scope, is_method_call
from mplint.names import kind_of_constructor
from mplint.semantic.api import method_api
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP301": Message(
            en="The {ticket} returned by `{method}()` is dropped: if the task raises, the "
            "exception is stored in it and never seen, and the program carries on as if the "
            "work was done. Keep it and call {fetch}.",
            zh="`{method}()` 返回的 {ticket} 被丢弃了：任务抛出的异常只会保存在它里面，永远不会"
            "被看到，程序照常运行，好像工作已经完成。请保留它并调用 {fetch}。",
        ),
        "MP302": Message(
            en="`{receiver}.join()` is called on a pool that was not closed first: it raises "
            "'ValueError: Pool is still running'. Call `{receiver}.close()` (or `terminate()`) "
            "before `join()`.",
            zh="对没有先关闭的进程池调用了 `{receiver}.join()`：会报 'ValueError: Pool is still "
            "running'。请在 `join()` 之前调用 `{receiver}.close()`（或 `terminate()`）。",
        ),
        "MP303": Message(
            en="`{method}()` submits work that nothing in this `with` block waits for: leaving "
            "the block calls `terminate()`, which kills the pending tasks silently. Wait inside "
            "the block: call `get()`/`wait()` on the result, consume the iterator, or call "
            "`close()` then `join()`.",
            zh="`{method}()` 提交的任务在这个 `with` 块里没有被等待：离开 `with` 块时会调用 "
            "`terminate()`，未完成的任务会被悄悄杀掉。请在块内等待：对结果调用 `get()`/`wait()`、"
            "遍历迭代器，或先 `close()` 再 `join()`。",
        ),
        "MP304": Message(
            en="This Pool is never closed and joined, and nothing waits for the tasks given "
            "to it with `{method}()`: when the program ends, the pool's finalizer terminates "
            "the workers and the tasks still pending are killed without a trace (their "
            "callbacks never run). Call `{pool}.close()` then `{pool}.join()` once all the "
            "work is submitted.",
            zh="这个 Pool 从未调用 `close()` 和 `join()`，也没有任何代码等待用 `{method}()` 交给它的任务："
            "程序结束时，进程池的终结器会终止工作进程，还没完成的任务被悄无声息地杀掉（回调"
            "永远不会运行）。请在提交完所有任务后调用 `{pool}.close()`，再调用 `{pool}.join()`。",
        ),
        "MP305": {
            "": Message(
                en="A {what} is created inside this loop: its worker processes are started and "
                "torn down again on every iteration. Create it once before the loop and reuse it.",
                zh="在循环体内创建了 {what}：每次迭代都会重新启动并关闭它的工作进程。请在循环之前"
                "创建一次并重复使用。",
            ),
            "handler": Message(
                en="A {what} is created inside the {framework} request handler `{handler}`: its "
                "worker processes are started and torn down again for every request, and "
                "concurrent requests each start their own. Create it once when the application "
                "starts (or on first use) and reuse it.",
                zh="在 `{framework}` 请求处理函数 `{handler}` 里创建了 {what}：每个请求都会重新启动"
                "并关闭它的工作进程，并发的请求还会各自启动一套。请在应用启动时（或第一次使用时）"
                "创建一次并重复使用。",
            ),
        },
    }
)

ASYNC_METHODS = frozenset({"apply_async", "map_async", "starmap_async"})
ITERATOR_METHODS = frozenset({"imap", "imap_unordered"})
# multiprocessing.Pool and its thread twin share the same join/close/terminate logic.
POOL_LIKE = frozenset({Kind.POOL, Kind.THREAD_POOL})
EXECUTOR_LIKE = frozenset({Kind.EXECUTOR, Kind.THREAD_EXECUTOR})
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _bound_name(facts: Facts, expr: cst.BaseExpression) -> cst.Name | None:
    """The plain name an expression is bound to: ``r = expr``, ``r: T = expr``, ``(r := expr)``."""
    parent = facts.parent(expr)
    if isinstance(parent, cst.Assign) and parent.value is expr and len(parent.targets) == 1:
        target = parent.targets[0].target
        return target if isinstance(target, cst.Name) else None
    if isinstance(parent, cst.AnnAssign) and parent.value is expr:
        return parent.target if isinstance(parent.target, cst.Name) else None
    if isinstance(parent, cst.NamedExpr) and parent.value is expr:
        # Only `if (r := ...):` / `while (r := ...):`; elsewhere the value also flows on.
        test_of = facts.parent(parent)
        if isinstance(test_of, cst.If | cst.While) and test_of.test is parent:
            return parent.target if isinstance(parent.target, cst.Name) else None
    return None


def _binding_scope(facts: Facts, name: cst.Name) -> Scope | None:
    """The scope whose binding a target name sets; None when declared global elsewhere."""
    scope = facts.scope_of(name)
    if isinstance(scope, cst.FunctionDef) and name.value in facts.globals_declared.get(scope, ()):
        return None
    return scope


def _loops_of(facts: Facts, node: cst.CSTNode, scope: Scope) -> set[int]:
    """ids of the for/while loops of ``scope`` whose body holds the node."""
    loops = set()
    for ancestor in facts.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, cst.For | cst.While):
            loops.add(id(ancestor))
    return loops


def _later_loads(
    facts: Facts, target: cst.Name, scope: Scope, *, exclude: cst.Name | None = None
) -> list[cst.Name]:
    """Reads of ``target``'s variable that can run after it is bound: later in the source,
    or anywhere in a loop that also holds the binding."""
    order = flow.name_order(facts, target)
    loops = _loops_of(facts, target, scope)
    found = []
    for load in flow.loads_of(facts, target.value, scope):
        if load is exclude:
            continue
        if flow.name_order(facts, load) > order or (loops & _loops_of(facts, load, scope)):
            found.append(load)
    return found


def _value_holder(facts: Facts, expr: cst.BaseExpression) -> cst.BaseExpression:
    """The expression that holds the call's result: the call itself, or the comprehension
    it is the element of."""
    parent = facts.parent(expr)
    if isinstance(parent, cst.ListComp | cst.SetComp | cst.GeneratorExp) and parent.elt is expr:
        return parent
    if isinstance(parent, cst.DictComp) and expr in (parent.key, parent.value):
        return parent
    return expr


# -- MP301 -------------------------------------------------------------

# Reading these says nothing about a failure.
_NOT_FETCHING = frozenset({"ready", "done", "running", "cancelled"})


def _has_error_callback(call: cst.Call) -> bool:
    if any(arg.star == "**" for arg in call.args):
        return True
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    api = method_api(Kind.POOL, method)
    argument = api.argument(call, "error_callback") if api is not None else None
    if argument is None:
        return False
    return not (isinstance(argument.value, cst.Name) and argument.value.value == "None")


def _result_dropped(facts: Facts, call: cst.Call) -> bool:
    holder = _value_holder(facts, call)
    parent = facts.parent(holder)
    if isinstance(parent, cst.Expr):
        return True
    target = _bound_name(facts, holder)
    if target is None:
        return False  # returned, passed on, stored somewhere: not followed
    scope = _binding_scope(facts, target)
    if scope is None:
        return False
    for load in _later_loads(facts, target, scope):
        attribute = facts.parent(load)
        if (
            isinstance(attribute, cst.Attribute)
            and attribute.value is load
            and attribute.attr.value in _NOT_FETCHING
            and holder is call
        ):
            continue
        return False
    return True


_FETCH_ASYNC = Phrase("`get()`, or pass `error_callback=`", "`get()`，或传入 `error_callback=`")
_FETCH_FUTURE = Phrase(
    "`result()` (or use `concurrent.futures.wait()`/`as_completed()`)",
    "`result()`（或使用 `concurrent.futures.wait()`/`as_completed()`）",
)


_FETCH_ITERATOR = Phrase("`list()` on it (or loop over it)", "`list()`（或用 `for` 循环遍历它）")


@check("MP301")
def async_result_ignored(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        if method in ASYNC_METHODS:
            if facts.kind_of(func.value) not in POOL_LIKE or _has_error_callback(call):
                continue
            params: dict[str, str | Phrase] = {"ticket": "AsyncResult", "fetch": _FETCH_ASYNC}
        elif method == "submit":
            if facts.kind_of(func.value) not in EXECUTOR_LIKE:
                continue
            params = {"ticket": "Future", "fetch": _FETCH_FUTURE}
        elif method == "map" and facts.kind_of(func.value) in EXECUTOR_LIKE:
            # Executor.map submits every task at once; an exception is raised only when
            # the returned iterator reaches that task's result.
            params = {"ticket": "`Iterator`", "fetch": _FETCH_ITERATOR}
        else:
            continue
        if _result_dropped(facts, call) and not _task_cannot_raise(facts, call):
            yield Finding("MP301", call, {"method": method, **params})


def _task_cannot_raise(facts: Facts, call: cst.Call) -> bool:
    """The task is a function of this file made only of statements that cannot raise
    (a print, a sleep, arithmetic on its arguments): there is no exception to lose."""
    task = facts.task_argument(call)
    function = facts.function_for(task.value) if task is not None else None
    return function is not None and function_cannot_raise(facts, function)


# -- MP302 -------------------------------------------------------------

_CLOSERS = frozenset({"close", "terminate", "__exit__"})


def _closed_before_join(facts: Facts, receiver: cst.Name, join: cst.Call) -> bool:
    """True when the pool may be closed before this join: close()/terminate() earlier in the
    source, a `with` block on it that ended, or the pool handed to other code earlier."""
    bindings = facts.visible_bindings(receiver)
    if not bindings:
        return True
    scope = bindings[0].scope
    for binding in bindings:
        if isinstance(binding.node, cst.WithItem):
            with_statement = facts.parent(binding.node)
            if isinstance(with_statement, cst.With) and not flow.is_inside(
                facts, join, with_statement.body
            ):
                return True  # __exit__ called terminate()
        elif binding.value is None:
            return True  # a parameter or loop variable: someone else may close it
    join_order = flow.name_order(facts, receiver)
    for use in flow.uses_of(facts, receiver.value, scope):
        base = use.attribute.value
        if (
            use.name in _CLOSERS
            and isinstance(base, cst.Name)
            and flow.name_order(facts, base) < join_order
            and not flow.exclusive(facts, use.attribute, join)
        ):
            return True
    for load in flow.loads_of(facts, receiver.value, scope):
        parent = facts.parent(load)
        if isinstance(parent, cst.Attribute) and parent.value is load:
            continue
        if isinstance(parent, cst.WithItem) and not flow.is_inside(
            facts, join, facts.parent(parent) or parent
        ):
            return True
        if flow.name_order(facts, load) < join_order:
            return True  # handed to other code, which may close it
    return False


class _SelfAttributeUses(FastVisitor):
    """How ``self.<name>`` is used in a class: closed, or handed on."""

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.closed_or_handed_on = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        inner = node.value
        if (
            isinstance(inner, cst.Attribute)
            and isinstance(inner.value, cst.Name)
            and inner.value.value == "self"
            and inner.attr.value == self.attribute
            and node.attr.value in _CLOSERS
        ):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Arg(self, node: cst.Arg) -> bool:
        if self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_WithItem(self, node: cst.WithItem) -> bool:
        if self._is_self_attribute(node.item):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Return(self, node: cst.Return) -> bool:
        if node.value is not None and self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def visit_Assign(self, node: cst.Assign) -> bool:
        if self._is_self_attribute(node.value):
            self.closed_or_handed_on = True
        return not self.closed_or_handed_on

    def _is_self_attribute(self, node: cst.BaseExpression) -> bool:
        return (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
            and node.attr.value == self.attribute
        )


def _self_pool_closed_somewhere(facts: Facts, receiver: cst.Attribute) -> bool:
    function = facts.function_of(receiver)
    cls = facts.class_of(function) if function is not None else None
    if cls is None:
        return True
    visitor = _SelfAttributeUses(receiver.attr.value)
    cls.body.visit(visitor)
    return visitor.closed_or_handed_on


def _insert_close(facts: Facts, join: cst.Call, receiver: cst.BaseExpression) -> FixPlan | None:
    statement = facts.parent(join)
    if not isinstance(statement, cst.Expr) or statement.value is not join:
        return None
    line = facts.parent(statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    if not isinstance(facts.parent(line), cst.IndentedBlock | cst.Module):
        return None
    return FixPlan(
        "Close the pool before joining it",
        Applicability.SAFE,
        (InsertLineBefore(line, f"{source_text(receiver)}.close()"),),
    )


@check("MP302")
def pool_join_without_close(facts: Facts) -> Iterator[Finding]:
    for call in facts.method_calls("join", kinds=POOL_LIKE):
        receiver = call.func.value  # type: ignore[attr-defined]
        if isinstance(receiver, cst.Name):
            if _closed_before_join(facts, receiver, call):
                continue
        elif isinstance(receiver, cst.Attribute):
            if _self_pool_closed_somewhere(facts, receiver):
                continue
        else:
            continue
        yield Finding(
            "MP302",
            call,
            {"receiver": source_text(receiver)},
            fix=_insert_close(facts, call, receiver),
        )


# -- MP303 -------------------------------------------------------------


def _pool_with(facts: Facts, call: cst.Call, receiver: cst.Name) -> cst.With | None:
    """The innermost ``with`` of this scope that manages the pool the receiver names."""
    for item in flow.enclosing_with_items(facts, call):
        names_it = (
            item.asname is not None
            and isinstance(item.asname.name, cst.Name)
            and item.asname.name.value == receiver.value
        ) or (isinstance(item.item, cst.Name) and item.item.value == receiver.value)
        if not names_it:
            continue
        if facts.kind_of(item.item) not in POOL_LIKE:
            return None  # contextlib.closing(pool) and the like: not terminate()
        statement = facts.parent(item)
        return statement if isinstance(statement, cst.With) else None
    return None


def _waited_in_block(facts: Facts, call: cst.Call, block: cst.BaseSuite) -> bool:
    holder = _value_holder(facts, call)
    parent = facts.parent(holder)
    if isinstance(parent, cst.Expr | cst.Return):
        return False
    target: cst.Name | None = _bound_name(facts, holder)
    exclude: cst.Name | None = None
    if target is None and isinstance(parent, cst.Arg):
        # results.append(pool.apply_async(...)): follow the list.
        appended = facts.parent(parent)
        if (
            isinstance(appended, cst.Call)
            and isinstance(appended.func, cst.Attribute)
            and appended.func.attr.value == "append"
            and isinstance(appended.func.value, cst.Name)
        ):
            target = exclude = appended.func.value
    if target is None:
        return True  # consumed in place (.get(), a for loop, list(...)) or handed on
    scope = _binding_scope(facts, target)
    if scope is None:
        return True
    for load in _later_loads(facts, target, scope, exclude=exclude):
        if not flow.is_inside(facts, load, block):
            continue
        attribute = facts.parent(load)
        if (
            exclude is not None
            and isinstance(attribute, cst.Attribute)
            and attribute.attr.value == "append"
        ):
            continue
        return True
    return False


def _pool_waited_after(facts: Facts, call: cst.Call, receiver: cst.Name, with_: cst.With) -> bool:
    """join()/terminate() of the pool, or the pool handed to other code, later in the block."""
    bindings = facts.visible_bindings(receiver)
    if not bindings:
        return True
    scope = bindings[0].scope
    order = flow.name_order(facts, receiver)
    for load in flow.loads_of(facts, receiver.value, scope):
        if flow.name_order(facts, load) <= order or not flow.is_inside(facts, load, with_.body):
            continue
        parent = facts.parent(load)
        if isinstance(parent, cst.Attribute) and parent.value is load:
            if parent.attr.value in ("join", "terminate", "__exit__"):
                return True
            continue
        return True
    return False


def _has_callback(call: cst.Call) -> bool:
    return any(
        arg.keyword is not None and arg.keyword.value in ("callback", "error_callback")
        for arg in call.args
    ) or any(arg.star for arg in call.args)


def _statements_follow(facts: Facts, call: cst.Call, receiver: cst.Name, with_: cst.With) -> bool:
    """True when the with block has statements after the one holding the call, other than
    ``pool.close()`` and ``pass`` (which wait for nothing)."""
    statement: cst.CSTNode = call
    for ancestor in facts.ancestors(call):
        if ancestor is with_.body:
            break
        statement = ancestor
    body = list(with_.body.body) if isinstance(with_.body, cst.IndentedBlock) else []
    for index, top in enumerate(body):
        if top is statement:
            return any(not _waits_for_nothing(later, receiver) for later in body[index + 1 :])
    return False


def _waits_for_nothing(statement: cst.BaseStatement, receiver: cst.Name) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.Pass):
            continue
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return False
        if not is_method_call(small.value, "close", receiver.value):
            return False
    return True


@check("MP303")
def pool_exit_terminates(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            continue
        method = func.attr.value
        if method not in ASYNC_METHODS and method not in ITERATOR_METHODS:
            continue
        receiver = func.value
        if facts.kind_of(receiver) not in POOL_LIKE:
            continue
        with_ = _pool_with(facts, call, receiver)
        if with_ is None:
            continue
        if _waited_in_block(facts, call, with_.body):
            continue
        if _pool_waited_after(facts, call, receiver, with_):
            continue
        if _has_callback(call) and _statements_follow(facts, call, receiver, with_):
            continue  # the callbacks' results may be awaited by other means
        yield Finding("MP303", call, {"method": method})


# -- MP304 -------------------------------------------------------------

# What ends a pool's pending work for good: join() waits for it, terminate() kills it on
# purpose. close() alone does not: at exit the finalizer still terminates the workers
# and the pending tasks die (measured on 3.11 and 3.13).
_RELEASES = frozenset({"terminate", "shutdown", "join", "__exit__", "__enter__"})
_ASYNC_WORK = ASYNC_METHODS | ITERATOR_METHODS


def _is_pool_constructor(facts: Facts, call: cst.Call) -> bool:
    # An unclosed executor or Manager is harmless: the executor's exit hook waits for its
    # pending work, and a Manager's server stops when the manager (and every proxy that
    # holds it) is collected, or at exit. Only a Pool kills pending work.
    return kind_of_constructor(facts.resolve(call.func)) == Kind.POOL


def _unwaited_work(facts: Facts, call: cst.Call) -> cst.Call | None:
    """The first `apply_async`/`map_async`/`imap` call on a pool that is never joined,
    terminated or handed on, whose result nothing waits for. A pool that is only used
    synchronously (`map`, `apply`), or made and never used, is reclaimed harmlessly when it
    is collected or at exit; one with pending tasks has them killed. The pool is followed
    through its name, an attribute it is stored in (``self.pool``), and the helpers of
    this file it is handed to."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Attribute) and parent.value is call:
        return _work_on(facts, parent)  # Pool(4).apply_async(...): dropped at once
    stored = _stored_attribute(facts, call)
    if stored is not None:
        return _work_on_attribute(facts, *stored)
    target = _bound_name(facts, call)
    if target is None:
        return None  # with, returned, passed on: not followed
    scope = _binding_scope(facts, target)
    return None if scope is None else _work_on_loads(facts, target.value, scope, 0)


_HANDED_ON = object()  # the pool leaves what we can follow: someone else may join it


def _work_on(facts: Facts, attribute: cst.Attribute) -> cst.Call | None:
    """Async work whose result is dropped, made by ``pool.<method>(...)``."""
    work = facts.parent(attribute)
    if (
        attribute.attr.value in _ASYNC_WORK
        and isinstance(work, cst.Call)
        and _result_dropped(facts, work)
    ):
        return work
    return None


def _use_of_pool(facts: Facts, use: cst.BaseExpression, depth: int) -> object:
    """What one read of the pool does: releases it (``_HANDED_ON``, also for any use we
    cannot follow), submits unwaited work (the call), or nothing that matters (None)."""
    attribute = facts.parent(use)
    if isinstance(attribute, cst.Attribute) and attribute.value is use:
        if attribute.attr.value in _RELEASES:
            return _HANDED_ON
        return _work_on(facts, attribute)
    if isinstance(use, cst.Name):
        helper = _helper_receiving(facts, use, depth)
        if helper is not None:
            param, owner = helper
            pending = _work_on_loads(facts, param, owner, depth + 1)
            if pending is not None:
                return pending
            return _HANDED_ON if _helper_hands_it_on(facts, param, owner, depth + 1) else None
    return _HANDED_ON  # with pool, return pool, self.pool = pool, a call we cannot follow


def _helper_hands_it_on(facts: Facts, param: str, owner: Scope, depth: int) -> bool:
    """Does the helper join, terminate or hand on the pool it was given? A helper that
    only uses it keeps it, and then the caller's other uses decide."""
    return any(
        _use_of_pool(facts, load, depth) is _HANDED_ON
        for load in flow.loads_of(facts, param, owner)
    )


def _work_on_loads(facts: Facts, variable: str, scope: Scope, depth: int) -> cst.Call | None:
    pending: cst.Call | None = None
    for load in flow.loads_of(facts, variable, scope):
        outcome = _use_of_pool(facts, load, depth)
        if outcome is _HANDED_ON:
            return None
        if pending is None and isinstance(outcome, cst.Call):
            pending = outcome
    return pending


def _helper_receiving(facts: Facts, load: cst.Name, depth: int) -> tuple[str, Scope] | None:
    """``helper(pool)`` where ``helper`` is a function of this file: its parameter."""
    arg = facts.parent(load)
    call = facts.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or depth > 3:
        return None
    owner = facts.function_for(call.func)
    param = facts.parameter_receiving(call, load) if owner is not None else None
    if owner is None or param is None or param.star:
        return None
    return param.name.value, owner


def _stored_attribute(facts: Facts, call: cst.Call) -> tuple[cst.Attribute, Binding] | None:
    """``self.pool = Pool()`` / ``obj.pool = Pool()``: the attribute and its binding."""
    parent = facts.parent(call)
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
        return None
    target = parent.targets[0].target
    if not isinstance(target, cst.Attribute) or not isinstance(target.value, cst.Name):
        return None
    binding = next((b for b in facts.attribute_bindings if b.target is target), None)
    return (target, binding) if binding is not None else None


def _work_on_attribute(facts: Facts, target: cst.Attribute, binding: Binding) -> cst.Call | None:
    """Unwaited work on ``self.x`` when no code of this file joins, terminates or hands it
    on. Only in a script (main guard) or for a private ``_x``: a library's users may
    close a public attribute themselves."""
    if not facts.main_guards and not target.attr.value.startswith("_"):
        return None
    pending: cst.Call | None = None
    for use in facts.attribute_uses:
        if use is target or use.attr.value != target.attr.value:
            continue
        if not any(b is binding for b in facts.attribute_bindings_of(use)):
            continue
        parent = facts.parent(use)
        if isinstance(parent, cst.AssignTarget | cst.AugAssign) or (
            isinstance(parent, cst.Assign) and any(t.target is use for t in parent.targets)
        ):
            continue
        outcome = _use_of_pool(facts, use, 0)
        if outcome is _HANDED_ON:
            return None
        if pending is None and isinstance(outcome, cst.Call):
            pending = outcome
    return pending


@check("MP304")
def pool_not_closed(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        if not _is_pool_constructor(facts, call) or facts.runs_at_import(call):
            continue  # module-level objects of a library may be closed by its users
        work = _unwaited_work(facts, call)
        if work is None:
            continue
        target = _bound_name(facts, call)
        pool = target.value if target is not None else "pool"
        method = work.func.attr.value  # type: ignore[attr-defined]
        yield Finding("MP304", call, {"method": method, "pool": pool})


# -- MP305 -------------------------------------------------------------


def _enclosing_iteration(facts: Facts, node: cst.CSTNode) -> cst.CSTNode | None:
    """The loop or comprehension of the same scope that runs the node once per iteration."""
    child: cst.CSTNode = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return None
        if isinstance(ancestor, cst.For | cst.While) and child is ancestor.body:
            return ancestor
        if isinstance(ancestor, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            if child is ancestor.elt:
                return ancestor
        if isinstance(ancestor, cst.DictComp) and child in (ancestor.key, ancestor.value):
            return ancestor
        if isinstance(ancestor, cst.CompFor) and (
            child is ancestor.inner_for_in or any(child is c for c in ancestor.ifs)
        ):
            parent = facts.parent(ancestor)
            while isinstance(parent, cst.CompFor):
                parent = facts.parent(parent)
            return parent
        child = ancestor
    return None


def _leaves_after_first_pass(block: cst.BaseSuite) -> bool:
    """True when the loop body ends the loop unconditionally (a retry loop: ``break`` or
    ``return`` at its top level, or at the top level of a ``try``/``with`` in it)."""
    if not isinstance(block, cst.IndentedBlock):
        return isinstance(block, cst.SimpleStatementSuite) and any(
            isinstance(s, cst.Break | cst.Return) for s in block.body
        )
    for statement in block.body:
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(s, cst.Break | cst.Return) for s in statement.body
        ):
            return True
        if isinstance(statement, cst.Try):
            if _leaves_after_first_pass(statement.body):
                return True
            if statement.orelse is not None and _leaves_after_first_pass(statement.orelse.body):
                return True
        if isinstance(statement, cst.With) and _leaves_after_first_pass(statement.body):
            return True
    return False


class _Names(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)


def _varies_per_iteration(facts: Facts, call: cst.Call, loop: cst.CSTNode) -> bool:
    """True when the constructor's arguments use a name the loop (re)binds: a pool of
    another size or initializer per iteration (a scaling benchmark) cannot be reused."""
    collector = _Names()
    for arg in call.args:
        arg.value.visit(collector)
    loop_variables: set[str] = set()
    if isinstance(loop, COMPREHENSIONS):  # comprehension variables are not recorded bindings
        targets = _Names()
        comp_for: cst.CompFor | None = loop.for_in
        while comp_for is not None:
            comp_for.target.visit(targets)
            comp_for = comp_for.inner_for_in
        loop_variables = {name.value for name in targets.names}
    for name in collector.names:
        if name.value in loop_variables:
            return True
        if any(
            flow.is_inside(facts, binding.node, loop) for binding in facts.visible_bindings(name)
        ):
            return True
    return False


_TIMED_WAITS = frozenset({"get", "wait", "result"})


def _timed_wait_in(facts: Facts, pool_call: cst.Call, loop: cst.CSTNode) -> bool:
    """True when the loop waits for this round's pool's result with a time limit
    (``r = pool.map_async(...)`` then ``r.wait(timeout=8)``, ``f.result(5)``): a fresh
    pool per item is how an item that runs over is abandoned (a reused pool would keep
    its worker busy with it)."""
    if not isinstance(loop, cst.For | cst.While):
        return False
    pool = _bound_name(facts, pool_call)
    if pool is None:
        return False
    for call in facts.calls:
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value in _TIMED_WAITS
            and isinstance(func.value, cst.Name)
            and flow.is_inside(facts, call, loop.body)
        ):
            continue
        timed = any(
            not a.star and (a.keyword.value == "timeout" if a.keyword else True) for a in call.args
        )
        if timed and any(
            _work_of(facts, binding.value, pool.value)
            for binding in facts.visible_bindings(func.value)
        ):
            return True
    return False


def _work_of(facts: Facts, value: cst.BaseExpression | None, pool: str) -> bool:
    """``pool.apply_async(...)``, ``pool.map_async(...)``, ``pool.submit(...)``."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ASYNC_METHODS | {"submit"}
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == pool
    )


@check("MP305")
def pool_in_loop(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = kind_of_constructor(facts.resolve(call.func))
        if kind not in (Kind.POOL, Kind.EXECUTOR):
            continue
        loop = _enclosing_iteration(facts, call)
        if loop is None:
            continue
        if isinstance(loop, cst.For | cst.While) and _leaves_after_first_pass(loop.body):
            continue
        if _varies_per_iteration(facts, call, loop):
            continue
        if _timed_wait_in(facts, call, loop):
            continue
        what = "Pool" if kind == Kind.POOL else "ProcessPoolExecutor"
        yield Finding("MP305", call, {"what": what})
