"""MP108 fork-with-threads: fork after threads were started.

Page: rules/MP108.md (zh-CN: rules/zh-CN/MP108.md) · Fixtures: fixtures/MP108/
· Example: examples/MP108-fork-with-threads/
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import Facts, call_argument
from mplint.flow import (
    Step,
    call_flow,
    enclosing_with_items,
    runs_before,
)
from mplint.semantic.api import CONSTRUCTORS
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import short_source_text

messages(
    {
        "MP108": Message(
            en="{fork} runs after {thread} started a thread on this path: under fork the child "
            "keeps only the forking thread and inherits every lock the other threads held, so "
            "it can deadlock. Start the processes "
            'before any thread, or use `multiprocessing.get_context("spawn")`.',
            zh="{thread} 启动线程之后，又执行了 {fork}：在 fork 方式下子进程只保留调用 fork 的那个"
            "线程，却继承了其他线程持有的所有锁，可能因此死锁。请在启动任何线程之前创建进程，"
            "或者使用 "
            '`multiprocessing.get_context("spawn")`。',
        ),
    }
)

# How MP108 names the call that forks and the one that started threads.
_CODE = Phrase("`{code}`", "`{code}`")
_ON_THREAD_EXECUTOR = Phrase("`{code}` on a ThreadPoolExecutor", "ThreadPoolExecutor 的 `{code}`")
_FORKED_PROCESS = Phrase(
    "`{code}` (a process started by fork)", "`{code}`（以 fork 方式启动的进程）"
)
_FORKING_EXECUTOR = Phrase(
    "`{code}` (a ProcessPoolExecutor that forks)",
    "`{code}`（以 fork 方式创建进程的 ProcessPoolExecutor）",
)
_FORKED_POOL = Phrase(
    "`{code}` (its workers are forked)", "`{code}`（它的工作进程以 fork 方式创建）"
)


_FORK_FUNCTIONS = frozenset({"os.fork", "os.forkpty", "pty.fork"})
_STOP_METHODS = frozenset({"join", "shutdown", "terminate"})
_NOT_THREADS = frozenset(
    {Kind.PROCESS, Kind.POOL, Kind.EXECUTOR, Kind.MANAGER, Kind.QUEUE, Kind.PIPE}
)


@dataclass(slots=True)
class _Threads:
    """A place on a flow where threads start: which call, and the ``with`` block that
    stops them on exit (a ThreadPoolExecutor or ThreadPool used as a context manager)."""

    step: Step
    index: int
    block: cst.With | None


class _ThreadFacts:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts

    @cached_property
    def thread_classes(self) -> set[str]:
        """Classes of this file that derive from threading.Thread, directly or in turn."""
        return set(self.facts.subclasses_of("threading.Thread"))

    def is_thread(self, node: cst.BaseExpression) -> bool:
        facts = self.facts
        if facts.kind_of(node) == Kind.THREAD:
            return True
        if isinstance(node, cst.Call):
            return isinstance(node.func, cst.Name) and node.func.value in self.thread_classes
        if isinstance(node, cst.Attribute):
            stored = [b.value for b in facts.attribute_bindings_of(node)]
            return bool(stored) and all(v is not None and self.is_thread(v) for v in stored)
        if isinstance(node, cst.Name):
            bindings = facts.visible_bindings(node)
            return bool(bindings) and all(
                b.value is not None and b.unpack_index is None and self.is_thread(b.value)
                for b in bindings
                if not isinstance(b.value, cst.Name) or b.value.value != node.value
            )
        return False

    def starts_threads(self, call: cst.Call) -> Callable[[], Phrase] | None:
        """When the call starts threads (``Thread.start()``, a task given to a
        ThreadPoolExecutor, a ThreadPool being made): what describes it. The words are
        made only for a finding (the source text of every call would cost more than the
        check)."""
        facts = self.facts
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "start" and self.is_thread(func.value):
                return lambda: _CODE.format(code=short_source_text(call))
            if method in ("submit", "map") and facts.kind_of(func.value) == Kind.THREAD_EXECUTOR:
                return lambda: _ON_THREAD_EXECUTOR.format(code=short_source_text(call))
        if facts.kind_of_call(call) == Kind.THREAD_POOL:
            return lambda: _CODE.format(code=short_source_text(call))
        return None

    def stops_threads(self, call: cst.Call) -> bool:
        """A join/shutdown/terminate that may end threads started before (lenient: any such
        call whose receiver is not a process object, a module or a string)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _STOP_METHODS:
            return False
        receiver = func.value
        if isinstance(receiver, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
            return False
        if self.facts.resolve(receiver) is not None:
            return False  # os.path.join and the like
        if self.facts.kind_of(receiver) in _NOT_THREADS:
            return False
        if func.attr.value == "shutdown":
            wait = call_argument(call, "wait", 0)
            if (
                wait is not None
                and isinstance(wait.value, cst.Name)
                and wait.value.value == "False"
            ):
                return False
        return True

    def stopping_block(self, call: cst.Call) -> cst.With | None:
        """The ``with`` block whose exit stops the threads this call starts, if any."""
        item = self.facts.parent(call)
        if isinstance(item, cst.WithItem) and item.item is call:
            with_node = self.facts.parent(item)
            return with_node if isinstance(with_node, cst.With) else None
        func = call.func
        holder = func.value if isinstance(func, cst.Attribute) else None
        for item in enclosing_with_items(self.facts, call):
            kind = self.facts.kind_of(item.item)
            if kind not in (Kind.THREAD_EXECUTOR, Kind.THREAD_POOL):
                continue
            named = item.asname.name if item.asname is not None else None
            if item.item is call or (
                isinstance(holder, cst.Name)
                and isinstance(named, cst.Name)
                and named.value == holder.value
            ):
                with_node = self.facts.parent(item)
                return with_node if isinstance(with_node, cst.With) else None
        return None

    def forks(self, call: cst.Call) -> Callable[[], Phrase] | None:
        """When the call forks (``os.fork()``, or a process, pool or executor started with
        the fork method): what describes it, as in ``starts_threads``."""
        facts = self.facts
        qualname = facts.resolve(call.func)
        if qualname in _FORK_FUNCTIONS:
            return lambda: _CODE.format(code=f"{short_source_text(call.func)}()")
        func = call.func
        if isinstance(func, cst.Attribute):
            receiver = func.value
            method = func.attr.value
            if method == "start" and facts.kind_of(receiver) == Kind.PROCESS:
                if facts.may_fork(receiver) and self._class_may_fork(receiver):
                    return lambda: _FORKED_PROCESS.format(code=short_source_text(call))
                return None
            if method in ("submit", "map") and facts.kind_of(receiver) == Kind.EXECUTOR:
                creation = self._creation(receiver)
                if creation is not None and self._executor_may_fork(creation):
                    return lambda: _FORKING_EXECUTOR.format(code=short_source_text(call))
                return None
        if facts.kind_of_call(call) == Kind.POOL and qualname == "multiprocessing.Pool":
            if call_argument(call, "context") is None and facts.may_fork(call.func):
                return lambda: _FORKED_POOL.format(code=short_source_text(call))
        return None

    def _class_may_fork(self, receiver: cst.BaseExpression) -> bool:
        """A Process subclass based on ``get_context("spawn").Process`` never forks."""
        creation = self._creation(receiver)
        if creation is None or not isinstance(creation.func, cst.Name):
            return True
        cls = self.facts.process_subclasses.get(creation.func.value)
        if cls is None:
            return True
        return all(self.facts.may_fork(base.value) for base in cls.bases)

    def _creation(self, node: cst.BaseExpression) -> cst.Call | None:
        if isinstance(node, cst.Call):
            return node
        if isinstance(node, cst.Name):
            bindings = self.facts.visible_bindings(node)
            if len(bindings) == 1 and isinstance(bindings[0].value, cst.Call):
                return bindings[0].value
        return None

    def _executor_may_fork(self, creation: cst.Call) -> bool:
        executor = CONSTRUCTORS[Kind.EXECUTOR]
        if executor.argument(creation, "max_tasks_per_child") is not None:
            return False  # uses spawn unless a context is given; stay silent
        context = executor.argument(creation, "mp_context")
        if context is not None:
            return self.facts.context_method(context.value) == "fork"
        return self.facts.may_fork(None)


def _flow_roots(facts: Facts) -> list[cst.FunctionDef | None]:
    """The module's code, then every function of this file nothing in it calls directly
    (entry points, callbacks, and functions run in children or threads)."""
    return facts.entry_points(include_child_functions=True)


@check("MP108")
def fork_with_threads(facts: Facts) -> Iterator[Finding]:
    threads = _ThreadFacts(facts)
    forks: dict[int, Callable[[], Phrase]] = {}
    starts: dict[int, Callable[[], Phrase]] = {}
    stops: set[int] = set()
    for call in facts.calls:
        if threads.stops_threads(call):
            stops.add(id(call))
        elif (what := threads.starts_threads(call)) is not None:
            starts[id(call)] = what
    if not starts:
        return  # no thread is started: no fork can inherit one
    for call in facts.calls:
        if id(call) not in stops and id(call) not in starts:
            if (what := threads.forks(call)) is not None:
                forks[id(call)] = what
    if not forks:
        return
    reaching = facts.functions_reaching(lambda call: id(call) in forks)
    reported: set[int] = set()
    for root in _flow_roots(facts):
        if root is not None and root not in reaching:
            continue
        started: list[_Threads] = []
        last_stop = -1
        for index, step in enumerate(call_flow(facts, root)):
            call = step.call
            if id(call) in stops:
                last_stop = index
                continue
            if id(call) in starts:
                started.append(_Threads(step, index, threads.stopping_block(call)))
                continue
            fork = forks.get(id(call))
            if fork is None or id(call) in reported:
                continue
            for running in started:
                if running.index < last_stop:
                    continue  # joined or shut down since (we cannot tell which: be lenient)
                if running.block is not None and not any(
                    facts.is_inside(node, running.block) for node in step.chain
                ):
                    continue  # the with block that stops them has ended
                if runs_before(facts, running.step, step, loops_run=True):
                    reported.add(id(call))
                    thread = starts[id(running.step.call)]
                    yield Finding(
                        "MP108",
                        call,
                        {"fork": fork(), "thread": thread()},
                    )
                    break
