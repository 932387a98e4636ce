"""MP201's question: what really goes wrong with a process that is never joined?

Leaving a child unjoined is harmless by itself when it is the last thing the main flow
does: at exit multiprocessing joins every non-daemonic child, and each ``start()`` reaps
the children that finished before it. Three things do go wrong, and each has its own
message (see ``rules/MP201.md``):

- ``crash``: the child was given a Lock, Semaphore, Condition, Event, Barrier, Queue,
  Value or Array, and the file may run under spawn or forkserver. When the parent reaches
  its end first, its exit handlers unlink the semaphores behind those objects before they
  join the children, and every child that has not unpickled them yet dies with
  ``FileNotFoundError`` before doing any work. A manager proxy fails the same way under
  every start method: the manager is shut down first.
- ``read``: the parent reads what the child produces (a shared Value or Array, a manager
  proxy, a file the child writes) without joining it first: it reads too early.
- ``loop``: a long-running loop keeps starting children and never joins them: their exit
  statuses are lost and each finished child is a zombie until the next ``start()``
  (fork and spawn; forkserver children belong to the fork server, which reaps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Phrase
from mplint.checks.lifecycle.process_flow import ProcessFlow, Started, given_objects
from mplint.facts import call_argument, string_value
from mplint.semantic.syntax import NESTED_SCOPES, nodes_in, source_text

if TYPE_CHECKING:
    from mplint.facts import Facts

# Objects whose semaphores the parent unlinks at exit under spawn and forkserver.
_SEMAPHORE_KINDS = {
    "lock": Phrase("lock", "锁"),
    "semaphore": Phrase("semaphore", "信号量"),
    "condition": Phrase("condition", "条件变量"),
    "event": Phrase("event", "事件"),
    "barrier": Phrase("barrier", "屏障"),
    "queue": Phrase("queue", "队列"),
    "value": Phrase("shared Value", "共享 Value"),
    "array": Phrase("shared Array", "共享 Array"),
}
_PROXY_KINDS = frozenset(
    {"proxy-dict", "proxy-list", "proxy-namespace", "proxy-value", "proxy-array"}
)
# What a child writes and the parent may read back.
_PRODUCT_KINDS = frozenset({"value", "array", "raw-value", "raw-array"}) | _PROXY_KINDS
# Calls through which the parent waits for the child to have used what it was given.
_WAITING_METHODS = frozenset({"get", "recv", "wait", "wait_for", "join"})
# Method names of functions that serve until stopped.
_SERVING_WORDS = ("serve", "listen", "accept", "forever")
_WRITE_MODES = ("w", "a", "x", "+")


@dataclass(frozen=True, slots=True)
class Harm:
    """What goes wrong with one unjoined process, as message parameters."""

    variant: str  # "crash", "proxy", "read", "loop"
    params: dict[str, str | Phrase]


def _given(
    flows: ProcessFlow, creations: list[cst.Call]
) -> list[tuple[cst.Call, cst.BaseExpression]]:
    """Every object handed to the child: Process ``args``/``kwargs``, or the arguments of a
    Process subclass's constructor (its ``__init__`` keeps them on ``self``)."""

    found: list[tuple[cst.Call, cst.BaseExpression]] = []
    for call in creations:
        subclass = flows.subclass_of(call) is not None
        found.extend((call, value) for value in given_objects(flows.facts, call, subclass))
    return found


def _through_name(facts: Facts, value: cst.BaseExpression) -> cst.BaseExpression | None:
    """The value itself, or for a name the one value it holds (None when unsure)."""
    return facts.only_value(value) if isinstance(value, cst.Name) else value


def _from_manager(facts: Facts, value: cst.BaseExpression) -> bool:
    """`manager.Queue()`, `manager.Lock()`: a proxy, although its kind says queue or lock."""
    made = _through_name(facts, value)
    return (
        isinstance(made, cst.Call)
        and isinstance(made.func, cst.Attribute)
        and facts.kind_of(made.func.value) == "manager"
    )


def _lock_free(facts: Facts, value: cst.BaseExpression) -> bool:
    """`Value("i", 0, lock=False)`: a plain shared ctypes object, with no semaphore."""
    made = _through_name(facts, value)
    if not isinstance(made, cst.Call):
        return False
    lock = call_argument(made, "lock")
    return lock is not None and isinstance(lock.value, cst.Name) and lock.value.value == "False"


def _variable_uses_after(
    facts: Facts, value: cst.BaseExpression, after: cst.CSTNode
) -> list[cst.Name]:
    """Reads of the variable ``value`` names, later than ``after`` in the same function."""
    if not isinstance(value, cst.Name):
        return []
    bindings = facts.visible_bindings(value)
    if not bindings:
        return []
    function = facts.function_of(after)
    return [
        name
        for name in flow.loads_of(facts, value.value, bindings[0].scope)
        if facts.function_of(name) is function and flow.source_before(facts, after, name)
    ]


def _waited_on(facts: Facts, uses: list[cst.Name]) -> bool:
    """`q.get()`, `done.wait()`: the parent waits until a child has used what it was given."""
    for name in uses:
        parent = facts.parent(name)
        if not (isinstance(parent, cst.Attribute) and parent.value is name):
            continue
        call = facts.parent(parent)
        if not (isinstance(call, cst.Call) and call.func is parent):
            continue
        if parent.attr.value in _WAITING_METHODS:
            block = call_argument(call, "block", 0)
            if block is None or not (
                isinstance(block.value, cst.Name) and block.value.value == "False"
            ):
                return True
    return False


_BLOCKING_METHODS = frozenset({"get", "recv", "wait", "wait_for", "acquire", "result"})
_WAITING_NAMES = frozenset({"time.sleep", "input", "builtins.input", "signal.pause"})


def _waits(facts: Facts, call: cst.Call) -> bool:
    """A call that takes the parent a while: a sleep, input(), a blocking wait on a process
    object, a join() of a process, thread or pool, a server loop."""
    qualname = facts.resolve(call.func) or ""
    if qualname in _WAITING_NAMES:
        return True
    func = call.func
    if isinstance(func, cst.Name):
        return func.value in ("input", "sleep")
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method in ("serve_forever", "run_forever", "mainloop", "communicate"):
        return True
    kind = facts.kind_of(func.value)
    if method == "join":
        return (
            kind in ("process", "pool", "thread", "thread-pool")
            or kind is None
            and not (isinstance(func.value, cst.SimpleString | cst.FormattedString))
        )
    return method in _BLOCKING_METHODS and kind is not None and not kind.startswith("proxy")


def _parent_waits_after(flows: ProcessFlow, start: cst.CSTNode, depth: int = 0) -> bool:
    """Something after the start takes the parent a while before it can reach its end (a
    sleep, a blocking wait, a while loop), here or after the call that led here: by then the
    children have most likely opened what they were given, so the crash is not certain."""
    facts = flows.facts
    function = facts.function_of(start)
    for call in facts.calls_by_function.get(function, ()):
        if flow.source_before(facts, start, call) and _waits(facts, call):
            return True
    body = function.body if function is not None else facts.module
    if any(
        flow.source_before(facts, start, loop)
        for loop in nodes_in(body, cst.While, skip=NESTED_SCOPES)
    ):
        return True
    if function is None or depth > 3:
        return False
    return any(
        _parent_waits_after(flows, call, depth + 1)
        for calls in facts.calls_by_function.values()
        for call in calls
        if facts.function_for(call.func) is function
    )


def _in_while_test(facts: Facts, name: cst.CSTNode) -> bool:
    for ancestor in facts.ancestors(name):
        if isinstance(ancestor, cst.While):
            return flow.is_inside(facts, name, ancestor.test)
        if isinstance(ancestor, cst.FunctionDef | cst.BaseStatement):
            if not isinstance(ancestor, cst.While):
                return False
    return False


def _after_loop_of(facts: Facts, polled: cst.CSTNode, read: cst.CSTNode) -> bool:
    """``read`` comes after the while loop whose test holds ``polled``."""
    loop = next((a for a in facts.ancestors(polled) if isinstance(a, cst.While)), None)
    return loop is not None and flow.source_before(facts, loop, read)


def _is_product_read(facts: Facts, name: cst.Name) -> bool:
    """A read of a shared object that looks at its contents (not handing it to another
    process, not taking its lock, not writing it)."""
    if _in_while_test(facts, name):
        return False  # `while done.value < n:` polls until the child has got there
    parent = facts.parent(name)
    if isinstance(parent, cst.Attribute) and parent.value is name:
        if parent.attr.value in ("get_lock", "get_obj", "acquire", "release"):
            return False
        if isinstance(facts.parent(parent), cst.AssignTarget):
            return False  # v.value = 0: a write
        return True
    if isinstance(parent, cst.Subscript) and parent.value is name:
        return not isinstance(facts.parent(parent), cst.AssignTarget)
    if isinstance(parent, cst.Element | cst.Arg):
        call = next((a for a in facts.ancestors(name) if isinstance(a, cst.Call)), None)
        if call is not None and facts.kind_of(call) == "process":
            return False  # given to the next process
        return isinstance(parent, cst.Arg)
    return isinstance(parent, cst.For | cst.CompFor)


def _written_paths(flows: ProcessFlow, call: cst.Call) -> set[str]:
    """Literal paths the child's function opens for writing: `open("out.txt", "w")`, or a
    parameter that the Process's `args=(...)` fills with a literal path."""
    facts = flows.facts
    target = flows.target_of(call)
    if target is None or flows.subclass_of(call) is not None:
        return set()
    args = call_argument(call, "args", 3)
    elements = (
        [e.value for e in args.value.elements]
        if args is not None and isinstance(args.value, cst.Tuple | cst.List)
        else []
    )
    params = [p.name.value for p in target.params.params]
    paths: set[str] = set()
    for inner in facts.calls_by_function.get(target, ()):
        if facts.resolve(inner.func) not in ("open", "builtins.open") and not (
            isinstance(inner.func, cst.Name) and inner.func.value == "open"
        ):
            continue
        mode = call_argument(inner, "mode", 1)
        mode_text = string_value(mode.value) if mode is not None else None
        if mode_text is None or not any(flag in mode_text for flag in _WRITE_MODES):
            continue
        file = call_argument(inner, "file", 0)
        if file is None:
            continue
        path = string_value(file.value)
        if path is None and isinstance(file.value, cst.Name) and file.value.value in params:
            index = params.index(file.value.value)
            if index < len(elements):
                path = string_value(elements[index])
        if path:
            paths.add(path)
    return paths


def _reads_written_file(flows: ProcessFlow, item: Started, after: cst.CSTNode) -> str | None:
    """The path of a file the child writes, named again by the parent after ``after``."""
    facts = flows.facts
    paths: set[str] = set()
    for call in item.creations or ():
        paths |= _written_paths(flows, call)
    if not paths:
        return None
    function = facts.function_of(item.start)
    for call in facts.calls_by_function.get(function, ()):
        if not flow.source_before(facts, after, call):
            continue
        for arg in call.args:
            text = string_value(arg.value)
            if text in paths:
                return text
    return None


def _long_running_loop(flows: ProcessFlow, start: cst.CSTNode) -> bool:
    """The start runs in a `while` loop, or in a function that serves (its name says so,
    or a `while` loop calls it)."""
    facts = flows.facts
    for ancestor in facts.ancestors(start):
        if isinstance(ancestor, cst.While) and flow.is_inside(facts, start, ancestor.body):
            if _runs_until_stopped(ancestor.test):
                return True
        if isinstance(ancestor, cst.For) and flow.is_inside(facts, start, ancestor.body):
            iterator = ancestor.iter
            if isinstance(iterator, cst.Call) and (
                facts.resolve(iterator.func) == "itertools.count"
                or (
                    isinstance(iterator.func, cst.Name)
                    and iterator.func.value == "iter"
                    and len(iterator.args) == 2
                )
            ):
                return True
        if isinstance(ancestor, cst.FunctionDef):
            word = ancestor.name.value.lower()
            if any(part in word for part in _SERVING_WORDS):
                return True
            return any(
                flows.in_while(call)
                for calls in facts.calls_by_function.values()
                for call in calls
                if facts.function_for(call.func) is ancestor
            )
    return False


def _runs_until_stopped(test: cst.BaseExpression) -> bool:
    """`while True:`, `while running:`, `while not stop.is_set():`: a loop that goes on until
    something outside it says stop, not a counted one (`while i < 3:`)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    if isinstance(test, cst.Name | cst.Attribute | cst.Call):
        return True
    return isinstance(test, cst.Integer) and test.value != "0"


def _reaped_by_hand(facts: Facts) -> bool:
    """`os.wait()`/`os.waitpid(-1, ...)` or a SIGCHLD handler: the file reaps its children."""
    for call in facts.calls:
        qualname = facts.resolve(call.func) or ""
        if qualname in ("os.wait", "os.wait3", "os.wait4"):
            return True
        if qualname == "signal.signal" and call.args:
            if "SIGCHLD" in source_text(call.args[0].value):
                return True
    return False


def _start_method(flows: ProcessFlow, creations: list[cst.Call]) -> set[str | None]:
    facts = flows.facts
    methods = {facts.context_method(call.func) for call in creations}
    return {method or facts.pinned_start_method for method in methods}


def harm_of(flows: ProcessFlow, item: Started, only_last_joined: bool) -> Harm | None:
    """What goes wrong with this unjoined process, or None when nothing does."""
    facts = flows.facts
    creations = item.creations or []
    given = _given(flows, creations)
    methods = _start_method(flows, creations) if creations else {facts.pinned_start_method}
    may_spawn = any(method != "fork" for method in methods)
    # After the loop that starts them, when only the last round is joined.
    after: cst.CSTNode = item.start
    if only_last_joined:
        loop = next((a for a in facts.ancestors(item.start) if isinstance(a, cst.For)), item.start)
        after = loop
    # An unguarded start at import time is MP101's: under spawn the child dies re-importing.
    # Only the main flow is known to reach the end of the program.
    if (
        not only_last_joined
        and not facts.runs_at_import(item.start)
        and flows.in_main_flow(item.start)
    ):
        for _call, value in given:
            kind = facts.kind_through_parameters(value)
            shown = source_text(value)
            uses = _variable_uses_after(facts, value, item.start)
            if kind in _PROXY_KINDS or (kind in _SEMAPHORE_KINDS and _from_manager(facts, value)):
                if not _waited_on(facts, uses):
                    return Harm("proxy", {"given": shown})
            elif kind in _SEMAPHORE_KINDS and may_spawn and not _lock_free(facts, value):
                if not _waited_on(facts, uses) and not _parent_waits_after(flows, item.start):
                    return Harm("crash", {"given": shown, "what": _SEMAPHORE_KINDS[kind]})
    products = [
        (value, _variable_uses_after(facts, value, after))
        for _call, value in given
        if facts.kind_through_parameters(value) in _PRODUCT_KINDS
    ]
    polled = [n for _value, uses in products for n in uses if _in_while_test(facts, n)]
    for value, uses in products:
        reads = [n for n in uses if _is_product_read(facts, n)]
        # After a loop that polls what the child writes (`while done.value < n:`), the
        # parent has waited for the child to get there: later reads are not too early.
        reads = [n for n in reads if not any(_after_loop_of(facts, p, n) for p in polled)]
        if reads:
            return Harm("read", {"given": source_text(value)})
    path = _reads_written_file(flows, item, after)
    if path is not None:
        return Harm("read", {"given": path})
    if methods != {"forkserver"} and _long_running_loop(flows, item.start):
        if not _reaped_by_hand(facts):
            return Harm("loop", {})
    return None
