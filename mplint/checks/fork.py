"""Checks for MP108, MP109, MP110: fork, copy-on-write and threads; see RULES.md."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.facts import Facts, FastVisitor, bound_names, call_argument
from mplint.flow import (
    Step,
    call_flow,
    enclosing_with_items,
    reads_module_variable,
    runs_before,
)
from mplint.semantic.api import CONSTRUCTORS
from mplint.semantic.kinds import Kind, Via
from mplint.semantic.syntax import names_in, short_source_text

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
        "MP109": Message(
            en="The child's branch of `os.fork()` does not end the child: it goes on to run the "
            "code after the `if`, which was meant for the parent. End the branch with "
            "`os._exit(0)` (flush output first).",
            zh="`os.fork()` 的子进程分支没有结束子进程：子进程会接着执行 `if` 之后本应只由父进程"
            "执行的代码。请在分支末尾调用 `os._exit(0)`（先刷新输出）。",
        ),
        "MP110": Message(
            en="`{function}` runs in a child process and assigns the global `{name}`, which the "
            "parent reads: the child changes only its own copy (copy-on-write), so the parent "
            "never sees the change. Send the value back instead: return it from a pool or "
            "executor task, put it on a Queue, or use a shared Value.",
            zh="`{function}` 在子进程中运行并给全局变量 `{name}` 赋值，而父进程会读取它：子进程"
            "只改了自己的副本（读时共享、写时复制），父进程永远看不到这个改动。请改为把结果传回："
            "从进程池或执行器任务中返回、放进 Queue，或者使用共享的 Value。",
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


# -- MP108 -------------------------------------------------------------

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

    def starts_threads(self, call: cst.Call) -> Phrase | None:
        """Describes the call when it starts threads: ``Thread.start()``, a task given to a
        ThreadPoolExecutor, a ThreadPool being made."""
        facts = self.facts
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "start" and self.is_thread(func.value):
                return _CODE.format(code=short_source_text(call))
            if method in ("submit", "map") and facts.kind_of(func.value) == Kind.THREAD_EXECUTOR:
                return _ON_THREAD_EXECUTOR.format(code=short_source_text(call))
        if facts.kind_of_call(call) == Kind.THREAD_POOL:
            return _CODE.format(code=short_source_text(call))
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

    def forks(self, call: cst.Call) -> Phrase | None:
        """Describes the call when it forks: ``os.fork()``, or a process, pool or executor
        started with the fork method."""
        facts = self.facts
        qualname = facts.resolve(call.func)
        if qualname in _FORK_FUNCTIONS:
            return _CODE.format(code=f"{short_source_text(call.func)}()")
        func = call.func
        if isinstance(func, cst.Attribute):
            receiver = func.value
            method = func.attr.value
            if method == "start" and facts.kind_of(receiver) == Kind.PROCESS:
                if facts.may_fork(receiver) and self._class_may_fork(receiver):
                    return _FORKED_PROCESS.format(code=short_source_text(call))
                return None
            if method in ("submit", "map") and facts.kind_of(receiver) == Kind.EXECUTOR:
                creation = self._creation(receiver)
                if creation is not None and self._executor_may_fork(creation):
                    return _FORKING_EXECUTOR.format(code=short_source_text(call))
                return None
        if facts.kind_of_call(call) == Kind.POOL and qualname == "multiprocessing.Pool":
            if call_argument(call, "context") is None and facts.may_fork(call.func):
                return _FORKED_POOL.format(code=short_source_text(call))
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
    forks: dict[int, Phrase] = {}
    starts: dict[int, Phrase] = {}
    stops: set[int] = set()
    for call in facts.calls:
        if threads.stops_threads(call):
            stops.add(id(call))
        elif (what := threads.starts_threads(call)) is not None:
            starts[id(call)] = what
        elif (what := threads.forks(call)) is not None:
            forks[id(call)] = what
    if not forks or not starts:
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
                        {"fork": fork, "thread": thread},
                    )
                    break


# -- MP109 -------------------------------------------------------------

_EXIT_FUNCTIONS = frozenset(
    {
        "os._exit",
        "os.abort",
        "os.execv",
        "os.execve",
        "os.execl",
        "os.execle",
        "os.execlp",
        "os.execlpe",
        "os.execvp",
        "os.execvpe",
        "sys.exit",
    }
)
# Calls known to come back: their module is the standard library and they never exit.
_RETURNING_MODULES = (
    "time.",
    "logging.",
    "json.",
    "shutil.",
    "random.",
    "math.",
    "pathlib.",
    "subprocess.",
    "traceback.",
    "sys.stdout.",
    "sys.stderr.",
)
_BUILTINS = frozenset(dir(builtins)) - {"exit", "quit", "exec", "eval", "__import__", "breakpoint"}
PidTest = Callable[[cst.BaseExpression], bool]


class _Ending:
    """Whether a block of the child always ends the process: True, False (it surely goes on
    past its end) or None (cannot judge: an unknown call, a match statement, ...)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.visiting: list[cst.FunctionDef] = []

    def block(self, body: cst.BaseSuite) -> bool | None:
        # A statement that surely ends the process (`os.execvp(...)`, `os._exit(1)`) ends
        # the block: whatever follows it is dead code.
        if isinstance(body, cst.SimpleStatementSuite):
            if any(self.small(small) is True for small in body.body[:-1]):
                return True
            return self.small(body.body[-1]) if body.body else False
        if not isinstance(body, cst.IndentedBlock) or not body.body:
            return None
        if any(self.statement(statement) is True for statement in body.body[:-1]):
            return True
        return self.statement(body.body[-1])

    def statement(self, statement: cst.BaseStatement) -> bool | None:
        if isinstance(statement, cst.SimpleStatementLine):
            return self.small(statement.body[-1]) if statement.body else False
        if isinstance(statement, cst.If):
            if statement.orelse is None:
                return False
            other = (
                self.statement(statement.orelse)
                if isinstance(statement.orelse, cst.If)
                else self.block(statement.orelse.body)
            )
            return _all(self.block(statement.body), other)
        if isinstance(statement, cst.While):
            if _always_true(statement.test) and not _has_break(statement.body):
                return True
            return False
        if isinstance(statement, cst.For):
            return None if self.block(statement.body) else False
        if isinstance(statement, cst.With):
            return self.block(statement.body)
        if isinstance(statement, cst.Try | cst.TryStar):
            if statement.finalbody is not None and self.block(statement.finalbody.body):
                return True
            main = self.block(
                statement.orelse.body if statement.orelse is not None else statement.body
            )
            return _all(main, *(self.block(h.body) for h in statement.handlers))
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            return False
        return None

    def small(self, statement: cst.BaseSmallStatement) -> bool | None:
        if isinstance(statement, cst.Raise):
            return True
        if isinstance(statement, cst.Return):
            # In the branch itself `return` leaves the forking function; in a function the
            # branch calls, it only comes back to the branch, which then goes on.
            return not self.visiting
        if isinstance(statement, cst.Expr):
            return self.expression(statement.value)
        if isinstance(statement, cst.Assign | cst.AnnAssign | cst.AugAssign):
            value = statement.value
            return self.expression(value) if value is not None else False
        return False  # pass, break, continue, del, global, import, assert

    def expression(self, value: cst.BaseExpression) -> bool | None:
        if isinstance(value, cst.Await):
            return None
        if not isinstance(value, cst.Call):
            return False
        return self.call(value)

    def call(self, call: cst.Call) -> bool | None:
        facts = self.facts
        qualname = facts.resolve(call.func)
        if qualname is not None:
            if qualname in _EXIT_FUNCTIONS or qualname.startswith("os.exec"):
                return True
            if qualname.startswith(_RETURNING_MODULES) or (
                qualname.startswith("os.") and qualname not in ("os.kill", "os.killpg")
            ):
                return False
            return None
        func = call.func
        if isinstance(func, cst.Name) and not facts.visible_bindings(func):
            if func.value in ("exit", "quit") and func.value not in facts.imports:
                return True
            function = facts.function_for(func)
            if function is not None:
                return self.function(function)
            if func.value in _BUILTINS and func.value not in facts.imports:
                return False
            return None
        function = facts.function_for(func)
        if function is not None:
            return self.function(function)
        return None

    def function(self, function: cst.FunctionDef) -> bool | None:
        """Does calling this function of the file end the process?"""
        if function in self.visiting or len(self.visiting) > 8:
            return None
        self.visiting.append(function)
        try:
            return self.block(function.body)
        finally:
            self.visiting.pop()


def _all(*results: bool | None) -> bool | None:
    if any(r is False for r in results):
        return False
    if any(r is None for r in results):
        return None
    return True


def _always_true(test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.value not in ("0", "0x0", "0o0", "0b0")
    return False


def _has_break(body: cst.BaseSuite) -> bool:
    finder = _BreakFinder()
    body.visit(finder)
    return finder.found


class _BreakFinder(FastVisitor):
    """A break that leaves this loop (not one of an inner loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True


def _pid_test(test: cst.BaseExpression, is_pid: PidTest) -> str | None:
    """'child' when the test is true in the child (pid == 0, not pid), 'parent' when it is
    true in the parent (pid, pid > 0, pid != 0), else None."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _pid_test(test.expression, is_pid)
        return {"child": "parent", "parent": "child"}.get(inner) if inner else None
    if is_pid(test):
        return "parent"
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        operator = target.operator
        left, right = test.left, target.comparator
        if is_pid(left) and _is_zero(right):
            pass
        elif is_pid(right) and _is_zero(left):
            operator = _MIRRORED.get(type(operator), operator)
        else:
            return None
        if isinstance(operator, cst.Equal | cst.Is):
            return "child"
        if isinstance(operator, cst.NotEqual | cst.IsNot | cst.GreaterThan):
            return "parent"
    return None


_MIRRORED = {cst.GreaterThan: cst.LessThan(), cst.LessThan: cst.GreaterThan()}


def _is_zero(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Integer) and node.value == "0"


def _fork_result_tests(facts: Facts, call: cst.Call) -> Iterator[tuple[cst.If, PidTest]]:
    """The ``if`` statements that test this fork's result: ``if os.fork() == 0``,
    ``if (pid := os.fork()) == 0``, or ``pid = os.fork()`` followed (in the same block,
    before ``pid`` is bound again) by ``if pid == 0``."""
    parent = facts.parent(call)
    if isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
        name = parent.target.value
        node: cst.CSTNode = parent
        for ancestor in facts.ancestors(parent):
            if isinstance(ancestor, cst.If) and facts.is_inside(node, ancestor.test):
                yield ancestor, _pid_matcher(name, parent)
                return
            if isinstance(ancestor, cst.BaseStatement):
                return
        return
    for ancestor in facts.ancestors(call):
        if isinstance(ancestor, cst.If):
            if facts.is_inside(call, ancestor.test):
                yield ancestor, lambda node: node is call
            return
        if isinstance(ancestor, cst.BaseSmallStatement):
            break
    assign = facts.parent(call)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return
    target: cst.BaseExpression = assign.targets[0].target
    if isinstance(target, cst.Tuple) and target.elements and facts.resolve(call.func) != "os.fork":
        target = target.elements[0].value  # pid, fd = os.forkpty()
    if not isinstance(target, cst.Name):
        return
    line = facts.parent(assign)
    block = facts.parent(line) if line is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or not isinstance(
        block, cst.IndentedBlock | cst.Module
    ):
        return
    statements = list(block.body)
    position = next((i for i, s in enumerate(statements) if s is line), None)
    if position is None:
        return
    name = target.value
    for statement in statements[position + 1 :]:
        if isinstance(statement, cst.If):
            yield statement, _pid_matcher(name, None)
            return
        if _binds(statement, name):
            return


def _pid_matcher(name: str, walrus: cst.NamedExpr | None) -> PidTest:
    def is_pid(node: cst.BaseExpression) -> bool:
        return (isinstance(node, cst.Name) and node.value == name) or node is walrus

    return is_pid


def _binds(statement: cst.BaseStatement, name: str) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                targets = [small.target]
            if any(name in bound_names(t) for t in targets):
                return True
        return False
    return True  # a compound statement may bind it anywhere: stop looking


def _child_branch(statement: cst.If, is_pid: PidTest) -> cst.If | cst.Else | None:
    """The node that opens the child's branch (an ``if``/``elif`` or an ``else``)."""
    current: cst.If | None = statement
    while current is not None:
        side = _pid_test(current.test, is_pid)
        if side == "child":
            return current
        if side == "parent":
            return current.orelse if isinstance(current.orelse, cst.Else) else None
        current = current.orelse if isinstance(current.orelse, cst.If) else None
    return None


@check("MP109")
def fork_child_falls_through(facts: Facts) -> Iterator[Finding]:
    ending = _Ending(facts)
    for call in facts.calls_to("os.fork", "os.forkpty", "pty.fork"):
        for statement, is_pid in _fork_result_tests(facts, call):
            branch = _child_branch(statement, is_pid)
            if branch is None:
                continue
            if ending.block(branch.body) is not False:
                continue
            other = _parent_branch(statement, branch)
            if other is not None and ending.block(other) is True:
                continue  # the parent's branch exits: what follows the `if` is the child's
            after = _loop_left_by_break(facts, branch.body) or statement
            if not _code_follows(facts, after):
                continue  # the child falls off the end of the script: nothing runs twice
            if after is not statement and _tests_pid_again(facts, after, statement):
                continue  # the pre-fork pattern: the child breaks out to its own code
            yield Finding("MP109", branch)


def _parent_branch(statement: cst.If, branch: cst.If | cst.Else) -> cst.BaseSuite | None:
    """The parent's block beside the child's: the else of ``if pid == 0``, or the body of
    ``if pid:`` whose else is the child's; None when the parent has no block of its own."""
    if isinstance(branch, cst.Else):
        current: cst.If | None = statement
        while current is not None and current.orelse is not branch:
            current = current.orelse if isinstance(current.orelse, cst.If) else None
        return current.body if current is not None else None
    if isinstance(branch.orelse, cst.Else):
        return branch.orelse.body
    return None


def _code_follows(facts: Facts, statement: cst.CSTNode, depth: int = 0) -> bool:
    """True when some code runs after the statement once it ends: a later statement of an
    enclosing block, the next round of a loop, or what follows a call of its function."""
    node = statement
    for ancestor in facts.ancestors(statement):
        if isinstance(ancestor, cst.For | cst.While):
            return True
        if isinstance(ancestor, cst.FunctionDef):
            return _code_follows_calls(facts, ancestor, depth)
        if isinstance(ancestor, cst.IndentedBlock | cst.Module):
            body = list(ancestor.body)
            if any(s is node for s in body) and body[-1] is not node:
                return True
        node = ancestor
    return False


def _code_follows_calls(facts: Facts, function: cst.FunctionDef, depth: int) -> bool:
    """Code runs after a call of the function returns: True unless every call of it in this
    file is a statement of its own after which nothing runs (`main()` as the last line)."""
    if depth > 4:
        return True
    calls = [
        call
        for calls in facts.calls_by_function.values()
        for call in calls
        if facts.function_for(call.func) is function
    ]
    if not calls:
        return True  # called from elsewhere: its caller goes on
    for call in calls:
        statement = facts.parent(call)
        if not isinstance(statement, cst.Expr):
            return True  # its result is used: the caller goes on
        if _code_follows(facts, facts.parent(statement) or statement, depth + 1):
            return True
    return False


def _loop_left_by_break(facts: Facts, body: cst.BaseSuite) -> cst.CSTNode | None:
    """The loop the child's branch leaves with a final `break`, or None."""
    last: cst.CSTNode | None = None
    if isinstance(body, cst.IndentedBlock) and body.body:
        last = body.body[-1]
        if isinstance(last, cst.SimpleStatementLine) and last.body:
            last = last.body[-1]
    elif isinstance(body, cst.SimpleStatementSuite) and body.body:
        last = body.body[-1]
    if not isinstance(last, cst.Break):
        return None
    for ancestor in facts.ancestors(body):
        if isinstance(ancestor, cst.For | cst.While):
            return ancestor
        if isinstance(ancestor, cst.FunctionDef):
            return None
    return None


def _tests_pid_again(facts: Facts, loop: cst.CSTNode, fork_test: cst.If) -> bool:
    """After the loop, an `if` tests the same pid variable again: the code after the loop
    is split between the parent and the children on purpose."""
    names = {n.value for n in names_in(fork_test.test)}
    parent = facts.parent(loop)
    if not isinstance(parent, cst.IndentedBlock | cst.Module):
        return False
    body = list(parent.body)
    index = next((i for i, s in enumerate(body) if s is loop), None)
    if index is None:
        return False
    for later in body[index + 1 :]:
        if isinstance(later, cst.If) and names & {n.value for n in names_in(later.test)}:
            return True
    return False


# -- MP110 -------------------------------------------------------------


class _GlobalStores(FastVisitor):
    """Assignments to some names in one function body (nested scopes left out)."""

    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.found: dict[str, cst.CSTNode] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _store(self, target: cst.BaseExpression, statement: cst.CSTNode) -> None:
        for name in bound_names(target):
            if name in self.names:
                self.found.setdefault(name, statement)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._store(node.target, node)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target, node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target, node)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._store(node.name, node)


def _child_only_functions(facts: Facts, children: set[cst.FunctionDef]) -> set[cst.FunctionDef]:
    """Child functions, and the functions of this file called only from them."""
    callers: dict[cst.FunctionDef, set[cst.FunctionDef | None]] = {}
    for function, calls in facts.calls_by_function.items():
        for call in calls:
            callee = facts.function_for(call.func)
            if callee is not None:
                callers.setdefault(callee, set()).add(function)
    only = set(children)
    changed = True
    while changed:
        changed = False
        for callee, who in callers.items():
            if callee not in only and who and all(w in only for w in who):
                only.add(callee)
                changed = True
    return only


def _in_registered_callback(facts: Facts, node: cst.CSTNode) -> bool:
    """The node is in a decorated function that this file never names again: a route or
    signal handler registered with a framework. Which process runs it is not this
    file's main flow (a web server started in the child calls its routes there)."""
    function = facts.function_of(node)
    while function is not None:
        if function.decorators and len(facts.name_nodes.get(function.name.value, ())) <= 1:
            return True
        function = facts.function_of(function)
    return False


@check("MP110")
def global_mutation_in_child(facts: Facts) -> Iterator[Finding]:
    children = {
        use.function
        for use in facts.child_uses
        if use.via in (Via.PROCESS, Via.POOL, Via.EXECUTOR, Via.RUN)
    }
    if not children:
        return
    child_only = _child_only_functions(facts, children)
    called_directly = {
        facts.function_for(call.func)
        for call in facts.calls
        if facts.function_of(call) not in child_only and call not in facts.task_lambda_calls
    }
    for function in sorted(children, key=facts.functions.index):
        declared = facts.globals_declared.get(function)
        if not declared or function in called_directly:
            continue
        stores = _GlobalStores(set(declared))
        function.body.visit(stores)
        for name, statement in stores.found.items():
            if any(
                reads_module_variable(facts, node)
                and not any(a in child_only for a in facts.ancestors(node))
                and not _in_registered_callback(facts, node)
                for node in facts.name_nodes.get(name, ())
            ):
                cls = facts.class_of(function)
                label = function.name.value
                if cls is not None:
                    label = f"{cls.name.value}.{label}"
                yield Finding("MP110", statement, {"function": label, "name": name})
