"""MP602 log-handler-per-task: logging handler added once per pool task.

Page: rules/MP602.md (zh-CN: rules/zh-CN/MP602.md) · Fixtures: fixtures/MP602/
· Example: examples/MP602-log-handler-per-task/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, FastVisitor, string_value
from mplint.semantic.api import CONSTRUCTORS
from mplint.semantic.kinds import Kind, Via
from mplint.semantic.syntax import source_text

messages(
    {
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
