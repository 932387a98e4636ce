"""MP2xx: the life of a process object: start, join, terminate, daemon flag, exit code.

The rules share one set of flow facts per started process (``_started``): where it was
made, the names that can hold it (its variable, the list it was put in, the loop
variables that walk that list), what is done to it through those names (joined,
terminated, polled, daemon flag set) and whether it escapes where the analysis cannot
follow (returned, passed to a function, stored on an attribute or in a dict, yielded).
An escaped process is someone else's business: the rules stay silent on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.unjoined import Harm, harm_of
from mplint.facts import Facts, FastVisitor, Scope, call_argument
from mplint.semantic.kinds import Kind, Via
from mplint.semantic.syntax import source_text

messages(
    {
        "MP201": {
            "crash": Message(
                en="`{name}` is given the {what} `{given}` and never joined: under spawn or "
                "forkserver (macOS, and Linux from Python 3.14), when the parent reaches its "
                "end first it deletes the semaphores behind `{given}`, and the child dies with "
                "'FileNotFoundError: [Errno 2] No such file or directory' before doing any "
                "work. Keep the process and call `join()` on it before the parent ends.",
                zh="`{name}` 拿到了{what} `{given}`，却从未被 `join()`：以 spawn 或 forkserver 方式"
                "启动时（macOS，以及 Python 3.14 起的 Linux），父进程若先运行到结尾，就会删除 "
                "`{given}` 背后的信号量，子进程还没开始工作就以 'FileNotFoundError: [Errno 2] "
                "No such file or directory' 崩溃。请保留这个进程，并在父进程结束前对它调用 "
                "`join()`。",
            ),
            "proxy": Message(
                en="`{name}` is given the manager proxy `{given}` and never joined: under every "
                "start method, when the parent reaches its end first the manager shuts down "
                "and the child's use of `{given}` fails with FileNotFoundError or "
                "ConnectionResetError. Keep the process and call `join()` on it before the "
                "parent ends.",
                zh="`{name}` 拿到了管理器代理对象 `{given}`，却从未被 `join()`：无论哪种启动方式，"
                "父进程若先运行到结尾，管理器就会关闭，子进程使用 `{given}` 时会报 "
                "FileNotFoundError 或 ConnectionResetError。请保留这个进程，并在父进程结束前"
                "对它调用 `join()`。",
            ),
            "read": Message(
                en="`{name}` {problem}, yet the parent then reads `{given}`, which the child "
                "writes: it reads before the child has finished and sees partial or old data, "
                "under every start method. Call `join()` on every process before reading what "
                "it produced.",
                zh="`{name}` {problem}，父进程却随后读取子进程要写入的 `{given}`：它会在子进程"
                "完成之前读取，看到不完整或过时的数据，任何启动方式都一样。请先对每个进程调用 "
                "`join()`，再读取它们的结果。",
            ),
            "loop": Message(
                en="`{name}` is started over and over by a long-running loop and never "
                "joined: each child's exit status is lost, and a finished child stays a zombie "
                "until the next `start()` reaps it (fork and spawn; forkserver's children "
                "belong to the fork server). Keep the processes and join them, or use a pool.",
                zh="`{name}` 在一个长时间运行的循环里被反复启动，却从未被 `join()`：每个子进程的"
                "退出状态都会丢失，结束的子进程会一直是僵尸进程，直到下一次 `start()` 把它"
                "回收（fork 和 spawn；forkserver 的子进程由 forkserver 服务进程负责回收）。请保留这些进程"
                "并用 `join()` 等待它们，或改用进程池。",
            ),
        },
        "MP202": {
            "fragile": Message(
                en="`{call}` kills `{name}` while it may be using the {what} `{given}` it was "
                "given: {harm} Ask the process to "
                "stop (an Event or a sentinel on its queue) and join it; keep `terminate()` as "
                "a last resort followed by `join()`.",
                zh="`{call}` 会在 `{name}` 可能正在使用传给它的{what} `{given}` 时杀死它："
                "{harm}请通知进程自行停止（用 Event 或在队列中放哨兵值）并 "
                "用 `join()` 等待它；`terminate()` 只作最后手段，之后一定要调用 `join()`。",
            ),
            "orphans": Message(
                en="`{call}` kills `{name}` but not the processes its function `{function}` "
                "starts: they live on as orphans. Ask the process to stop (an Event or a "
                "sentinel on its queue) so that it joins its own children, then join it.",
                zh="`{call}` 只会杀死 `{name}`，不会杀死它的函数 `{function}` 启动的子进程：它们"
                "会成为孤儿进程继续运行。请通知进程自行停止（用 Event 或在队列中放哨兵值），让它"
                "先用 `join()` 等待自己的子进程，然后再对它调用 `join()`。",
            ),
            "unjoined": Message(
                en="`{call}` is not followed by `{name}.join()`: `{method}()` only sends the "
                "signal and returns, so the process may still be running and its exitcode is "
                "still None right after it. Call `{name}.join()` after it to wait until the "
                "process is gone.",
                zh="`{call}` 之后没有调用 `{name}.join()`：`{method}()` 只是发出信号就返回，"
                "紧接着的时候进程可能还在运行，`exitcode` 也还是 None。请在它之后调用 "
                "`{name}.join()`，等进程真正结束。",
            ),
        },
        "MP203": Message(
            en="`{name}.daemon` is set after `{name}.start()`: it raises 'AssertionError: "
            "process has already started'. Pass `daemon=` to the constructor or set it "
            "before `start()`.",
            zh="在 `{name}.start()` 之后才设置 `{name}.daemon`：会报 'AssertionError: "
            "process has already started'。请在构造时传 `daemon=`，或在 `start()` 之前设置。",
        ),
        "MP204": Message(
            en="{who} runs `{function}`, which starts processes of its own: it fails with "
            "'AssertionError: daemonic processes are not allowed to have children'. Use a "
            "non-daemonic Process that joins its children, or hand all tasks to one pool.",
            zh="{who}运行的 `{function}` 会自己再创建进程：会报 'AssertionError: daemonic "
            "processes are not allowed to have children'。请改用非守护的 Process 并用 `join()` 等待"
            "它的子进程，或把所有任务交给同一个进程池。",
        ),
        "MP205": Message(
            en="The daemonic process `{name}` is started and never joined: it is killed "
            "when the main process exits and its unfinished work and output are lost. "
            "Call `{name}.join()` before the end, or drop `daemon=True`.",
            zh="守护进程 `{name}` 启动后从未调用 `join()`：主进程退出时它会被直接杀死，未完成的"
            "工作和输出都会丢失。请在结束前调用 `{name}.join()`，或去掉 `daemon=True`。",
        ),
        "MP206": Message(
            en="`{name}.exitcode` is read after `start()` with no `join()` before it: it "
            "is None while the child runs, not its exit status. Call `{name}.join()` first.",
            zh="在 `start()` 之后、`join()` 之前读取 `{name}.exitcode`：子进程还在运行时它是 "
            "None，而不是退出状态。请先调用 `{name}.join()`。",
        ),
        "MP207": Message(
            en="`{function}` runs as a Process target and returns a value: the value is "
            "thrown away in the child and the exit code is 0 anyway. Send results back "
            "through a Queue, or use a Pool or ProcessPoolExecutor.",
            zh="`{function}` 作为 Process 的目标函数运行却返回了一个值：这个值在子进程里被"
            "丢弃，退出码仍然是 0。请通过 Queue 把结果发回，或改用 Pool / "
            "ProcessPoolExecutor。",
        ),
    }
)

# Builtins that look at an object without keeping it.
_LOOKING_CALLS = frozenset(
    {"print", "str", "repr", "len", "isinstance", "id", "type", "bool", "hash", "format"}
)
# Methods of a list or set that put their argument in it.
_ADDING_METHODS = frozenset({"append", "add", "insert", "extend"})
# Methods of a list or set that do not let an element out.
_KEEPING_METHODS = frozenset(
    {"append", "add", "insert", "extend", "remove", "discard", "clear", "index", "count"}
)
# Wrappers around a list in `for x in wrapper(procs)` that yield the same elements.
_ITERATING_WRAPPERS = frozenset({"enumerate", "reversed", "list", "tuple", "sorted"})
# Process methods which, handed on uncalled, let someone else act on the process.
_PROCESS_METHODS = frozenset({"start", "run", "join", "terminate", "kill", "close", "is_alive"})
# What terminate() must not hit: objects a killed process can leave broken.
_LOCK_HARM = Phrase(
    "a lock it holds is never released and every process waiting for it blocks for ever.",
    "它持有的锁永远不会被释放，等待这把锁的进程会永远阻塞。",
)
_CHANNEL_HARM = Phrase(
    "a message it was writing is cut off, and whoever reads the channel next can get a "
    "broken message or wait for ever.",
    "它正在写的消息会被截断，之后读这个通道的一方可能拿到损坏的消息，或者永远等下去。",
)
_PROXY = Phrase("manager proxy", "管理器代理对象")
_FRAGILE_KINDS: dict[str, tuple[Phrase, Phrase]] = {
    Kind.LOCK: (Phrase("lock", "锁"), _LOCK_HARM),
    Kind.SEMAPHORE: (Phrase("semaphore", "信号量"), _LOCK_HARM),
    Kind.CONDITION: (Phrase("condition", "条件变量"), _LOCK_HARM),
    Kind.QUEUE: (Phrase("queue", "队列"), _CHANNEL_HARM),
    Kind.PIPE: (Phrase("pipe", "管道"), _CHANNEL_HARM),
    Kind.PROXY_DICT: (_PROXY, _CHANNEL_HARM),
    Kind.PROXY_LIST: (_PROXY, _CHANNEL_HARM),
    Kind.PROXY_NAMESPACE: (_PROXY, _CHANNEL_HARM),
    Kind.PROXY_VALUE: (_PROXY, _CHANNEL_HARM),
    Kind.PROXY_ARRAY: (_PROXY, _CHANNEL_HARM),
}
_CHILD_MAKING_KINDS = frozenset({Kind.PROCESS, Kind.POOL, Kind.EXECUTOR, Kind.MANAGER})
_BLOCKING_METHODS = frozenset({"get", "recv", "wait", "wait_for", "acquire", "join"})


def _fresh_collection(value: cst.BaseExpression | None) -> bool:
    """A list or set made right here: `[]`, `[...]`, a comprehension, `list()`, `set()`."""
    if isinstance(value, cst.List | cst.Set | cst.ListComp | cst.SetComp | cst.Tuple):
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in ("list", "set")
        and not value.args
    )


def _augmented_list(statement: cst.CSTNode | None, part: cst.CSTNode) -> bool:
    """``procs += [...]``, with ``part`` the name ``procs`` or the added list: like
    ``extend``, the list only gains elements."""
    return (
        isinstance(statement, cst.AugAssign)
        and isinstance(statement.operator, cst.AddAssign)
        and isinstance(statement.target, cst.Name)
        and (statement.target is part or statement.value is part)
    )


def _true_false(node: cst.BaseExpression | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


# -- the shared flow facts -----------------------------------------------


@dataclass(slots=True)
class Fate:
    """What is done to one process through every name that can hold it."""

    joins: list[cst.Attribute] = field(default_factory=list)  # p.join / procs[i].join
    stops: list[cst.Attribute] = field(default_factory=list)  # p.terminate() / p.kill()
    daemon_stores: list[bool | None] = field(default_factory=list)  # p.daemon = ...
    escaped: bool = False  # handed on where the analysis cannot follow
    reaped: bool = False  # close(), is_alive()/exitcode polled in a loop, sentinel waited on
    contained: bool = False  # it went through a list

    @property
    def joined(self) -> bool:
        return bool(self.joins)


@dataclass(slots=True)
class Started:
    """One `x.start()` of a process, with what the file does to that process."""

    start: cst.Call
    receiver: cst.BaseExpression
    fate: Fate
    creations: list[cst.Call] | None  # the constructor calls, None when unknown


class _Flow:
    """Flow facts of the processes of one file, computed once and shared by the checks."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._orders: dict[str, dict[int, int]] = {}

    # -- source order among Names of one text --

    def order(self, name: cst.Name) -> int:
        table = self._orders.get(name.value)
        if table is None:
            table = {id(n): i for i, n in enumerate(self.facts.name_nodes.get(name.value, ()))}
            self._orders[name.value] = table
        return table.get(id(name), -1)

    # -- what happens to a process held by a variable --

    def name_fate(self, variable: str, scope: Scope, fate: Fate, seen: set) -> None:
        key = (variable, id(scope))
        if key in seen:
            return
        seen.add(key)
        for name in flow.loads_of(self.facts, variable, scope):
            self.classify(name, fate, seen)

    def classify(self, name: cst.Name, fate: Fate, seen: set) -> None:
        """One read of a variable that holds the process."""
        facts = self.facts
        parent = facts.parent(name)
        if isinstance(parent, cst.Attribute) and parent.value is name:
            self.attribute_fate(parent, fate)
            return
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            call = facts.parent(parent)
            if isinstance(call, cst.Call):
                func = call.func
                if isinstance(func, cst.Name) and func.value in _LOOKING_CALLS:
                    return
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Name)
                    and func.attr.value in _KEEPING_METHODS
                ):
                    if func.attr.value in _ADDING_METHODS:
                        self.container_fate(func.value, fate, seen)
                    return
            fate.escaped = True
            return
        if isinstance(parent, cst.Element):
            self.literal_fate(facts.parent(parent), fate, seen)
            return
        if self.only_tested(name):
            return
        fate.escaped = True

    def only_tested(self, node: cst.CSTNode) -> bool:
        """`if p:`, `p is None`, `not p`, `f"{p}"`, `del p`: looked at, not kept."""
        facts = self.facts
        parent = facts.parent(node)
        while isinstance(parent, cst.BooleanOperation | cst.UnaryOperation):
            node, parent = parent, facts.parent(parent)
        if isinstance(parent, cst.Comparison | cst.ComparisonTarget):
            return True
        if isinstance(parent, cst.If | cst.While | cst.Assert):
            return parent.test is node
        if isinstance(parent, cst.IfExp):
            return parent.test is node
        return isinstance(parent, cst.FormattedStringExpression | cst.Del)

    def attribute_fate(self, attribute: cst.Attribute, fate: Fate) -> None:
        method = attribute.attr.value
        action = flow.action_of(self.facts, attribute)
        if method == "join":
            fate.joins.append(attribute)
        elif method == "daemon" and action is flow.Action.STORE:
            assign = self.facts.parent(self.facts.parent(attribute) or attribute)
            value = assign.value if isinstance(assign, cst.Assign) else None
            fate.daemon_stores.append(_true_false(value))
        elif method in ("terminate", "kill") and action is flow.Action.CALL:
            fate.stops.append(attribute)
        elif method == "close" and action is flow.Action.CALL:
            fate.reaped = True
        elif method in ("is_alive", "exitcode") and self.in_while(attribute):
            fate.reaped = True
        elif method == "pid" and self.reaped_by_pid(attribute):
            fate.reaped = True
        elif method == "sentinel":
            fate.escaped = True  # waited on with connection.wait(): joined elsewhere
        elif method in _PROCESS_METHODS and action is not flow.Action.CALL:
            fate.escaped = True  # a bound method handed on (a callback, atexit)

    def reaped_by_pid(self, attribute: cst.Attribute) -> bool:
        """`os.waitpid(p.pid, 0)`, `os.kill(p.pid, ...)`: managed by hand through its pid."""
        parent = self.facts.parent(attribute)
        call = self.facts.parent(parent) if isinstance(parent, cst.Arg) else None
        if not isinstance(call, cst.Call):
            return False
        qualname = self.facts.resolve(call.func) or ""
        return qualname.startswith("os.wait") or qualname in ("os.kill", "os.killpg")

    def in_while(self, node: cst.CSTNode) -> bool:
        for ancestor in self.facts.ancestors(node):
            if isinstance(ancestor, cst.While):
                return True
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
                return False
        return False

    def literal_fate(self, literal: cst.CSTNode | None, fate: Fate, seen: set) -> None:
        """The process is an element of a list, tuple or set literal."""
        facts = self.facts
        parent = facts.parent(literal) if literal is not None else None
        if not isinstance(literal, cst.List | cst.Tuple | cst.Set):
            fate.escaped = True
        elif isinstance(parent, cst.For) and parent.iter is literal:
            self.loop_target_fate(parent.target, parent, fate, seen)
        elif isinstance(parent, cst.Arg) and parent.keyword is None:
            call = facts.parent(parent)
            func = call.func if isinstance(call, cst.Call) else None
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.attr.value in _ADDING_METHODS
            ):
                self.container_fate(func.value, fate, seen)
            else:
                fate.escaped = True
        elif (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            self.container_fate(parent.targets[0].target, fate, seen)
        elif _augmented_list(parent, literal) and isinstance(parent, cst.AugAssign):
            self.container_fate(parent.target, fate, seen)  # type: ignore[arg-type]
        else:
            fate.escaped = True

    def loop_target_fate(
        self, target: cst.BaseExpression, loop: cst.CSTNode, fate: Fate, seen: set
    ) -> None:
        if isinstance(target, cst.Tuple) and len(target.elements) == 2:
            iterator = loop.iter if isinstance(loop, cst.For | cst.CompFor) else None
            if (
                isinstance(iterator, cst.Call)
                and isinstance(iterator.func, cst.Name)
                and iterator.func.value == "enumerate"
            ):
                target = target.elements[1].value
        if not isinstance(target, cst.Name):
            fate.escaped = True
            return
        if isinstance(loop, cst.CompFor):
            # Comprehension variables are not bindings of the facts pass: read them here.
            comprehension = self.facts.parent(loop)
            while isinstance(comprehension, cst.CompFor | cst.CompIf):
                comprehension = self.facts.parent(comprehension)
            for name in self.facts.name_nodes.get(target.value, ()):
                if name is target or not self.facts.is_inside(name, comprehension):
                    continue
                if flow.is_inside(self.facts, name, loop.iter):
                    continue
                self.classify(name, fate, seen)
            return
        bindings = self.facts.visible_bindings(target)
        if not bindings:
            fate.escaped = True
            return
        self.name_fate(target.value, bindings[0].scope, fate, seen)

    def container_fate(self, container: cst.Name, fate: Fate, seen: set) -> None:
        """The process was put in the list `container`: follow what is done to its elements."""
        facts = self.facts
        fate.contained = True
        bindings = facts.visible_bindings(container)
        if not bindings or not all(_fresh_collection(b.value) for b in bindings):
            fate.escaped = True  # a parameter or someone else's list: its owner may join
            return
        key = ("[]" + container.value, id(bindings[0].scope))
        if key in seen:
            return
        seen.add(key)
        for name in flow.loads_of(facts, container.value, bindings[0].scope):
            node: cst.CSTNode = name
            parent = facts.parent(node)
            # for x in enumerate(procs) / reversed(procs) / list(procs)
            if isinstance(parent, cst.Arg) and parent.keyword is None:
                call = facts.parent(parent)
                if (
                    isinstance(call, cst.Call)
                    and isinstance(call.func, cst.Name)
                    and call.func.value in _ITERATING_WRAPPERS | _LOOKING_CALLS
                ):
                    if call.func.value in _LOOKING_CALLS and call.func.value != "list":
                        continue
                    node, parent = call, facts.parent(call)
            if isinstance(parent, cst.For | cst.CompFor) and parent.iter is node:
                self.loop_target_fate(parent.target, parent, fate, seen)
            elif isinstance(parent, cst.Attribute) and parent.value is node:
                if parent.attr.value not in _KEEPING_METHODS:
                    fate.escaped = True
            elif isinstance(parent, cst.Subscript) and parent.value is node:
                outer = facts.parent(parent)
                if isinstance(outer, cst.Attribute) and outer.value is parent:
                    self.attribute_fate(outer, fate)
                elif not isinstance(outer, cst.AssignTarget):
                    fate.escaped = True
            elif _augmented_list(parent, node):
                pass  # procs += [...]: more elements join, none leave
            elif not self.only_tested(node):
                fate.escaped = True

    # -- where a process comes from --

    def creations(self, node: cst.BaseExpression) -> list[cst.Call] | None:
        """The constructor calls whose process an expression holds, None when unsure."""
        return self._processes(self.facts.origins(node))

    def element_creations(self, node: cst.BaseExpression) -> list[cst.Call] | None:
        """The processes a container holds, None when unsure."""
        return self._processes(self.facts.element_origins(node))

    def _processes(self, found: list[cst.Call] | None) -> list[cst.Call] | None:
        if not found or any(self.facts.kind_of_call(c) != Kind.PROCESS for c in found):
            return None
        return found

    # -- every start() of a process, with its fate --

    @cached_property
    def started(self) -> list[Started]:
        facts = self.facts
        found: list[Started] = []
        for call in facts.calls:
            func = call.func
            if not isinstance(func, cst.Attribute) or func.attr.value != "start" or call.args:
                continue
            receiver = func.value
            creations = self.creations(receiver)
            if facts.kind_of(receiver) != Kind.PROCESS and not creations:
                continue
            fate = self.receiver_fate(receiver)
            if fate is None:
                continue
            found.append(Started(call, receiver, fate, creations))
        return found

    def receiver_fate(self, receiver: cst.BaseExpression) -> Fate | None:
        """What happens to the process `receiver` holds; None when it is kept somewhere the
        analysis does not follow (an attribute, a subscript, an unknown expression)."""
        facts = self.facts
        fate = Fate()
        seen: set = set()
        if isinstance(receiver, cst.Call):
            return fate  # Process(...).start(): nothing can join it later
        if not isinstance(receiver, cst.Name):
            return None
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            # A comprehension variable: [p.start() for p in procs]
            for ancestor in facts.ancestors(receiver):
                if isinstance(ancestor, cst.CompFor):
                    if (
                        isinstance(ancestor.target, cst.Name)
                        and ancestor.target.value == receiver.value
                        and isinstance(ancestor.iter, cst.Name)
                    ):
                        self.container_fate(ancestor.iter, fate, seen)
                        return fate
                if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
                    break
            return None
        scope = bindings[0].scope
        self.name_fate(receiver.value, scope, fate, seen)
        for binding in bindings:
            if isinstance(binding.node, cst.Assign) and len(binding.node.targets) > 1:
                fate.escaped = True  # p = self.p = Process(...): kept under another name
            loop = binding.node
            if binding.value is None and isinstance(loop, cst.For):
                iterator = loop.iter
                if (
                    isinstance(iterator, cst.Call)
                    and isinstance(iterator.func, cst.Name)
                    and iterator.func.value in _ITERATING_WRAPPERS
                    and iterator.args
                ):
                    iterator = iterator.args[0].value
                if isinstance(iterator, cst.Name):
                    self.container_fate(iterator, fate, seen)
                elif isinstance(iterator, cst.List | cst.Tuple):
                    for element in iterator.elements:
                        if isinstance(element.value, cst.Name):
                            inner = facts.visible_bindings(element.value)
                            if inner:
                                self.name_fate(element.value.value, inner[0].scope, fate, seen)
                        else:
                            fate.escaped = True
                else:
                    fate.escaped = True
        return fate

    # -- daemon flag --

    def daemonic(self, item: Started) -> bool | None:
        """True or False when the process surely is (not) daemonic, None when unsure."""
        stores = item.fate.daemon_stores
        if stores:
            values = set(stores)
            return values.pop() if len(values) == 1 else None
        if item.creations is None:
            return None
        values = {self.creation_daemonic(call) for call in item.creations}
        return values.pop() if len(values) == 1 else None

    def creation_daemonic(self, call: cst.Call) -> bool | None:
        argument = call_argument(call, "daemon")
        given = _true_false(argument.value) if argument is not None else False
        cls = self.subclass_of(call)
        if cls is None:
            return given
        init = self.own_init(cls)
        if init is None:
            return given
        finder = _DaemonFinder()
        init.body.visit(finder)
        if finder.values:
            values = set(finder.values)
            return values.pop() if len(values) == 1 else None
        return None if argument is not None or finder.forwards else False

    def subclass_of(self, call: cst.Call) -> cst.ClassDef | None:
        if isinstance(call.func, cst.Name):
            return self.facts.process_subclasses.get(call.func.value)
        return None

    def own_init(self, cls: cst.ClassDef) -> cst.FunctionDef | None:
        """The `__init__` a Process subclass runs, from itself or a Process subclass it
        derives from in this file."""
        return self.facts.inherited_method(cls, "__init__")

    # -- the function a process runs --

    def target_of(self, call: cst.Call) -> cst.FunctionDef | None:
        cls = self.subclass_of(call)
        if cls is not None:
            return self.facts.inherited_method(cls, "run")
        target = self.facts.task_argument(call)
        return self.facts.function_for(target.value) if target is not None else None

    @cached_property
    def child_makers(self) -> set[cst.FunctionDef]:
        """Functions of this file that create a process, pool, executor or manager."""
        facts = self.facts
        return facts.functions_reaching(
            lambda call: facts.kind_of_call(call) in _CHILD_MAKING_KINDS
        )

    @cached_property
    def main_flow_functions(self) -> set[cst.FunctionDef]:
        """Functions the main flow runs: called from module level or the main guard, and
        the functions of this file those call, and so on."""
        return self.facts.reachable_from([None])

    def in_main_flow(self, node: cst.CSTNode) -> bool:
        function = self.facts.function_of(node)
        return function is None or function in self.main_flow_functions

    @cached_property
    def active_children_used(self) -> bool:
        return any(
            self.facts.resolve(call.func) == "multiprocessing.active_children"
            for call in self.facts.calls
        )


class _DaemonFinder(FastVisitor):
    """`self.daemon = X` and `super().__init__(..., daemon=X)` in a Process subclass."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[bool | None] = []
        self.forwards = False  # passes **kwargs on: a daemon= given by the caller counts

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if (
                isinstance(target.target, cst.Attribute)
                and isinstance(target.target.value, cst.Name)
                and target.target.value.value == "self"
                and target.target.attr.value == "daemon"
            ):
                self.values.append(_true_false(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "__init__":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "daemon":
                    self.values.append(_true_false(arg.value))
                if arg.star == "**":
                    self.forwards = True


_FLOWS: dict[int, tuple[Facts, _Flow]] = {}


def _flow(facts: Facts) -> _Flow:
    """One _Flow per Facts, shared by the checks of this module."""
    cached = _FLOWS.get(id(facts))
    if cached is not None and cached[0] is facts:
        return cached[1]
    _FLOWS.clear()
    made = _Flow(facts)
    _FLOWS[id(facts)] = (facts, made)
    return made


def _label(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        return source_text(node.func) + "(...)"
    return source_text(node)


class _NodeFinder(cst.CSTVisitor):
    """Whether a body (not counting nested functions and classes) holds a node of a type."""

    def __init__(self, kinds: tuple[type, ...]) -> None:
        super().__init__()
        self.kinds = kinds
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found or isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return False
        if isinstance(node, self.kinds):
            self.found = True
            return False
        return True


# -- MP201 ---------------------------------------------------------------


def _innermost_loop(facts: Facts, node: cst.CSTNode) -> cst.For | cst.While | None:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.For | cst.While) and flow.is_inside(facts, node, ancestor.body):
            return ancestor
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
            return None
    return None


def _only_last_joined(facts: Facts, item: Started) -> bool:
    """`for ...: p = Process(...); p.start()` and then `p.join()` after the loop: only
    the process of the last round is joined."""
    receiver = item.receiver
    if not isinstance(receiver, cst.Name) or item.fate.contained or item.fate.escaped:
        return False
    loop = _innermost_loop(facts, item.start)
    if loop is None or not isinstance(loop, cst.For):
        return False
    bindings = facts.visible_bindings(receiver)
    made_here = [
        b
        for b in bindings
        if isinstance(b.value, cst.Call)
        and facts.kind_of_call(b.value) == Kind.PROCESS
        and flow.is_inside(facts, b.node, loop.body)
    ]
    if len(made_here) != 1 or len(bindings) != 1:
        return False
    if any(flow.is_inside(facts, join, loop) for join in item.fate.joins):
        return False
    if any(facts.function_of(join) is not facts.function_of(loop) for join in item.fate.joins):
        return False
    finder = _NodeFinder((cst.Break, cst.Return, cst.Raise))
    loop.body.visit(finder)
    return not finder.found


@check("MP201")
def process_never_joined(facts: Facts) -> Iterator[Finding]:
    """A started process that is never joined, reported only for the harm it really does
    (see ``checks/unjoined.py``). Page: rules/MP201.md; fixtures: fixtures/MP201/;
    example: examples/MP201-process-never-joined/."""
    flows = _flow(facts)
    if flows.active_children_used:
        return  # multiprocessing.active_children() reaps finished children
    for item in flows.started:
        fate = item.fate
        if fate.escaped or fate.reaped or fate.stops or flows.daemonic(item) is not False:
            continue
        if isinstance(item.receiver, cst.Call):
            cls = flows.subclass_of(item.receiver)
            if cls is not None or facts.resolve(item.receiver.func) != "multiprocessing.Process":
                continue  # a subclass may keep itself somewhere
        if fate.joined and not _only_last_joined(facts, item):
            continue
        harm = harm_of(flows, item, only_last_joined=fate.joined)
        if harm is not None:
            params = _unjoined_message(item, harm, fate.joined)
            yield Finding("MP201", item.start, params, variant=harm.variant)


_ONLY_LAST_JOINED = Phrase(
    "is joined only for the loop's last round (the `join()` is after the loop)",
    "只在循环的最后一轮被 `join()`（`join()` 在循环之后）",
)
_NEVER_JOINED = Phrase("is never joined", "从未被 `join()`")


def _unjoined_message(item: Started, harm: Harm, only_last: bool) -> dict[str, str | Phrase]:
    """The message parameters of one MP201 finding."""
    params: dict[str, str | Phrase] = {"name": _label(item.receiver), **harm.params}
    if harm.variant == "read":
        params["problem"] = _ONLY_LAST_JOINED if only_last else _NEVER_JOINED
    return params


# -- MP202 ---------------------------------------------------------------


def _given_objects(facts: Facts, call: cst.Call, subclass: bool) -> list[cst.BaseExpression]:
    """What a process constructor hands to the child: `args=`/`kwargs=` of a Process, every
    argument of a Process subclass."""
    if subclass:
        return [arg.value for arg in call.args if not arg.star]
    given: list[cst.BaseExpression] = []
    for argument in facts.sent_arguments(call):
        value = argument.value
        if isinstance(value, cst.Name):
            bindings = facts.visible_bindings(value)
            if len(bindings) == 1 and bindings[0].value is not None:
                value = bindings[0].value
        if isinstance(value, cst.Tuple | cst.List):
            given.extend(e.value for e in value.elements)
        elif isinstance(value, cst.Dict):
            given.extend(e.value for e in value.elements if isinstance(e, cst.DictElement))
        elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            if value.func.value == "dict":
                given.extend(a.value for a in value.args if a.keyword is not None)
    return given


def _fragile_given(
    flows: _Flow, creations: list[cst.Call]
) -> tuple[cst.BaseExpression, tuple[Phrase, Phrase]] | None:
    for call in creations:
        subclass = flows.subclass_of(call) is not None
        for value in _given_objects(flows.facts, call, subclass):
            kind = flows.facts.kind_of(value)
            if kind in _FRAGILE_KINDS:
                if _FRAGILE_KINDS[kind][1] is _LOCK_HARM and _never_acquired(
                    flows, call, subclass, value
                ):
                    continue
                return value, _FRAGILE_KINDS[kind]
    return None


def _never_acquired(flows: _Flow, call: cst.Call, subclass: bool, value: cst.CSTNode) -> bool:
    """The child's function never takes the lock or semaphore it is given (it only
    ``release()``s it, as a signal): killing the child cannot leave it held. Only for a
    Process given ``args=(...)`` whose target is a function of this file."""
    facts = flows.facts
    target = flows.target_of(call)
    api = None if subclass else facts.api_of(call)
    argument = api.argument(call, api.args) if api is not None and api.args else None
    if target is None or argument is None or not isinstance(argument.value, cst.Tuple):
        return False
    values: list[cst.CSTNode] = [element.value for element in argument.value.elements]
    if value not in values or any(
        isinstance(e, cst.StarredElement) for e in argument.value.elements
    ):
        return False
    params = list(target.params.params)
    if params and params[0].name.value in ("self", "cls") and facts.class_of(target) is not None:
        params = params[1:]
    index = values.index(value)
    if index >= len(params):
        return False
    name = params[index].name.value
    for node in facts.name_nodes.get(name, ()):
        if not facts._inside(node, target.body):
            continue
        parent = facts.parent(node)
        if isinstance(parent, cst.WithItem):
            return False
        if isinstance(parent, cst.Attribute) and parent.value is node:
            if parent.attr.value != "release":
                return False  # acquire(), or handed on in some other way
        elif not isinstance(parent, cst.Param):
            return False  # passed on, stored: it may be taken elsewhere
    return True


def _shared_loop(
    facts: Facts, first: cst.CSTNode, second: cst.CSTNode
) -> cst.For | cst.While | None:
    """The innermost loop (of the same function) whose body holds both nodes."""
    loop = _innermost_loop(facts, first)
    while loop is not None:
        if flow.is_inside(facts, second, loop.body):
            return loop
        loop = _innermost_loop(facts, loop)
    return None


def _joined_after(flows: _Flow, stop: cst.Attribute, fate: Fate) -> bool:
    """Whether a join() of the terminated process can follow the terminate() call."""
    facts = flows.facts
    if fate.escaped or fate.reaped:
        return True
    here = facts.function_of(stop)
    base = stop.value
    for join in fate.joins:
        if facts.function_of(join) is not here:
            return True  # joined in another function: may run after; cannot tell
        other = join.value
        if not (isinstance(base, cst.Name) and isinstance(other, cst.Name)):
            return True
        if base.value != other.value:
            return True  # through another name (a loop over the same list): cannot order
        if flow.exclusive(facts, stop, join):
            continue
        if flows.order(other) > flows.order(base):
            return True
        loop = _shared_loop(facts, stop, join)
        if loop is not None and not any(
            flow.is_inside(facts, b.node, loop) for b in facts.visible_bindings(base)
        ):
            return True  # the next round joins the same process
    return False


def _self_attribute_fate(flows: _Flow, attribute: cst.Attribute) -> Fate | None:
    """What is done to `self.x` inside its class: joins, stops, escapes."""
    facts = flows.facts
    function = facts.function_of(attribute)
    cls = facts.class_of(function) if function is not None else None
    if cls is None:
        return None
    fate = Fate()
    for use in facts.attribute_uses:
        if use.attr.value != attribute.attr.value or not isinstance(use.value, cst.Name):
            continue
        if use.value.value != "self" or not flow.is_inside(facts, use, cls):
            continue
        parent = facts.parent(use)
        if isinstance(parent, cst.Attribute) and parent.value is use:
            flows.attribute_fate(parent, fate)
        elif isinstance(parent, cst.AssignTarget):
            continue
        elif not flows.only_tested(use):
            fate.escaped = True
    return fate


def _after_join_with_timeout(
    flows: _Flow, receiver: cst.BaseExpression, stop: cst.Attribute
) -> bool:
    """`p.join(timeout)` earlier on the path: terminate() is the fallback when the process
    did not stop by itself, which is what the docs recommend."""
    facts = flows.facts
    base = stop.value.value if isinstance(stop.value, cst.Attribute) else stop.value
    if not isinstance(base, cst.Name):
        return False  # `jobs[-1].terminate()`: no name to order the uses by
    here = flows.order(_ordering_name(stop))
    function = facts.function_of(stop)
    for base, method in _receiver_uses(flows, receiver):
        if method != "join" or facts.function_of(base) is not function:
            continue
        join = _attribute_of(facts, base)
        call = facts.parent(join)
        if not (isinstance(call, cst.Call) and call.func is join and call.args):
            continue
        if flows.order(base) < here and not flow.exclusive(facts, join, stop):
            return True
    return False


@check("MP202")
def terminate_unsafe(facts: Facts) -> Iterator[Finding]:
    """terminate()/kill() that can leave a lock held or a channel broken for code that runs
    afterwards, orphan the process's own children, or leave the process unwaited for while
    the program goes on. Page: rules/MP202.md; fixtures: fixtures/MP202/."""
    flows = _flow(facts)
    for call in facts.method_calls("terminate", "kill", kinds=(Kind.PROCESS,)):
        stop = call.func
        assert isinstance(stop, cst.Attribute)
        receiver = stop.value
        name = source_text(receiver)
        params: dict[str, str | Phrase] = {"call": source_text(stop) + "()", "name": name}
        creations = flows.creations(receiver)
        if _after_join_with_timeout(flows, receiver, stop):
            creations = None  # the last resort after a cooperative stop: only ask for join()
        fragile = _fragile_given(flows, creations) if creations else None
        if fragile is not None:
            value, (what, harm) = fragile
            given = _given_objects_of(flows, creations or [])
            if _last_use(flows, call, receiver, given):
                continue  # nothing uses the process or what it was given afterwards
            params |= {"given": source_text(value), "what": what, "harm": harm}
            yield Finding("MP202", call, params, variant="fragile")
            continue
        targets = [flows.target_of(c) for c in creations] if creations else []
        makers = [t for t in targets if t is not None and t in flows.child_makers]
        if makers:
            maker = makers[0]
            cls = facts.class_of(maker)
            function = f"{cls.name.value}.{maker.name.value}" if cls else maker.name.value
            yield Finding("MP202", call, params | {"function": function}, variant="orphans")
            continue
        if isinstance(receiver, cst.Attribute):
            fate = _self_attribute_fate(flows, receiver)
        else:
            fate = flows.receiver_fate(receiver)
        if fate is None or _joined_after(flows, stop, fate):
            continue
        if _last_use(flows, call, receiver, []):
            continue  # at exit multiprocessing joins it; nobody looks at it before
        yield Finding("MP202", call, params | {"method": stop.attr.value}, variant="unjoined")


def _unpacked_names(node: cst.CSTNode) -> list[cst.Name]:
    """The names bound together by `a, b = Pipe()`."""
    if not isinstance(node, cst.Assign):
        return []
    found: list[cst.Name] = []
    for target in node.targets:
        if isinstance(target.target, cst.Tuple | cst.List):
            found.extend(e.value for e in target.target.elements if isinstance(e.value, cst.Name))
    return found


def _given_objects_of(flows: _Flow, creations: list[cst.Call]) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    for creation in creations:
        subclass = flows.subclass_of(creation) is not None
        found.extend(_given_objects(flows.facts, creation, subclass))
    return found


def _last_use(
    flows: _Flow, stop: cst.Call, receiver: cst.BaseExpression, given: list[cst.BaseExpression]
) -> bool:
    """`terminate()` is the program's last use of the process and of what it was given:
    outside any loop, the process and the objects are local names of the same scope, nothing
    but `join()` reads the process afterwards, and nothing reads the objects afterwards nor
    hands them to another process."""
    facts = flows.facts
    if not isinstance(receiver, cst.Name) or _innermost_loop(facts, stop) is not None:
        return False
    scope = facts.scope_of(stop)
    function = facts.function_of(stop)
    if function is not None and facts.class_of(function) is not None:
        return False  # a method: the object lives on and may be used again
    bindings = facts.visible_bindings(receiver)
    if not bindings or any(b.scope is not scope for b in bindings):
        return False
    for name in flow.loads_of(facts, receiver.value, scope):
        if not flow.source_before(facts, stop, name):
            continue
        parent = facts.parent(name)
        if not (isinstance(parent, cst.Attribute) and parent.attr.value == "join"):
            return False
    names: list[cst.Name] = []
    for value in given:
        if not isinstance(value, cst.Name):
            continue  # made right there: nobody else holds it
        value_bindings = facts.visible_bindings(value)
        if not value_bindings or any(
            b.scope is not scope or isinstance(b.node, cst.Param) for b in value_bindings
        ):
            return False
        names.append(value)
        for binding in value_bindings:
            if binding.unpack_index is not None:  # a, b = Pipe(): the other end counts too
                names.extend(_unpacked_names(binding.node))
    for value in names:
        for name in flow.loads_of(facts, value.value, scope):
            if name in names:
                continue
            if flow.source_before(facts, stop, name):
                return False
            holder = next((a for a in facts.ancestors(name) if isinstance(a, cst.Call)), None)
            if holder is not None and facts.kind_of(holder) == "process":
                return False  # another process holds it too
    return True


# -- MP203 ---------------------------------------------------------------


def _rebound_between(flows: _Flow, variable: cst.Name, first: cst.Name, second: cst.Name) -> bool:
    """Whether the variable is bound again between two of its reads (source order)."""
    facts = flows.facts
    low, high = flows.order(first), flows.order(second)
    for binding in facts.visible_bindings(variable):
        for name in facts.name_nodes.get(variable.value, ()):
            if low < flows.order(name) < high and flow.is_inside(facts, name, binding.node):
                if name is not first and name is not second and _is_target(facts, name):
                    return True
    return False


def _is_target(facts: Facts, name: cst.Name) -> bool:
    parent = facts.parent(name)
    while isinstance(parent, cst.Element | cst.Tuple | cst.List):
        parent = facts.parent(parent)
    return isinstance(parent, cst.AssignTarget | cst.For | cst.AsName | cst.AnnAssign)


def _receiver_uses(flows: _Flow, receiver: cst.BaseExpression) -> list[tuple[cst.Name, str]]:
    """Every `receiver.attr` of the same variable (or `self.x` in the same function), as
    (the Name that orders it, attr), in source order."""
    facts = flows.facts
    found: list[tuple[cst.Name, str]] = []
    if isinstance(receiver, cst.Name):
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            return []
        for reference in flow.uses_of(facts, receiver.value, bindings[0].scope):
            base = reference.attribute.value
            assert isinstance(base, cst.Name)
            found.append((base, reference.name))
        return found
    if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
        if receiver.value.value != "self":
            return []
        function = facts.function_of(receiver)
        for use in facts.attribute_uses:
            if not isinstance(use.value, cst.Name) or use.value.value != "self":
                continue
            if use.attr.value != receiver.attr.value or facts.function_of(use) is not function:
                continue
            parent = facts.parent(use)
            if isinstance(parent, cst.Attribute) and parent.value is use:
                found.append((use.value, parent.attr.value))
        found.sort(key=lambda pair: flows.order(pair[0]))
    return found


def _ordering_name(attribute: cst.Attribute) -> cst.Name:
    """The Name that orders `p.attr` (`p`) or `self.x.attr` (`self`) among its kind."""
    base = attribute.value
    if isinstance(base, cst.Attribute):
        base = base.value
    assert isinstance(base, cst.Name)
    return base


def _attribute_of(facts: Facts, name: cst.Name) -> cst.Attribute:
    """`p.attr` (or `self.x.attr`) from the Name that starts it."""
    node = facts.parent(name)
    assert isinstance(node, cst.Attribute)
    if isinstance(node.value, cst.Name) and node.value.value == "self":
        outer = facts.parent(node)
        if isinstance(outer, cst.Attribute) and outer.value is node:
            return outer
    return node


@check("MP203")
def daemon_after_start(facts: Facts) -> Iterator[Finding]:
    flows = _flow(facts)
    for use in facts.attribute_uses:
        if use.attr.value != "daemon" or flow.action_of(facts, use) is not flow.Action.STORE:
            continue
        receiver: cst.BaseExpression = use.value
        if isinstance(receiver, cst.Name) and receiver.value == "self":
            continue  # `self.daemon = ...` inside a subclass: before its start()
        if facts.kind_of(receiver) != Kind.PROCESS:
            continue
        yield from _daemon_after_start(flows, receiver, use)
    # self.x.daemon = ... after self.x.start() in the same method
    for use in facts.attribute_uses:
        if not isinstance(use.value, cst.Name) or use.value.value != "self":
            continue
        store = facts.parent(use)
        if not (
            isinstance(store, cst.Attribute)
            and store.value is use
            and store.attr.value == "daemon"
            and flow.action_of(facts, store) is flow.Action.STORE
        ):
            continue
        if facts.kind_of(use) != Kind.PROCESS:
            continue
        yield from _daemon_after_start(flows, use, store)


def _daemon_after_start(
    flows: _Flow,
    receiver: cst.BaseExpression,
    store: cst.Attribute,
) -> Iterator[Finding]:
    facts = flows.facts
    store_name = _ordering_name(store)
    function = facts.function_of(store)
    for base, method in _receiver_uses(flows, receiver):
        if method != "start" or facts.function_of(base) is not function:
            continue
        start = _attribute_of(facts, base)
        if flow.action_of(facts, start) is not flow.Action.CALL:
            continue
        if flows.order(base) >= flows.order(store_name):
            continue
        if flow.exclusive(facts, start, store):
            continue
        if isinstance(receiver, cst.Name) and _rebound_between(flows, receiver, base, store_name):
            continue
        if isinstance(receiver, cst.Attribute) and _self_rebound_between(
            flows, receiver, base, store_name
        ):
            continue
        yield Finding("MP203", store, {"name": source_text(receiver)})
        return


def _self_rebound_between(
    flows: _Flow, receiver: cst.Attribute, first: cst.Name, second: cst.Name
) -> bool:
    facts = flows.facts
    low, high = flows.order(first), flows.order(second)
    for binding in facts.self_attribute_bindings:
        if binding.name != f"self.{receiver.attr.value}":
            continue
        node = binding.node
        target = None
        if isinstance(node, cst.Assign):
            for item in node.targets:
                if isinstance(item.target, cst.Attribute):
                    target = item.target
        elif isinstance(node, cst.AnnAssign | cst.NamedExpr) and isinstance(
            node.target, cst.Attribute
        ):
            target = node.target
        if target is not None and isinstance(target.value, cst.Name):
            if low < flows.order(target.value) < high:
                return True
    return False


# -- MP204 ---------------------------------------------------------------


_POOL_WORKER = Phrase(
    "A `multiprocessing.Pool` worker (always daemonic)",
    "`multiprocessing.Pool` 的工作进程（总是守护进程）",
)
_DAEMON = Phrase("A daemonic process", "守护进程")


@check("MP204")
def daemon_has_children(facts: Facts) -> Iterator[Finding]:
    flows = _flow(facts)
    makers = flows.child_makers
    if not makers:
        return
    reported: set[int] = set()
    for use in facts.child_uses:
        if use.function not in makers or id(use.call) in reported:
            continue
        if use.via in (Via.POOL, Via.INITIALIZER) and use.daemonic:
            who = _POOL_WORKER
        elif (
            use.via == Via.PROCESS
            and isinstance(use.call, cst.Call)
            and _made_daemonic(flows, use.call)
        ):
            who = _DAEMON
        else:
            continue
        reported.add(id(use.call))
        yield Finding(
            "MP204",
            use.call,
            {"who": who, "function": use.function.name.value},
        )
    # Process subclasses whose instances are daemonic and whose run() makes processes.
    for item in flows.started:
        for call in item.creations or ():
            cls = flows.subclass_of(call)
            if cls is None or id(call) in reported:
                continue
            run = flows.target_of(call)
            if run is None or run not in makers or flows.daemonic(item) is not True:
                continue
            reported.add(id(call))
            yield Finding(
                "MP204",
                call,
                {"who": _DAEMON, "function": f"{cls.name.value}.run"},
            )


def _made_daemonic(flows: _Flow, call: cst.Call) -> bool:
    """`Process(..., daemon=True)`, or `p = Process(...)` with `p.daemon = True`."""
    for item in flows.started:
        if item.creations and any(c is call for c in item.creations):
            return flows.daemonic(item) is True
    return flows.creation_daemonic(call) is True


# -- MP205 ---------------------------------------------------------------


def _waits_on_what_it_gave(flows: _Flow, item: Started) -> bool:
    """The parent blocks on something it handed to the process (`q.get()`, `done.wait()`),
    so it waits for the process's work by other means."""
    facts = flows.facts
    for call in item.creations or ():
        subclass = flows.subclass_of(call) is not None
        for value in _given_objects(facts, call, subclass):
            if not isinstance(value, cst.Name):
                continue
            bindings = facts.visible_bindings(value)
            if not bindings:
                continue
            for use in flow.uses_of(facts, value.value, bindings[0].scope):
                if use.name in _BLOCKING_METHODS or use.name == "poll":
                    return True
    return False


@check("MP205")
def daemon_not_joined(facts: Facts) -> Iterator[Finding]:
    flows = _flow(facts)
    if flows.active_children_used:
        return
    for item in flows.started:
        fate = item.fate
        if fate.joined or fate.escaped or fate.reaped or fate.stops:
            continue
        if flows.daemonic(item) is not True or not item.creations:
            continue
        if not flows.in_main_flow(item.start):
            continue  # a library helper or a long-running server: its parent's life is unknown
        targets = [flows.target_of(call) for call in item.creations]
        if any(t is None for t in targets):
            continue  # the work it does is not known
        if any(_serves(flows, t, 0, set()) for t in targets if t is not None):
            continue  # a service loop, meant to die with the parent
        if _waits_on_what_it_gave(flows, item):
            continue
        yield Finding("MP205", item.start, {"name": _label(item.receiver)})


def _sounds_serving(word: str) -> bool:
    if any(part in word for part in ("forever", "serve", "listen", "accept")):
        return True
    return word in ("run", "loop", "mainloop", "exec", "exec_") or word.startswith("run_")


class _ServiceFinder(cst.CSTVisitor):
    """A `while` loop, or a call that looks like it serves until killed (`serve_forever()`,
    `app.run()`, `loop.run_until_complete()`), and the calls to follow."""

    def __init__(self) -> None:
        super().__init__()
        self.serves = False
        self.calls: list[cst.Call] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.serves or isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            return False
        if isinstance(node, cst.While):
            self.serves = True
            return False
        if isinstance(node, cst.Call):
            func = node.func
            word = func.attr.value if isinstance(func, cst.Attribute) else None
            if isinstance(func, cst.Name):
                word = func.value
            if word is not None and _sounds_serving(word.lower()):
                self.serves = True
                return False
            self.calls.append(node)
        return True


def _serves(flows: _Flow, function: cst.FunctionDef, depth: int, seen: set[int]) -> bool:
    """Whether a process function (or a function of this file it calls) runs until killed."""
    if depth > 4 or id(function) in seen:
        return False
    seen.add(id(function))
    finder = _ServiceFinder()
    function.body.visit(finder)
    if finder.serves:
        return True
    for call in finder.calls:
        callee = flows.facts.function_for(call.func)
        if callee is not None and _serves(flows, callee, depth + 1, seen):
            return True
    return False


# -- MP206 ---------------------------------------------------------------


def _checks_for_none(facts: Facts, read: cst.Attribute) -> bool:
    """`p.exitcode is None`, `p.exitcode is not None`: a deliberate "still running?" test."""
    parent = facts.parent(read)
    if isinstance(parent, cst.ComparisonTarget):
        parent = facts.parent(parent)
    if not isinstance(parent, cst.Comparison):
        return False
    operands = [parent.left, *(target.comparator for target in parent.comparisons)]
    return any(isinstance(o, cst.Name) and o.value == "None" for o in operands)


@check("MP206")
def exitcode_before_join(facts: Facts) -> Iterator[Finding]:
    flows = _flow(facts)
    for use in facts.attribute_uses:
        if isinstance(use.value, cst.Name) and use.value.value == "self":
            parent = facts.parent(use)
            if not (
                isinstance(parent, cst.Attribute)
                and parent.value is use
                and parent.attr.value == "exitcode"
            ):
                continue
            receiver: cst.BaseExpression = use
            read = parent
        elif use.attr.value == "exitcode":
            receiver, read = use.value, use
        else:
            continue
        if flow.action_of(facts, read) is not flow.Action.READ:
            continue
        if facts.kind_of(receiver) != Kind.PROCESS or _checks_for_none(facts, read):
            continue
        if _exitcode_too_early(flows, receiver, read):
            yield Finding("MP206", read, {"name": source_text(receiver)})


def _exitcode_too_early(flows: _Flow, receiver: cst.BaseExpression, read: cst.Attribute) -> bool:
    facts = flows.facts
    function = facts.function_of(read)
    read_name = _ordering_name(read)
    here = flows.order(read_name)
    uses = _receiver_uses(flows, receiver)
    started = False
    for base, method in uses:
        node = _attribute_of(facts, base)
        order = flows.order(base)
        if method in ("is_alive", "sentinel") and (
            order < here or _shared_loop(facts, read, node) is not None
        ):
            return False  # polled or waited on: the status may well be collected
        if method == "exitcode" and order < here and _checks_for_none(facts, node):
            return False  # `while p.exitcode is None:` polls; `if ... is None:` handles it
        if facts.function_of(base) is not function or order >= here:
            continue
        if method == "join" and not flow.exclusive(facts, node, read):
            return False
        if method == "start" and flow.action_of(facts, node) is flow.Action.CALL:
            if flow.exclusive(facts, node, read):
                continue
            if isinstance(receiver, cst.Name) and _rebound_between(
                flows, receiver, base, read_name
            ):
                continue
            started = True
    return started


# -- MP207 ---------------------------------------------------------------


class _ValueReturns(FastVisitor):
    """`return <value>` statements of one function body, and whether it is a generator."""

    def __init__(self, flows: _Flow) -> None:
        super().__init__()
        self.flows = flows
        self.returns: list[cst.Return] = []
        self.generator = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.generator = True
        return False

    def builtin_with_value(self, call: cst.Call) -> bool:
        func = call.func
        facts = self.flows.facts
        return (
            isinstance(func, cst.Name)
            and func.value in _VALUE_BUILTINS
            and not facts.visible_bindings(func)
            and func.value not in facts.imports
            and func.value not in facts.module_functions
        )

    def visit_Return(self, node: cst.Return) -> bool:
        value = node.value
        if value is None or (isinstance(value, cst.Name) and value.value == "None"):
            return False
        if isinstance(value, cst.Call) and not self.builtin_with_value(value):
            # `return q.put(x)` or `return loop()` may well be None: only a function of this
            # file that itself returns a value, or a builtin such as len(), counts.
            callee = self.flows.facts.function_for(value.func)
            if callee is None or not _returns_value(self.flows, callee, set()):
                return False
        self.returns.append(node)
        return False


_VALUE_BUILTINS = frozenset(
    {
        "len",
        "sum",
        "min",
        "max",
        "abs",
        "round",
        "sorted",
        "list",
        "dict",
        "set",
        "tuple",
        "str",
        "int",
        "float",
        "bool",
        "any",
        "all",
        "repr",
        "divmod",
        "pow",
        "frozenset",
    }
)


def _returns_value(flows: _Flow, function: cst.FunctionDef, seen: set[int]) -> bool:
    if id(function) in seen:
        return False
    seen.add(id(function))
    finder = _ValueReturns(flows)
    function.body.visit(finder)
    return bool(finder.returns) and not finder.generator


def _result_may_be_used(flows: _Flow, function: cst.FunctionDef, process_calls: set[int]) -> bool:
    """Whether the function is also called for its value, or handed somewhere other than a
    Process target (a pool, an executor, a callback), so its return value may matter."""
    facts = flows.facts
    name = function.name.value
    if facts.class_of(function) is not None:
        references: list[cst.CSTNode] = [
            use for use in facts.attribute_uses if use.attr.value == name
        ]
    else:
        references = [
            n
            for n in facts.name_nodes.get(name, ())
            if n is not function.name and not _is_keyword_or_attr(facts, n)
        ]
    for reference in references:
        parent = facts.parent(reference)
        if isinstance(parent, cst.Call) and parent.func is reference:
            if not isinstance(facts.parent(parent), cst.Expr):
                return True
            continue
        if isinstance(parent, cst.Arg):
            call = facts.parent(parent)
            if isinstance(call, cst.Call) and facts.resolve(call.func) == "functools.partial":
                outer = facts.parent(call)  # Process(target=partial(f, ...))
                call = facts.parent(outer) if isinstance(outer, cst.Arg) else None
            if isinstance(call, cst.Call) and id(call) in process_calls:
                continue
        return True
    return False


def _is_keyword_or_attr(facts: Facts, name: cst.Name) -> bool:
    parent = facts.parent(name)
    if isinstance(parent, cst.Attribute):
        return parent.attr is name
    if isinstance(parent, cst.Arg):
        return parent.keyword is name
    return isinstance(parent, cst.FunctionDef | cst.ClassDef | cst.Param)


@check("MP207")
def target_return_ignored(facts: Facts) -> Iterator[Finding]:
    flows = _flow(facts)
    by_function: dict[cst.FunctionDef, list[str]] = {}
    process_calls: set[int] = set()
    for use in facts.child_uses:
        by_function.setdefault(use.function, []).append(use.via)
        if use.via == Via.PROCESS:
            process_calls.add(id(use.call))
    for function, vias in by_function.items():
        if any(via not in (Via.PROCESS, Via.RUN) for via in vias):
            continue  # a pool or executor task: its return value is sent back
        if function.asynchronous is not None:
            continue
        finder = _ValueReturns(flows)
        function.body.visit(finder)
        if finder.generator or not finder.returns:
            continue
        if all(_success_status(r.value) for r in finder.returns):
            continue  # `return 0` / `return True` only: the exit code is 0 anyway
        if "run" not in vias and _result_may_be_used(flows, function, process_calls):
            continue
        if "run" in vias and _run_result_used(facts):
            continue
        cls = facts.class_of(function)
        label = f"{cls.name.value}.{function.name.value}" if cls else function.name.value
        for statement in finder.returns:
            yield Finding("MP207", statement, {"function": label})


def _success_status(value: cst.BaseExpression | None) -> bool:
    """``0`` or ``True``: a status that says "it worked", which the child's exit code 0
    already says. A target returning only these loses nothing; one that also returns
    ``False`` or ``1`` on failure does (its failure exits 0 too)."""
    if isinstance(value, cst.Integer):
        return value.value == "0"
    return isinstance(value, cst.Name) and value.value == "True"


def _run_result_used(facts: Facts) -> bool:
    """`x = worker.run()`: someone calls run() directly and keeps what it returns."""
    for use in facts.attribute_uses:
        if use.attr.value != "run":
            continue
        parent = facts.parent(use)
        if isinstance(parent, cst.Call) and not isinstance(facts.parent(parent), cst.Expr):
            return True
    return False
