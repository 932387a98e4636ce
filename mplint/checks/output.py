"""Checks for MP6xx: output and logging; see RULES.md."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, FastVisitor, call_argument, string_value
from mplint.semantic.api import CONSTRUCTORS
from mplint.semantic.kinds import Kind, Via
from mplint.semantic.syntax import source_text

messages(
    {
        "MP601": Message(
            en="This child prints to stdout and then ends with `os._exit()` without flushing: "
            "whatever is still in the buffer is discarded (all of it when stdout is a file or "
            "a pipe). Call `sys.stdout.flush()` before `os._exit()`, or print with "
            "`flush=True`.",
            zh="这个子进程向标准输出打印后没有刷新缓冲区就调用了 `os._exit()`：缓冲区里的内容会被"
            "丢弃（标准输出是文件或管道时会全部丢失）。请在 `os._exit()` 之前调用 "
            "`sys.stdout.flush()`，或在 `print()` 时传入 `flush=True`。",
        ),
        "MP602": Message(
            en="`{call}` runs once per pool task, but the worker process lives on for many "
            "tasks: each call adds another handler, so every log line is written once more with "
            "each task. Set logging up once per worker, in the pool's `initializer=`.",
            zh="`{call}` 在每个进程池任务中都会执行一次，而工作进程会连续处理很多任务：每次调用都会"
            "再添加一个日志处理器，于是每条日志随着任务增多被重复输出。请在进程池的 "
            "`initializer=` 里为每个工作进程只配置一次日志。",
        ),
    }
)


# -- MP601 -------------------------------------------------------------


def _is_builtin(facts: Facts, func: cst.BaseExpression, name: str) -> bool:
    return (
        isinstance(func, cst.Name)
        and func.value == name
        and not facts.visible_bindings(func)
        and name not in facts.imports
    )


def _to_stdout(facts: Facts, call: cst.Call) -> bool:
    file = call_argument(call, "file")
    return file is None or facts.resolve(file.value) == "sys.stdout"


def _flushes(call: cst.Call) -> bool:
    flush = call_argument(call, "flush")
    return (
        flush is not None
        and not (isinstance(flush.value, cst.Name) and flush.value.value in ("False", "None"))
        and not (isinstance(flush.value, cst.Integer) and flush.value.value == "0")
    )


def _output_event(facts: Facts, call: cst.Call, depth: int = 0) -> str | None:
    """ "dirty" when the call leaves text in stdout's buffer, "flush" when it empties it,
    else None. Functions of this file called here count by their own last event."""
    func = call.func
    if _is_builtin(facts, func, "print"):
        if not _to_stdout(facts, call):
            return None
        return "flush" if _flushes(call) else "dirty"
    qualname = facts.resolve(func)
    if qualname in ("sys.stdout.flush", "sys.stdout.close"):
        return "flush"
    if qualname == "sys.stdout.write":
        return "dirty"
    if depth == 0:
        helper = facts.function_for(func)
        if helper is not None:
            state = None
            for inner in facts.calls_by_function.get(helper, ()):
                state = _output_event(facts, inner, depth + 1) or state
            return state
    return None


def _unflushed_exits(facts: Facts, calls: Iterable[cst.Call]) -> Iterator[cst.Call]:
    """The ``os._exit()`` calls reached with unflushed stdout text, in one body's calls
    (source order)."""
    ordered = list(calls)
    for index, call in enumerate(ordered):
        if facts.resolve(call.func) != "os._exit":
            continue
        state = None
        for earlier in ordered[:index]:
            if flow.exclusive(facts, earlier, call) or flow.is_inside(facts, call, earlier):
                continue
            if _in_fork_failure_branch(facts, earlier):
                continue  # never runs
            state = _output_event(facts, earlier) or state
        if state == "dirty":
            yield call


def _fork_child_blocks(facts: Facts) -> Iterator[cst.BaseSuite]:
    """The branches that run in the child after ``pid = os.fork()`` (or ``if os.fork() == 0``)."""
    for fork in facts.calls_to("os.fork"):
        parent = facts.parent(fork)
        tests: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
        target = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
        if isinstance(target, cst.Name):
            scope = facts.scope_of(target)
            for load in flow.loads_of(facts, target.value, scope):
                tests.append((load, load))
        else:
            tests.append((fork, fork))
        for expression, _ in tests:
            block = _child_branch(facts, expression)
            if block is not None:
                yield block


def _child_branch(facts: Facts, value: cst.BaseExpression) -> cst.BaseSuite | None:
    """For a pid expression used as an if test: the branch the child (pid 0) takes."""
    test: cst.CSTNode = value
    parent = facts.parent(value)
    child_is_body: bool | None = None
    if isinstance(parent, cst.If) and parent.test is value:
        child_is_body = False  # if pid: parent
    elif isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        test, child_is_body = parent, True
    elif isinstance(parent, cst.Comparison) and len(parent.comparisons) == 1:
        target = parent.comparisons[0]
        other = target.comparator if parent.left is value else parent.left
        if not (isinstance(other, cst.Integer) and other.value == "0"):
            return None
        if isinstance(target.operator, cst.Equal | cst.Is):
            child_is_body = True
        elif isinstance(target.operator, cst.NotEqual | cst.IsNot):
            child_is_body = False
        elif isinstance(target.operator, cst.GreaterThan) and parent.left is value:
            child_is_body = False
        else:
            return None
        test = parent
    if child_is_body is None:
        return None
    statement = facts.parent(test)
    if not isinstance(statement, cst.If) or statement.test is not test:
        return None
    if child_is_body:
        return statement.body
    return statement.orelse.body if isinstance(statement.orelse, cst.Else) else None


def _fork_pid_test(facts: Facts, test: cst.BaseExpression) -> tuple[str, str] | None:
    """(name, "zero" | "positive" | "negative") for ``pid == 0``, ``not pid``, ``pid > 0``,
    ``pid < 0``, ``pid == -1`` where ``pid`` is bound to ``os.fork()``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        name = test.expression
        return (
            (name.value, "zero")
            if isinstance(name, cst.Name) and _is_fork_pid(facts, name)
            else None
        )
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    name, target = test.left, test.comparisons[0]
    if not isinstance(name, cst.Name) or not _is_fork_pid(facts, name):
        return None
    value = target.comparator
    number = (
        -int(value.expression.value)
        if isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        else int(value.value)
        if isinstance(value, cst.Integer)
        else None
    )
    operator = target.operator
    label = None
    if number == 0 and isinstance(operator, cst.Equal | cst.Is):
        label = "zero"
    elif number == 0 and isinstance(operator, cst.GreaterThan):
        label = "positive"
    elif number == 0 and isinstance(operator, cst.LessThan):
        label = "negative"
    elif number == -1 and isinstance(operator, cst.Equal):
        label = "negative"
    return (name.value, label) if label is not None else None


def _is_fork_pid(facts: Facts, node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Name):
        return False
    bindings = facts.visible_bindings(node)
    return bool(bindings) and all(
        isinstance(b.value, cst.Call) and facts.resolve(b.value.func) == "os.fork" for b in bindings
    )


def _in_fork_failure_branch(facts: Facts, call: cst.Call) -> bool:
    """True when the call sits in a branch that runs only when ``os.fork()`` returned a
    negative pid, which it never does (it raises OSError): the body of ``if pid < 0``,
    or the final ``else`` of a chain that already tested ``pid == 0`` and ``pid > 0``."""
    for ancestor in facts.ancestors(call):
        if not isinstance(ancestor, cst.If):
            continue
        if flow.is_inside(facts, call, ancestor.body):
            test = _fork_pid_test(facts, ancestor.test)
            if test is not None and test[1] == "negative":
                return True
            continue
        final = ancestor.orelse
        if not (isinstance(final, cst.Else) and flow.is_inside(facts, call, final.body)):
            continue
        seen: dict[str, set[str]] = {}
        link: cst.CSTNode | None = ancestor
        while isinstance(link, cst.If):
            test = _fork_pid_test(facts, link.test)
            if test is not None:
                seen.setdefault(test[0], set()).add(test[1])
            parent = facts.parent(link)
            link = parent if isinstance(parent, cst.If) and parent.orelse is link else None
        if any({"zero", "positive"} <= labels for labels in seen.values()):
            return True
    return False


@check("MP601")
def unflushed_exit(facts: Facts) -> Iterator[Finding]:
    seen: set[int] = set()
    for function in {use.function for use in facts.child_uses}:
        for call in _unflushed_exits(facts, facts.calls_by_function.get(function, ())):
            if id(call) not in seen:
                seen.add(id(call))
                yield Finding("MP601", call)
    for block in _fork_child_blocks(facts):
        owner = facts.function_of(block)
        calls = [
            c for c in facts.calls_by_function.get(owner, ()) if flow.is_inside(facts, c, block)
        ]
        for call in _unflushed_exits(facts, calls):
            if _in_fork_failure_branch(facts, call):
                continue  # os.fork() raises OSError: a "pid < 0" branch never runs
            if id(call) not in seen:
                seen.add(id(call))
                yield Finding("MP601", call)


# -- MP602 -------------------------------------------------------------


def _one_task_per_worker(facts: Facts, task_call: cst.CSTNode) -> bool:
    """True when the pool or executor runs each task in a fresh worker
    (``maxtasksperchild=1`` / ``max_tasks_per_child=1``)."""
    func = task_call.func if isinstance(task_call, cst.Call) else None
    if not isinstance(func, cst.Attribute):
        return False
    constructors: list[cst.Call] = []
    if isinstance(func.value, cst.Call):
        constructors.append(func.value)
    elif isinstance(func.value, cst.Name):
        for binding in facts.visible_bindings(func.value):
            if isinstance(binding.value, cst.Call):
                constructors.append(binding.value)
    for constructor in constructors:
        argument = CONSTRUCTORS[Kind.POOL].argument(
            constructor, "maxtasksperchild"
        ) or CONSTRUCTORS[Kind.EXECUTOR].argument(constructor, "max_tasks_per_child")
        if argument is None:
            continue
        value = argument.value
        if isinstance(value, cst.Name) and value.value == "None":
            continue
        if isinstance(value, cst.Integer) and value.evaluated_value > 1:
            continue  # handlers still pile up, up to that many
        return True  # one task per worker, or a number we cannot read: leave it alone
    return False


def _shared_logger(facts: Facts, node: cst.BaseExpression, depth: int = 0) -> bool:
    """True when the expression is a logger that outlives the task: the root logger or
    ``logging.getLogger(<fixed name>)``, directly or through a name bound to it."""
    if depth > 3:
        return False
    if isinstance(node, cst.Call):
        qualname = facts.resolve(node.func)
        if qualname == "multiprocessing.get_logger":
            return True
        if qualname != "logging.getLogger":
            return False
        if not node.args:
            return True
        if len(node.args) != 1 or node.args[0].star:
            return False
        name = node.args[0].value
        return string_value(name) is not None or (
            isinstance(name, cst.Name) and name.value == "__name__"
        )
    if isinstance(node, cst.Attribute):
        return facts.resolve(node) == "logging.root"
    if isinstance(node, cst.Name):
        bindings = facts.visible_bindings(node)
        return bool(bindings) and all(
            b.value is not None
            and b.unpack_index is None
            and _shared_logger(facts, b.value, depth + 1)
            for b in bindings
        )
    return False


class _HandlerBookkeeping(FastVisitor):
    """Does a function manage its handlers (test ``logger.handlers`` or ``hasHandlers()``,
    clear or assign ``handlers``, ``removeHandler()``)? Then it is left alone. Merely
    reporting ``len(logger.handlers)`` is not management."""

    def __init__(self, facts: Facts) -> None:
        super().__init__()
        self.facts = facts
        self.found = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        name = node.attr.value
        if name in ("hasHandlers", "removeHandler"):
            self.found = True
        elif name == "handlers" and self._manages(node):
            self.found = True
        return not self.found

    def _manages(self, node: cst.Attribute) -> bool:
        parent = self.facts.parent(node)
        if isinstance(parent, cst.Attribute | cst.AssignTarget | cst.Del | cst.Subscript):
            return True  # logger.handlers.clear(), logger.handlers = [], del ...handlers[:]
        child: cst.CSTNode = node
        for ancestor in self.facts.ancestors(node):
            if isinstance(ancestor, cst.If | cst.While | cst.IfExp) and child is ancestor.test:
                return True
            if isinstance(ancestor, cst.BaseSmallStatement | cst.BaseCompoundStatement):
                return False
            child = ancestor
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _conditional(facts: Facts, call: cst.Call, function: cst.FunctionDef) -> bool:
    """True when the call sits under an if/while or in an except branch of the function."""
    for ancestor in facts.ancestors(call):
        if ancestor is function:
            return False
        if isinstance(ancestor, cst.If | cst.While | cst.IfExp | cst.ExceptHandler):
            return True
    return False


def _handler_call(facts: Facts, call: cst.Call) -> str | None:
    if facts.resolve(call.func) == "multiprocessing.log_to_stderr":
        return "multiprocessing.log_to_stderr()"
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "addHandler"
        and _shared_logger(facts, func.value)
    ):
        return f"{source_text(func.value)}.addHandler()"
    return None


def _per_task_functions(facts: Facts) -> set[cst.FunctionDef]:
    """Pool and executor task functions, and the functions of this file they always call."""
    functions = {
        use.function
        for use in facts.child_uses
        if use.via in (Via.POOL, Via.EXECUTOR) and not _one_task_per_worker(facts, use.call)
    }
    pending = list(functions)
    while pending:
        function = pending.pop()
        for call in facts.calls_by_function.get(function, ()):
            helper = facts.function_for(call.func)
            if (
                helper is not None
                and helper not in functions
                and not _conditional(facts, call, function)
            ):
                functions.add(helper)
                pending.append(helper)
    initializers = {use.function for use in facts.child_uses if use.via == "initializer"}
    return functions - initializers


@check("MP602")
def log_handler_per_task(facts: Facts) -> Iterator[Finding]:
    for function in _per_task_functions(facts):
        bookkeeping = _HandlerBookkeeping(facts)
        function.body.visit(bookkeeping)
        if bookkeeping.found:
            continue
        for call in facts.calls_by_function.get(function, ()):
            what = _handler_call(facts, call)
            if what is not None and not _conditional(facts, call, function):
                yield Finding("MP602", call, {"call": what})
