"""Checks for MP102, MP105, MP111: start methods and start() calls; see RULES.md."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import Facts, FastVisitor, call_argument, dotted_name, string_value
from mplint.flow import (
    Step,
    call_flow,
    dominates,
    exclusive,
    runs_before,
    source_before,
    unconditional_within,
    uses_of,
)
from mplint.names import kind_of_constructor
from mplint.semantic.kinds import Kind

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
        "MP105": {
            "run_call": Message(
                en="`{name}.run()` calls the process's work directly: the work runs right here "
                "in the calling process; no child process is created and nothing runs in "
                "parallel. Call `{name}.start()` and later `{name}.join()`.",
                zh="`{name}.run()` 直接调用了进程要做的工作：工作就在当前进程里执行，不会创建"
                "子进程，也没有任何并行。请调用 `{name}.start()`，之后再 `{name}.join()`。",
            ),
            "run_on_object": Message(
                en="`.run()` on a Process object calls its work directly: the work runs right "
                "here in the calling process; no child process is created and nothing runs in "
                "parallel. Call `.start()` and later `.join()`.",
                zh="对 Process 对象调用 `.run()` 会直接执行它的工作：工作就在当前进程里执行，"
                "不会创建子进程，也没有任何并行。请调用 `.start()`，之后再 `.join()`。",
            ),
            "start_overridden": Message(
                en="`{name}` overrides `start()` without calling `super().start()`: the work "
                "runs right here in the calling process; no child process is created and "
                "nothing runs in parallel. Put the work in `run(self)` and leave `start()` to "
                "the base class.",
                zh="`{name}` 重写了 `start()` 却没有调用 `super().start()`：工作就在当前进程里"
                "执行，不会创建子进程，也没有任何并行。请把工作放进 `run(self)`，`start()` "
                "交给基类。",
            ),
        },
        "MP111": {
            "result_used": Message(
                en="The result of `{name}.start()` is used, but `start()` returns None; it "
                "neither waits for the child nor gives back its result. Call `start()` on its "
                "own line; to get a value back use a pool, an executor or a queue.",
                zh="使用了 `{name}.start()` 的返回值，但 `start()` 返回 None，它既不等待子进程，"
                "也不返回子进程的结果。请单独一行调用 `start()`；要拿回结果请用进程池、执行器或"
                "队列。",
            ),
            "in_a_loop": Message(
                en="`{name}.start()` is called in a loop on the same Process object, and a "
                "process can be started only once: the second round raises 'AssertionError: "
                "cannot start a process twice'. Create a new Process object for each run.",
                zh="同一个 Process 对象的 `{name}.start()` 在循环里被调用，而一个进程只能启动"
                "一次，第二轮会报 'AssertionError: cannot start a process twice'。请每次运行都"
                "创建一个新的 Process 对象。",
            ),
            "again": Message(
                en="`{name}.start()` is called again on the same Process object, and a process "
                "can be started only once: this raises 'AssertionError: cannot start a process "
                "twice'. Create a new Process object for each run.",
                zh="同一个 Process 对象的 `{name}.start()` 被再次调用，而一个进程只能启动一次，"
                "这里会报 'AssertionError: cannot start a process twice'。请每次运行都创建一个"
                "新的 Process 对象。",
            ),
        },
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


# -- MP102 -------------------------------------------------------------


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
            finder = _LeaveFinder()
            ancestor.body.visit(finder)
            return not finder.found
        child = ancestor
    return False


class _LeaveFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.found = True


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


# -- MP105 -------------------------------------------------------------


def _calls_start(function: cst.FunctionDef) -> bool:
    finder = _AttributeCallFinder("start")
    function.body.visit(finder)
    return finder.found


class _AttributeCallFinder(FastVisitor):
    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method
        self.found = False
        self.self_calls: list[str] = []

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value == self.method:
                self.found = True
            elif isinstance(func.value, cst.Name) and func.value.value == "self":
                self.self_calls.append(func.attr.value)


def _start_creates_child(facts: Facts, cls: cst.ClassDef, start: cst.FunctionDef) -> bool:
    """True when the overridden start() calls some ``start()`` (super's, the base class's),
    itself or through a method of the class it calls."""
    finder = _AttributeCallFinder("start")
    start.body.visit(finder)
    if finder.found:
        return True
    for name in finder.self_calls:
        method = facts.method_of(cls, name)
        if method is None or method is start or _calls_start(method):
            return True  # a method we cannot see (inherited) may start it
    return False


@check("MP105")
def run_instead_of_start(facts: Facts) -> Iterator[Finding]:
    for call in facts.method_calls("run", kinds=(Kind.PROCESS,)):
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else call.func
        name = dotted_name(receiver)
        if name is None:
            yield Finding("MP105", call, variant="run_on_object")
            continue
        yield Finding("MP105", call, {"name": name}, variant="run_call")
    for name, cls in facts.process_subclasses.items():
        start = facts.method_of(cls, "start")
        if start is None or _start_creates_child(facts, cls, start):
            continue
        yield Finding("MP105", start.name, {"name": name}, variant="start_overridden")


# -- MP111 -------------------------------------------------------------

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp)


def _result_used(facts: Facts, call: cst.Call) -> bool:
    """``r = p.start()``, ``p.start().join()``, ``x = [p.start() for p in ps]``; not a bare
    statement, a lambda's body, ``return p.start()`` (a wrapper handing on start()), nor a
    comprehension whose list is thrown away."""
    parent = facts.parent(call)
    if isinstance(parent, cst.Expr | cst.Lambda | cst.Return):
        return False
    if isinstance(parent, _COMPREHENSIONS) and parent.elt is call:
        holder = facts.parent(parent)
        if isinstance(holder, cst.Arg):  # list(p.start() for p in ps)
            holder = facts.parent(facts.parent(holder) or holder)
        return not isinstance(holder, cst.Expr)
    return True


def _bound_by_comprehension(facts: Facts, name: cst.Name) -> bool:
    for ancestor in facts.ancestors(name):
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return False
        if isinstance(ancestor, cst.CompFor):
            for target in _target_names(ancestor.target):
                if target == name.value:
                    return True
    return False


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)


def _retry_handler(facts: Facts, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """The second start sits in an except handler of a try whose body holds the first:
    a retry after a failed start(), which is allowed."""
    for ancestor in facts.ancestors(second):
        if isinstance(ancestor, cst.ExceptHandler | cst.ExceptStarHandler):
            attempt = facts.parent(ancestor)
            if isinstance(attempt, cst.Try | cst.TryStar) and any(
                a is attempt.body for a in facts.ancestors(first)
            ):
                return True
    return False


def _loop_restarts(facts: Facts, start: cst.Call, scope: cst.CSTNode, variable: str) -> bool:
    """The start sits in a for loop of its scope, the object is not bound anew inside the
    loop, and nothing leaves the loop early: every round starts the same object again."""
    child: cst.CSTNode = start
    loop: cst.For | None = None
    for ancestor in facts.ancestors(start):
        if ancestor is scope or isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            break
        if isinstance(ancestor, cst.CompFor | cst.While):
            return False
        if isinstance(ancestor, cst.For) and child is ancestor.body:
            loop = ancestor
            break
        child = ancestor
    if loop is None or not unconditional_within(facts, start, loop.body):
        return False  # `if i == 0: p.start()` in the loop starts it once
    for binding in facts.bindings.get((scope, variable), []):  # type: ignore[arg-type]
        if binding.node is loop or any(a is loop for a in facts.ancestors(binding.node)):
            return False
    finder = _LeaveFinder()
    loop.body.visit(finder)
    return not finder.found


@check("MP111")
def start_twice(facts: Facts) -> Iterator[Finding]:
    starts = [
        call
        for call in facts.method_calls("start", kinds=(Kind.PROCESS,))
        if isinstance(call.func, cst.Attribute)
    ]
    for call in starts:
        if isinstance(call.func, cst.Attribute) and _result_used(facts, call):
            name = dotted_name(call.func.value) or "process"
            yield Finding("MP111", call, {"name": name}, variant="result_used")
    yield from _started_twice(facts, starts)


def _started_twice(facts: Facts, starts: list[cst.Call]) -> Iterator[Finding]:
    by_variable: dict[tuple[int, str], list[cst.Call]] = {}
    for call in starts:
        receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
        if not isinstance(receiver, cst.Name) or _bound_by_comprehension(facts, receiver):
            continue
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            continue
        scope = bindings[0].scope
        if facts.scope_of(call) is not scope:
            continue  # a start in a nested function or lambda: not on the same path
        by_variable.setdefault((id(scope), receiver.value), []).append(call)
    for (_, variable), calls in by_variable.items():
        scope = facts.scope_of(calls[0])
        flagged = False
        for call in calls:
            if _loop_restarts(facts, call, scope, variable):
                yield Finding("MP111", call, {"name": variable}, variant="in_a_loop")
                flagged = True
        if flagged:
            continue
        uses = {id(u.attribute): u for u in uses_of(facts, variable, scope)}
        ordered = sorted(calls, key=lambda c: uses[id(c.func)].order if id(c.func) in uses else 0)
        for index, second in enumerate(ordered):
            for first in ordered[:index]:
                if (
                    not exclusive(facts, first, second)
                    and dominates(facts, first, second)
                    and not _retry_handler(facts, first, second)
                    and not _rebound_between(facts, scope, variable, first, second)
                ):
                    yield Finding("MP111", second, {"name": variable}, variant="again")
                    break


def _rebound_between(
    facts: Facts, scope: cst.CSTNode, variable: str, first: cst.CSTNode, second: cst.CSTNode
) -> bool:
    for binding in facts.bindings.get((scope, variable), []):  # type: ignore[arg-type]
        if source_before(facts, first, binding.node) and source_before(facts, binding.node, second):
            return True
        # A binding in a loop that encloses both may run between two rounds; be lenient.
    return False
