"""MP115 join-before-start and MP116 fork-child-not-waited: calls in the wrong order, and
raw forks that nobody reaps.

Pages: rules/MP115.md, rules/MP116.md (and rules/zh-CN/). Fixtures: fixtures/MP115/,
fixtures/MP116/. Examples: examples/MP115-join-before-start/,
examples/MP116-fork-child-not-waited/.

Only public queries of Facts (bindings, kind_of, calls_by_scope, calls_to, name_nodes,
scope_of, ancestors) and flow (uses_of, loads_of, exclusive) are used, so that moving the
checks onto the semantic model is a matter of renaming those queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.facts import Facts, FastVisitor, Scope, is_method_call
from mplint.flow import exclusive, loads_of, uses_of
from mplint.names import kind_of_constructor
from mplint.semantic.syntax import source_text

JOIN_BEFORE_START = "join-before-start"
CLOSED_BEFORE_START = "close-before-start"
CLOSED_WHILE_RUNNING = "close-while-running"

messages(
    {
        "MP115": {
            JOIN_BEFORE_START: Message(
                en="`{call}` runs before the process is started: it raises `AssertionError: "
                "can only join a started process` and no child ever runs. Start every process "
                "first, then join them.",
                zh="`{call}` 在进程启动之前执行：会报 `AssertionError: can only join a started "
                "process`，一个子进程都不会运行。请先启动所有进程，再逐个 `join()`。",
            ),
            CLOSED_BEFORE_START: Message(
                en="`{call}` closes the process before it is started: the `start()` that "
                "follows raises `ValueError: process object is closed`. Start and join the "
                "process first, and close it last.",
                zh="`{call}` 在进程启动之前就把它关闭了：后面的 `start()` 会报 "
                "`ValueError: process object is closed`。请先启动并 `join()` 这个进程，最后再关闭。",
            ),
            CLOSED_WHILE_RUNNING: Message(
                en="`{call}` comes right after `start()` with no `join()`: the child is almost "
                "surely still running, so it raises `ValueError: Cannot close a process while "
                "it is still running`. Call `join()` first, then `close()`.",
                zh="`{call}` 紧跟在 `start()` 之后，中间没有 `join()`：子进程几乎肯定还在运行，"
                "所以会报 `ValueError: Cannot close a process while it is still running`。"
                "请先 `join()`，再 `close()`。",
            ),
        },
        "MP116": Message(
            en="`{call}` starts a child that this program never waits for (no `os.wait()` or "
            "`os.waitpid()`, no `SIGCHLD` handler): every child that finishes stays a zombie "
            "process until the parent exits. Reap it in the parent with "
            "`os.waitpid(pid, 0)`.",
            zh="`{call}` 创建的子进程从来没有被等待（没有 `os.wait()` 或 `os.waitpid()`，也没有 "
            "`SIGCHLD` 处理函数）：每个结束的子进程都会一直是僵尸进程，直到父进程退出。请在父进程中"
            "用 `os.waitpid(pid, 0)` 回收它。",
        ),
    }
)


# Uses of a started process after which close() may be safe: the parent waited for it, or
# looked at whether it is still running.
_WAITING = frozenset({"join", "is_alive", "exitcode", "sentinel", "terminate", "kill"})


class _SourceOrder:
    """Where a node starts in the source, as the path of child positions from the module
    down to it: paths compare in source order. Made from the parent links for the few
    nodes a check asks about, instead of numbering every node of the file."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.positions: dict[int, dict[int, int]] = {}
        self.paths: dict[int, tuple[int, ...]] = {}

    def path(self, node: cst.CSTNode) -> tuple[int, ...]:
        chain: list[cst.CSTNode] = []
        current: cst.CSTNode | None = node
        while current is not None and id(current) not in self.paths:
            chain.append(current)
            current = self.facts.parent(current)
        path = self.paths[id(current)] if current is not None else ()
        for child in reversed(chain):
            parent = self.facts.parent(child)
            if parent is not None:
                children = self.positions.get(id(parent))
                if children is None:
                    children = {id(c): i for i, c in enumerate(parent.children)}
                    self.positions[id(parent)] = children
                path = (*path, children.get(id(child), -1))
            self.paths[id(child)] = path
        return path


def _loops_between(facts: Facts, node: cst.CSTNode, scope: Scope) -> list[cst.CSTNode]:
    loops: list[cst.CSTNode] = []
    for ancestor in facts.ancestors(node):
        if ancestor is scope:
            break
        if isinstance(ancestor, cst.For | cst.While):
            loops.append(ancestor)
    return loops


# -- MP115 -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    order: tuple[int, ...]
    method: str  # "start", "join", "close", another attribute, or "" for an escape
    node: cst.CSTNode


def _variable_events(
    facts: Facts, name: str, scope: Scope, order: _SourceOrder
) -> list[_Event] | None:
    """What is done to a process held by one name, in source order; None when it is used
    in a nested scope (which may run at any time)."""
    events: list[_Event] = []
    receivers: set[int] = set()
    for use in uses_of(facts, name, scope):
        if facts.scope_of(use.attribute) is not scope:
            return None
        receivers.add(id(use.attribute.value))
        events.append(_Event(order.path(use.attribute), use.name, use.attribute))
    for load in loads_of(facts, name, scope):
        if facts.scope_of(load) is not scope:
            return None
        if id(load) not in receivers:
            events.append(_Event(order.path(load), "", load))
    return sorted(events, key=lambda event: event.order)


def _called(facts: Facts, event: _Event) -> cst.Call | None:
    parent = facts.parent(event.node)
    if isinstance(parent, cst.Call) and parent.func is event.node:
        return parent
    return None


def _makes_process(facts: Facts, call: cst.Call) -> bool:
    """A new, unstarted Process: its class called directly (not a function that may
    return a started one)."""
    func = call.func
    if isinstance(func, cst.Name) and func.value in facts.process_subclasses:
        return not facts.visible_bindings(func)
    return kind_of_constructor(facts.resolve(func)) == "process"


def _single_process_names(facts: Facts) -> Iterator[tuple[str, Scope, cst.CSTNode]]:
    """Names bound once, to a new Process, in their scope."""
    for (scope, name), bindings in facts.bindings.items():
        if len(bindings) != 1:
            continue
        binding = bindings[0]
        if (
            isinstance(binding.node, cst.Assign)
            and binding.unpack_index is None
            and isinstance(binding.value, cst.Call)
            and _makes_process(facts, binding.value)
        ):
            yield name, scope, binding.node


def _sleeps_between(
    facts: Facts, scope: Scope, first: cst.CSTNode, second: cst.CSTNode, order: _SourceOrder
) -> bool:
    """A ``time.sleep()`` between two nodes of one scope: the parent gives the child
    time to finish; whether that is enough is a guess, so the check stays silent."""
    return any(
        order.path(first) < order.path(call) < order.path(second)
        and facts.resolve(call.func) == "time.sleep"
        for call in facts.calls_by_scope.get(scope, ())
    )


def _order_problems(
    facts: Facts,
    events: list[_Event],
    binding: cst.CSTNode,
    scope: Scope,
    order: _SourceOrder,
) -> Iterator[tuple[cst.Call, str]]:
    """The first join()/close() that comes too early, for one process."""
    started: _Event | None = None
    waited = False
    for index, event in enumerate(events):
        call = _called(facts, event)
        if event.method == "" or (event.method == "start" and call is None):
            return  # handed on: something else may start or join it
        if event.method == "start":
            started, waited = event, False
            continue
        if call is None or event.method not in ("join", "close"):
            waited = waited or event.method in _WAITING
            continue
        binding_loops = set(map(id, _loops_between(facts, binding, scope)))
        if any(id(loop) not in binding_loops for loop in _loops_between(facts, call, scope)):
            return  # a later round of the loop may come after a start
        if started is None:
            if event.method == "join":
                yield call, JOIN_BEFORE_START
                return
            later = [e for e in events[index + 1 :] if e.method == "start"]
            if later and _called(facts, later[0]) is not None:
                yield call, CLOSED_BEFORE_START
            return
        if event.method == "join":
            waited = True
            continue
        if (
            not waited
            and not exclusive(facts, started.node, call)
            and not _sleeps_between(facts, scope, started.node, call, order)
        ):
            yield call, CLOSED_WHILE_RUNNING
        return


def _loop_method_calls(
    facts: Facts, loop: cst.For, scope: Scope
) -> dict[str, list[cst.Call]] | None:
    """``v.method()`` calls on the loop variable in a ``for v in ...:`` body; None when the
    variable is used in any other way."""
    if not isinstance(loop.target, cst.Name):
        return None
    variable = loop.target.value
    found: dict[str, list[cst.Call]] = {}
    for name in facts.name_nodes.get(variable, ()):
        if name is loop.target or not any(a is loop.body for a in facts.ancestors(name)):
            continue
        attribute = facts.parent(name)
        call = facts.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        if not (
            isinstance(attribute, cst.Attribute)
            and attribute.value is name
            and isinstance(call, cst.Call)
            and call.func is attribute
        ):
            return None
        if facts.scope_of(call) is not scope:
            return None
        found.setdefault(attribute.attr.value, []).append(call)
    return found


def _list_problems(
    facts: Facts, name: str, scope: Scope, order: _SourceOrder
) -> Iterator[tuple[cst.Call, str]]:
    """``for p in procs: p.join()`` before ``for p in procs: p.start()``, and
    ``for p in procs: p.close()`` right after the loop that started them."""
    loops: list[tuple[cst.For, dict[str, list[cst.Call]]]] = []
    for load in loads_of(facts, name, scope):
        parent = facts.parent(load)
        if facts.scope_of(load) is not scope:
            return
        if isinstance(parent, cst.For) and parent.iter is load:
            calls = _loop_method_calls(facts, parent, scope)
            if calls is None or facts.kind_of(parent.target) != "process":
                return
            loops.append((parent, calls))
            continue
        grand = facts.parent(parent) if parent is not None else None
        if not (isinstance(grand, cst.Call) and is_method_call(grand, "append", name)):
            return  # the list is handed on or read: its processes may be started elsewhere
    if not loops:
        return
    first_start = min(
        (order.path(call) for call in facts.calls_by_scope.get(scope, ()) if _is_start(call)),
        default=None,
    )
    started = False
    for index, (_, calls) in enumerate(loops):
        if "start" in calls:
            if "join" in calls or "close" in calls:
                return  # started and stopped in one loop: another rule's business
            started = True
            continue
        if "join" in calls and not started:
            join = calls["join"][0]
            if first_start is not None and first_start < order.path(join):
                return
            if any("start" in later for _, later in loops[index + 1 :]):
                yield join, JOIN_BEFORE_START
            return
        if "close" in calls and started:
            yield calls["close"][0], CLOSED_WHILE_RUNNING
            return
        if set(calls) & _WAITING:
            return


def _is_start(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "start"


def _iterated(facts: Facts, name: cst.Name) -> bool:
    parent = facts.parent(name)
    return isinstance(parent, cst.For) and parent.iter is name


@check("MP115")
def join_before_start(facts: Facts) -> Iterator[Finding]:
    if "join" not in facts.name_nodes and "close" not in facts.name_nodes:
        return
    singles = list(_single_process_names(facts))
    lists = [
        (scope, name)
        for (scope, name), bindings in facts.bindings.items()
        if all(isinstance(b.value, cst.List | cst.ListComp) for b in bindings)
        and any(_iterated(facts, n) for n in facts.name_nodes.get(name, ()))
    ]
    if not singles and not lists:
        return
    order = _SourceOrder(facts)
    for name, scope, binding in singles:
        events = _variable_events(facts, name, scope, order)
        if events is None:
            continue
        for call, variant in _order_problems(facts, events, binding, scope, order):
            yield Finding("MP115", call, {"call": source_text(call)}, variant=variant)
    for scope, name in lists:
        for call, variant in _list_problems(facts, name, scope, order):
            yield Finding("MP115", call, {"call": source_text(call)}, variant=variant)


# -- MP116 -------------------------------------------------------------

_WAIT_FUNCTIONS = ("os.wait", "os.waitpid", "os.wait3", "os.wait4", "os.waitid")
_EXITS = frozenset({"os._exit", "sys.exit", "os.abort"})
_LIVES_ON = frozenset({"time.sleep", "signal.pause", "input"})
# Uses of the pid that do not hand it to code that might wait for it.
_HARMLESS_PID_CALLS = frozenset({"print", "str", "repr", "int", "os.kill", "format"})


def _exits(facts: Facts, statement: cst.CSTNode) -> bool:
    """A statement that ends the process: ``os._exit(0)``, ``sys.exit()``, ``raise
    SystemExit``, ``exit()``."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(_exits(facts, small) for small in statement.body)
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        func = statement.value.func
        if facts.resolve(func) in _EXITS or str(facts.resolve(func)).startswith("os.exec"):
            return True
        return (
            isinstance(func, cst.Name)
            and func.value in ("exit", "quit")
            and (func.value not in facts.imports)
        )
    if isinstance(statement, cst.Raise) and statement.exc is not None:
        exc = statement.exc.func if isinstance(statement.exc, cst.Call) else statement.exc
        return isinstance(exc, cst.Name) and exc.value == "SystemExit"
    return False


def _pid_name(facts: Facts, call: cst.Call) -> str | None:
    parent = facts.parent(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(parent, cst.NamedExpr) and isinstance(parent.target, cst.Name):
        return parent.target.value
    return None


def _pid_handed_on(facts: Facts, call: cst.Call, name: str) -> bool:
    """The pid may reach code that waits for it: returned, stored, passed to a function."""
    scope = facts.scope_of(call)
    for load in loads_of(facts, name, scope):
        node: cst.CSTNode = load
        parent = facts.parent(node)
        while isinstance(parent, cst.FormattedStringExpression | cst.FormattedString):
            node, parent = parent, facts.parent(parent)
        if isinstance(parent, cst.Comparison | cst.ComparisonTarget | cst.UnaryOperation):
            continue
        if isinstance(parent, cst.If | cst.While) and parent.test is node:
            continue
        if isinstance(parent, cst.Arg):
            called = facts.parent(parent)
            if isinstance(called, cst.Call):
                qualname = facts.resolve(called.func)
                if qualname is None and isinstance(called.func, cst.Name):
                    qualname = called.func.value
                if qualname in _HARMLESS_PID_CALLS:
                    continue
        return True
    return False


def _parent_branch(facts: Facts, statement: cst.If, name: str | None, call: cst.Call):
    """The block the parent runs in ``if pid == 0: ... else: ...`` (or the reverse)."""
    test = statement.test

    def is_pid(node: cst.BaseExpression) -> bool:
        if node is call or (isinstance(node, cst.NamedExpr) and node.value is call):
            return True
        return name is not None and isinstance(node, cst.Name) and node.value == name

    def is_zero(node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Integer) and node.value == "0"

    child_first: bool | None = None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        child_first = True if is_pid(test.expression) else None
    elif is_pid(test):
        child_first = False
    elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator = test.comparisons[0].operator
        right = test.comparisons[0].comparator
        if is_pid(test.left) and is_zero(right):
            if isinstance(operator, cst.Equal):
                child_first = True
            elif isinstance(operator, cst.NotEqual | cst.GreaterThan):
                child_first = False
    if child_first is None:
        return None
    if not child_first:
        return statement.body
    orelse = statement.orelse
    return orelse.body if isinstance(orelse, cst.Else) else None


def _fork_test(facts: Facts, call: cst.Call, name: str | None) -> cst.If | None:
    """The ``if`` that tells the parent from the child."""
    statement = facts.statement_of(call)
    parent = facts.parent(call)
    while parent is not None and not isinstance(parent, cst.If):
        if isinstance(parent, cst.BaseSmallStatement):
            break
        parent = facts.parent(parent)
    if isinstance(parent, cst.If):
        return parent
    if name is None:
        return None
    container = facts.parent(facts.parent(statement) or statement)
    body = getattr(container, "body", None)
    if not isinstance(body, tuple | list):
        return None
    following = list(body)
    line = facts.parent(statement) or statement
    if line not in following:
        return None
    for later in following[following.index(line) + 1 :]:
        if isinstance(later, cst.If):
            return later
    return None


def _following_statements(facts: Facts, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The statements that run after the one holding ``node``, up to the end of its
    function or module."""
    child = node
    for ancestor in facts.ancestors(node):
        body = getattr(ancestor, "body", None)
        if isinstance(ancestor, cst.IndentedBlock | cst.Module) and isinstance(body, tuple | list):
            if child in body:
                yield from body[body.index(child) + 1 :]
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return
        child = ancestor


class _LivesOn(FastVisitor):
    def __init__(self, facts: Facts) -> None:
        super().__init__()
        self.facts = facts
        self.found = False

    def visit_While(self, node: cst.While) -> bool:
        self.found = True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        qualname = self.facts.resolve(node.func)
        if qualname in _LIVES_ON or (
            isinstance(node.func, cst.Attribute) and node.func.attr.value == "serve_forever"
        ):
            self.found = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _parent_lives_on(facts: Facts, call: cst.Call, test: cst.If | None) -> bool:
    """The parent goes on running after the fork: it forks in a loop, or waits, sleeps or
    serves afterwards."""
    function = facts.function_of(call)
    scope = function if function is not None else facts.module
    if _loops_between(facts, call, scope):
        return True
    if function is not None:
        for caller in facts.calls:
            if facts.function_for(caller.func) is function and _loops_between(
                facts, caller, facts.scope_of(caller)
            ):
                return True
    visitor = _LivesOn(facts)
    for statement in _following_statements(facts, test or facts.statement_of(call)):
        statement.visit(visitor)
        if visitor.found:
            return True
    return False


@check("MP116")
def fork_child_not_waited(facts: Facts) -> Iterator[Finding]:
    forks = list(facts.calls_to("os.fork"))
    if not forks or "SIGCHLD" in facts.name_nodes:
        return
    if any(True for _ in facts.calls_to(*_WAIT_FUNCTIONS)):
        return
    for call in forks:
        name = _pid_name(facts, call)
        if name is not None and _pid_handed_on(facts, call, name):
            continue
        test = _fork_test(facts, call, name)
        if test is not None:
            branch = _parent_branch(facts, test, name, call)
            if branch is not None and any(_exits(facts, s) for s in branch.body):
                continue  # the parent leaves at once: init adopts and reaps the child
        if not _parent_lives_on(facts, call, test):
            continue
        yield Finding("MP116", call, {"call": source_text(call)})
