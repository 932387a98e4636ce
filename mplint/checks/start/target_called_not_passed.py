"""MP106 target-called-not-passed: task function called in the parent, not passed.

Page: rules/MP106.md (zh-CN: rules/zh-CN/MP106.md) · Fixtures: fixtures/MP106/
· Example: examples/MP106-target-called-not-passed/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import (
    POOL_TASK_METHODS,
    Facts,
    FastVisitor,
)
from mplint.semantic.api import CONSTRUCTORS, Api, method_api
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
        "MP106": Message(
            en="`{call}` calls `{function}` here in the parent, right away; the {receiver} "
            "gets its return value (usually None), not the function. Pass `{function}` "
            "itself and its arguments separately.",
            zh="`{call}` 会在父进程里立刻调用 `{function}`，{receiver}拿到的是它的返回值"
            "（通常是 None），而不是函数本身。请传入 `{function}` 本身，参数另外传。",
        ),
    }
)


def _returns_nothing_callable(function: cst.FunctionDef) -> bool:
    """True when the function visibly returns no callable: no `return value` at all, or only
    literals. A factory that returns a function must not be flagged."""
    finder = _ReturnFinder()
    function.body.visit(finder)
    return not finder.may_return_callable


class _ReturnFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.may_return_callable = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # returns of nested functions are theirs

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.may_return_callable = True  # a generator function: its result is not None
        return False

    def visit_Return(self, node: cst.Return) -> bool:
        value = node.value
        literal = (
            value is None
            or isinstance(
                value,
                cst.Integer
                | cst.Float
                | cst.SimpleString
                | cst.ConcatenatedString
                | cst.FormattedString
                | cst.List
                | cst.Tuple
                | cst.Dict
                | cst.Set
                | cst.Comparison,
            )
            or (isinstance(value, cst.Name) and value.value in ("None", "True", "False"))
        )
        if not literal:
            self.may_return_callable = True
        return False


_RECEIVERS = {
    Kind.PROCESS: Phrase("child process", "子进程"),
    Kind.POOL: Phrase("pool", "进程池"),
    Kind.EXECUTOR: Phrase("executor", "执行器"),
    Kind.THREAD_POOL: Phrase("pool", "线程池"),
    Kind.THREAD_EXECUTOR: Phrase("executor", "执行器"),
}


@check("MP106")
def target_called_not_passed(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = facts.kind_of_call(call)
        argument: cst.Arg | None = None
        receiver = None
        if kind == Kind.PROCESS:
            argument, receiver = facts.task_argument(call), Kind.PROCESS
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            holder = facts.kind_of(func.value)
            if holder in _RECEIVERS and holder != Kind.PROCESS:
                argument = facts.task_argument(call)
                receiver = holder
        if argument is None or receiver is None or not isinstance(argument.value, cst.Call):
            continue
        inner = argument.value
        if facts.resolve(inner.func) == "functools.partial":
            continue
        function = facts.function_for(inner.func)
        if function is None or not _returns_nothing_callable(function):
            continue
        yield Finding(
            "MP106",
            argument.value,
            {
                "call": source_text(argument),
                "function": function.name.value,
                "receiver": _RECEIVERS[receiver],
            },
            fix=_pass_function_itself(call, argument, inner, receiver),
        )


class _CommentFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Comment(self, node: cst.Comment) -> bool:
        self.found = True
        return False


def _has_comment(node: cst.CSTNode) -> bool:
    finder = _CommentFinder()
    node.visit(finder)
    return finder.found


def _pass_function_itself(
    call: cst.Call, argument: cst.Arg, inner: cst.Call, receiver: str
) -> FixPlan | None:
    """`target=f(a, k=b)` becomes `target=f, args=(a,), kwargs={"k": b}`; a pool's
    `apply_async(f(a))` becomes `apply_async(f, args=(a,))`; `submit(f(a))` becomes
    `submit(f, a)`. Not offered when the outer call already passes arguments for the
    task, when the inner call unpacks `*`/`**`, or when a comment would be lost."""
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
    if inner.lpar or _has_comment(inner) or any(a.star for a in inner.args):
        return None
    positional = [source_text(a.value) for a in inner.args if a.keyword is None]
    keywords = [
        (a.keyword.value, source_text(a.value)) for a in inner.args if a.keyword is not None
    ]
    later = list(call.args)[list(call.args).index(argument) + 1 :]
    if any(a.star for a in call.args):
        return None
    function = source_text(inner.func)
    if receiver in (Kind.EXECUTOR, Kind.THREAD_EXECUTOR) and method == "submit":
        if later:
            return None
        parts = [function, *positional, *(f"{k}={v}" for k, v in keywords)]
        return FixPlan(
            f"Submit {function} itself with its arguments",
            Applicability.UNSAFE,
            (Replace(inner, ", ".join(parts)),),
        )
    if receiver == Kind.PROCESS:
        api: Api | None = CONSTRUCTORS[Kind.PROCESS]
    else:
        api = method_api(Kind(receiver), method or "")
    if api is None or api.args is None or api.kwargs is None:
        return None  # map and friends: which argument was meant is not clear
    names = (api.args, api.kwargs)
    if any(a.keyword is None for a in later):
        return None
    if api.argument(call, api.args) or api.argument(call, api.kwargs):
        return None
    parts = [function]
    if positional:
        inside = ", ".join(positional) + ("," if len(positional) == 1 else "")
        parts.append(f"{names[0]}=({inside})")
    if keywords:
        pairs = ", ".join(f'"{k}": {v}' for k, v in keywords)
        parts.append(f"{names[1]}={{{pairs}}}")
    return FixPlan(
        f"Pass {function} itself and its arguments separately",
        Applicability.UNSAFE,
        (Replace(inner, ", ".join(parts)),),
    )
