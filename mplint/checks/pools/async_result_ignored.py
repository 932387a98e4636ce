"""MP301 async-result-ignored: async result never checked: exceptions vanish.

Page: rules/MP301.md (zh-CN: rules/zh-CN/MP301.md) · Fixtures: fixtures/MP301/
· Example: examples/MP301-async-result-ignored/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.harmless import function_cannot_raise
from mplint.checks.pools.async_results import ASYNC_METHODS, POOL_LIKE, result_is_dropped
from mplint.facts import Facts
from mplint.semantic.api import method_api
from mplint.semantic.kinds import Kind

messages(
    {
        "MP301": Message(
            en="The {ticket} returned by `{method}()` is dropped: if the task raises, the "
            "exception is stored in it and never seen, and the program carries on as if the "
            "work was done. Keep it and call {fetch}.",
            zh="`{method}()` 返回的 {ticket} 被丢弃了：任务抛出的异常只会保存在它里面，永远不会"
            "被看到，程序照常运行，好像工作已经完成。请保留它并调用 {fetch}。",
        ),
    }
)
EXECUTOR_LIKE = frozenset({Kind.EXECUTOR, Kind.THREAD_EXECUTOR})


def _has_error_callback(call: cst.Call) -> bool:
    if any(arg.star == "**" for arg in call.args):
        return True
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    api = method_api(Kind.POOL, method)
    argument = api.argument(call, "error_callback") if api is not None else None
    if argument is None:
        return False
    return not (isinstance(argument.value, cst.Name) and argument.value.value == "None")


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
        if result_is_dropped(facts, call) and not _task_cannot_raise(facts, call):
            yield Finding("MP301", call, {"method": method, **params})


def _task_cannot_raise(facts: Facts, call: cst.Call) -> bool:
    """The task is a function of this file made only of statements that cannot raise
    (a print, a sleep, arithmetic on its arguments): there is no exception to lose."""
    task = facts.task_argument(call)
    function = facts.function_for(task.value) if task is not None else None
    return function is not None and function_cannot_raise(facts, function)
