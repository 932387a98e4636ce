"""MP102 start-method-misuse: set_start_method() unguarded, twice, or too late.

Page: rules/MP102.md (zh-CN: rules/zh-CN/MP102.md) · Fixtures: fixtures/MP102/
· Example: examples/MP102-start-method-misuse/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import Facts, call_argument, dotted_name, string_value
from mplint.flow import (
    Step,
    call_flow,
    runs_before,
)
from mplint.names import kind_of_constructor
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import contains

messages(
    {
        "MP102": Message(
            en="`set_start_method()` {problem}: {consequence} Use "
            '`multiprocessing.get_context("{method}")` and create processes from it, or call '
            "`set_start_method()` once, first thing under the main guard.",
            zh="`set_start_method()` {problem}：{consequence}请改用 "
            '`multiprocessing.get_context("{method}")` 并从它创建进程，或者只在入口保护（`if __name__ == "__main__":`）下'
            "最开始调用一次 `set_start_method()`。",
        ),
    }
)

SET_START_METHOD = "multiprocessing.set_start_method"

# What fixes the default context when made through it (a bare Process does not; Pipe and
# the Raw* values do not either).
_CONTEXT_FIXING_KINDS = {
    Kind.POOL: "Pool",
    Kind.EXECUTOR: "ProcessPoolExecutor",
    Kind.MANAGER: "Manager",
    Kind.QUEUE: "Queue",
    Kind.LOCK: "Lock",
    Kind.SEMAPHORE: "Semaphore",
    Kind.CONDITION: "Condition",
    Kind.EVENT: "Event",
    Kind.BARRIER: "Barrier",
    Kind.VALUE: "Value",
    Kind.ARRAY: "Array",
}
_CONTEXT_KEYWORDS = ("context", "mp_context", "ctx")
_TOLERANT_EXCEPTIONS = frozenset({"RuntimeError", "Exception", "BaseException"})


def _is_true(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _forced(call: cst.Call) -> bool:
    return _is_true(call_argument(call, "force", 1))


def _catches_runtime_error(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    if handler.type is None:
        return True
    types = (
        [e.value for e in handler.type.elements]
        if isinstance(handler.type, cst.Tuple)
        else [handler.type]
    )
    for expression in types:
        name = dotted_name(expression)
        if name is not None and name.rsplit(".", 1)[-1] in _TOLERANT_EXCEPTIONS:
            return True
    return False


def _tolerated(facts: Facts, call: cst.Call) -> bool:
    """The call is written to survive an already-set context: inside ``try`` with a handler
    for RuntimeError, inside ``contextlib.suppress(RuntimeError)``, or under an ``if`` that
    asks ``get_start_method(allow_none=True)``."""
    child: cst.CSTNode = call
    for ancestor in facts.ancestors(call):
        if isinstance(ancestor, cst.FunctionDef):
            break
        if isinstance(ancestor, cst.Try | cst.TryStar) and child is ancestor.body:
            if any(_catches_runtime_error(h) for h in ancestor.handlers):
                return True
        if isinstance(ancestor, cst.With) and child is ancestor.body:
            for item in ancestor.items:
                if isinstance(item.item, cst.Call) and facts.resolve(item.item.func) in (
                    "contextlib.suppress",
                ):
                    return True
        if isinstance(ancestor, cst.If | cst.While) and child is not ancestor.test:
            if _asks_start_method(facts, ancestor.test):
                return True
        child = ancestor
    return False


def _asks_start_method(facts: Facts, test: cst.BaseExpression) -> bool:
    for call in facts.calls_to("multiprocessing.get_start_method"):
        if any(a is test for a in facts.ancestors(call)) and _is_true(
            call_argument(call, "allow_none", 0)
        ):
            return True
    return False


def _fixes_default_context(facts: Facts, call: cst.Call) -> Phrase | None:
    """What a call fixes the default context with, or None: starting a Process made from the
    default context, making a Pool/Queue/Lock/Manager/... from it, ``get_context()`` without a
    method, ``get_start_method()`` without ``allow_none=True``."""
    qualname = facts.resolve(call.func)
    if qualname == "multiprocessing.get_context" and call_argument(call, "method", 0) is None:
        return Phrase("`get_context()` without a method", "不带参数的 `get_context()`")
    if qualname == "multiprocessing.get_start_method" and not _is_true(
        call_argument(call, "allow_none", 0)
    ):
        return Phrase(
            "`get_start_method()` (without `allow_none=True`)",
            "`get_start_method()`（没有 `allow_none=True`）",
        )
    kind = kind_of_constructor(qualname)
    if kind in _CONTEXT_FIXING_KINDS:
        if facts.context_method(call.func) is not None:
            return None
        if any(call_argument(call, keyword) is not None for keyword in _CONTEXT_KEYWORDS):
            return None
        made = _CONTEXT_FIXING_KINDS[kind]
        return Phrase("creating a {made}", "创建 {made}").format(made=made)
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "start":
        receiver = func.value
        if facts.kind_of(receiver) == Kind.PROCESS and facts.context_method(receiver) is None:
            return Phrase("starting a Process", "启动 Process")
    return None


def _method_of(call: cst.Call) -> str:
    argument = call_argument(call, "method", 0)
    method = string_value(argument.value) if argument is not None else None
    return method if method in ("spawn", "fork", "forkserver") else "spawn"


def _repeats(facts: Facts, node: cst.CSTNode) -> bool:
    """True when the node sits in a loop of its function that goes round without leaving
    early (no break, return or raise in its body), or in a comprehension."""
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, cst.CompFor) and child is not ancestor.iter:
            return True
        if isinstance(ancestor, cst.For | cst.While) and child is ancestor.body:
            return not contains(ancestor.body, (cst.Break, cst.Return, cst.Raise))
        child = ancestor
    return False


def _roots(facts: Facts) -> list[cst.FunctionDef | None]:
    """The module's own code, then every function of this file that nothing in it calls
    (an entry point: a library API, a console script's main, a callback)."""
    return facts.entry_points(include_child_functions=False)


_OUTSIDE = Phrase(
    "runs {where}",
    "{where}执行",
)
_OUTSIDE_CONSEQUENCE = Phrase(
    "under spawn/forkserver every child re-imports the module or runs this code again, "
    "where the context is already set, and dies with 'RuntimeError: context has already "
    "been set'.",
    "在 spawn/forkserver 下每个子进程都会重新导入模块或再次执行这段代码，而那时启动方式已经"
    "设定，子进程会因 'RuntimeError: context has already been set' 而退出。",
)
_AT_IMPORT = Phrase(
    "at import time, outside the main guard",
    '在模块导入时、`if __name__ == "__main__":` 入口保护之外',
)
_IN_CHILD = Phrase("in a child process (through `{function}`)", "在子进程中（经由 `{function}`）")


@check("MP102")
def start_method_misuse(facts: Facts) -> Iterator[Finding]:
    calls = [
        c for c in facts.calls_to(SET_START_METHOD) if not _forced(c) and not _tolerated(facts, c)
    ]
    if not calls:
        return
    wanted = {id(c) for c in calls}
    reported: set[int] = set()

    def finding(call: cst.Call, problem: Phrase, consequence: Phrase) -> Finding:
        reported.add(id(call))
        return Finding(
            "MP102",
            call,
            {"problem": problem, "consequence": consequence, "method": _method_of(call)},
        )

    # Outside the main guard: at import time, or in a child process.
    module_flow = call_flow(facts, None)
    for step in module_flow:
        if id(step.call) in wanted and id(step.call) not in reported:
            if facts.runs_at_import(step.chain[0]):
                yield finding(
                    step.call,
                    _OUTSIDE.format(where=_AT_IMPORT),
                    _OUTSIDE_CONSEQUENCE,
                )
    for function in sorted(facts.child_functions, key=facts.functions.index):
        for step in call_flow(facts, function):
            if id(step.call) in wanted and id(step.call) not in reported:
                yield finding(
                    step.call,
                    _OUTSIDE.format(where=_IN_CHILD.format(function=function.name.value)),
                    _OUTSIDE_CONSEQUENCE,
                )

    # Twice on one path, or after the default context was fixed.
    for root in _roots(facts):
        flow = module_flow if root is None else call_flow(facts, root)
        earlier_sets: list[Step] = []
        fixing: list[tuple[Step, Phrase]] = []
        for step in flow:
            call = step.call
            if facts.resolve(call.func) == SET_START_METHOD:
                if id(call) in wanted and id(call) not in reported:
                    if any(runs_before(facts, s, step) for s in earlier_sets) or any(
                        _repeats(facts, node) for node in step.chain
                    ):
                        yield finding(call, _TWICE, _TWICE_CONSEQUENCE)
                    else:
                        what = next(
                            (w for f, w in fixing if runs_before(facts, f, step)),
                            None,
                        )
                        if what is not None:
                            yield finding(call, _AFTER.format(what=what), _AFTER_CONSEQUENCE)
                earlier_sets.append(step)
                continue
            what = _fixes_default_context(facts, call)
            if what is not None:
                fixing.append((step, what))


_TWICE = Phrase("is called a second time on this path", "在这条执行路径上被第二次调用")
_TWICE_CONSEQUENCE = Phrase(
    "the start method can be chosen once per program, so this raises 'RuntimeError: context "
    "has already been set'.",
    "启动方式每个程序只能设定一次，这里会报 'RuntimeError: context has already been set'。",
)
_AFTER = Phrase(
    "comes after {what} already fixed the default context on this path",
    "在这条执行路径上 {what} 已经确定了默认上下文之后才调用",
)
_AFTER_CONSEQUENCE = Phrase(
    "it raises 'RuntimeError: context has already been set'.",
    "这里会报 'RuntimeError: context has already been set'。",
)
