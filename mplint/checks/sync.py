"""MP4xx: communication and synchronisation between processes.

Objects that arrive as parameters (``def work(q): q.put(...)`` run by
``Process(target=work, args=(queue,))``) are recognised through
``Facts.kind_through_parameters``: what every call site of this file passes.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.harmless import statement_cannot_raise
from mplint.checks.payload import may_overfill
from mplint.checks.pickling_errors import LOCAL_OBJECT_ERROR, pickling_error
from mplint.checks.staleness import stale_answer_harms
from mplint.diagnostic import Applicability
from mplint.edits import Edit, FixPlan, InsertLineBefore, Replace
from mplint.facts import POOL_KINDS, Binding, Facts, FastVisitor, call_argument, dotted_name
from mplint.names import kind_of_constructor
from mplint.semantic.api import method_api, sent_arguments, starmap_tuples
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

PROCESS_LOCK_KINDS = frozenset({Kind.LOCK, Kind.SEMAPHORE, Kind.CONDITION})
CONDITION_KINDS = frozenset({Kind.CONDITION, Kind.THREAD_CONDITION})
THREAD_PRIMITIVES = frozenset(
    {
        Kind.THREAD_LOCK,
        Kind.THREAD_SEMAPHORE,
        Kind.THREAD_CONDITION,
        Kind.THREAD_EVENT,
        Kind.THREAD_QUEUE,
        Kind.THREAD_BARRIER,
    }
)
# multiprocessing objects that may only be shared by inheritance (Process args, initargs).
INHERITED_ONLY = frozenset(
    {
        Kind.QUEUE,
        Kind.LOCK,
        Kind.SEMAPHORE,
        Kind.CONDITION,
        Kind.EVENT,
        Kind.BARRIER,
        Kind.VALUE,
        Kind.ARRAY,
        Kind.RAW_VALUE,
        Kind.RAW_ARRAY,
    }
)
SHARED_AT_MODULE_LEVEL = frozenset(
    {
        Kind.LOCK,
        Kind.SEMAPHORE,
        Kind.CONDITION,
        Kind.EVENT,
        Kind.BARRIER,
        Kind.QUEUE,
        Kind.VALUE,
        Kind.ARRAY,
        Kind.RAW_VALUE,
        Kind.RAW_ARRAY,
    }
)

messages(
    {
        "MP401": Message(
            en="{what} is sent {channel}, and it cannot be pickled ({why}): {outcome}{advice}",
            zh="{what}{channel}，但它无法被 pickle 序列化（{why}）：{outcome}{advice}",
        ),
        "MP402": Message(
            en="`{process}.join()` waits for a process that puts items on `{queue}` before "
            "this code takes them off: once the data outgrows the pipe buffer the child cannot "
            "exit and both processes hang. Get the items first, then join.",
            zh="`{process}.join()` 等待一个往 `{queue}` 放数据的进程，而本段代码在 `join()` 之后才取"
            "数据：数据一旦超过管道缓冲区，子进程无法退出，两个进程互相等待而卡死。请先取完数据，"
            "再调用 `join()`。",
        ),
        "MP403": Message(
            en="`{name}` is a {what}, made for threads, and {how}: {outcome} Use "
            "`multiprocessing.{replacement}` instead.",
            zh="`{name}` 是只用于线程的 {what}，却{how}：{outcome}请改用 "
            "`multiprocessing.{replacement}`。",
        ),
        "MP404": {
            "several": Message(
                en="`{call}` decides whether to call `{action}`, but between the check and the "
                "call another process can {verb}, so `{action}` can block for ever. Use a "
                "sentinel value, or `{action_timeout}` with `except {exception}`.",
                zh="`{call}` 被用来决定是否调用 `{action}`，但在检查和调用之间，另一个进程可能"
                "{verb}，于是 `{action}` 可能永远阻塞。请使用哨兵值，或用 `{action_timeout}` "
                "加 `except {exception}`。",
            ),
            "drain": Message(
                en="`{call}` decides when to stop reading while producers may still be putting: "
                "the loop ends as soon as the queue looks empty, and items still on their way "
                "are never read. End the loop on a sentinel value that each producer puts last.",
                zh="`{call}` 决定什么时候停止读取，而生产者可能还在往队列里放数据：队列一看起来"
                "为空循环就结束，还在路上的数据永远不会被读到。请让每个生产者最后放一个哨兵值，"
                "读到哨兵值再结束循环。",
            ),
            "qsize": Message(
                en="`{call}` decides whether to call `{action}`: `qsize()` raises "
                "NotImplementedError on macOS, and its answer is stale at once. Use a sentinel "
                "value, or `get(timeout=...)` with `except queue.Empty`.",
                zh="`{call}` 被用来决定是否调用 `{action}`：macOS 上 `qsize()` 会抛出 "
                "NotImplementedError，而且它的结果立刻就会过时。请使用哨兵值，或用 "
                "`get(timeout=...)` 加 `except queue.Empty`。",
            ),
        },
        "MP405": Message(
            en="`{lock}` is acquired here but not released in a `finally`: an exception before "
            "`{lock}.release()` leaves it held and every other process blocks for ever. Use "
            "`with {lock}:` (or try/finally).",
            zh="`{lock}` 在这里获取，但 `release()` 不在 `finally` 中：中间一旦抛出异常，"
            "锁就一直被占用，其他进程会永远阻塞。请使用 `with {lock}:`（或 `try`/`finally`）。",
        ),
        "MP406": Message(
            en="`{name}`, a multiprocessing {what}, is made at module level and used here in a "
            "child process without being passed to it: under spawn/forkserver each child re-imports the "
            "module and gets its own fresh copy, so nothing is shared. Create it under the "
            "main guard and pass it as an argument (or through a pool initializer).",
            zh="`{name}` 是在模块顶层创建的 {what}，子进程在这里直接使用它，而没有通过参数传入："
            "在 spawn/forkserver 下每个子进程都会重新导入模块，得到一个全新的副本，什么也没有"
            "共享。请在 `if __name__ == '__main__':` 入口保护下创建它，并作为参数（或通过进程池的 `initializer=`）传给子进程。",
        ),
        "MP407": Message(
            en="`{cond}.wait()` is not in a `while` loop that re-checks the condition: a "
            "notify sent before the wait is lost and the waiter hangs, and a wake-up does not "
            "mean the state changed. Use `{cond}.wait_for(predicate)` or "
            "`while not ready: {cond}.wait()`.",
            zh="`{cond}.wait()` 不在重新检查条件的 `while` 循环中：在 `wait()` 之前发出的 `notify()` "
            "会丢失，等待方永远挂起；被唤醒也不代表状态已改变。请使用 "
            "`{cond}.wait_for(predicate)` 或 `while not ready: {cond}.wait()`。",
        ),
        "MP408": Message(
            en="`{statement}` reads and writes the shared {what} `{name}` in two steps without "
            "its lock: processes running it at once lose updates. {advice}",
            zh="`{statement}` 分两步读写共享的 {what} `{name}`，却没有加锁：多个进程同时执行会"
            "丢失更新。{advice}",
        ),
        "MP409": {
            "unhandled": Message(
                en="`{call}` raises `queue.Empty` when no item arrives in time, and nothing "
                "here catches it. Wrap it in `try:` ... `except queue.Empty:` (import queue).",
                zh="`{call}` 在没有及时取到数据时会抛出 `queue.Empty`，而这里没有捕获它。请用 "
                "`try:` ... `except queue.Empty:` 包起来（需 `import queue`）。",
            ),
            "no_such_exception": Message(
                en="`{handler}` does not exist: `Queue` here is a factory function, so reaching "
                "this handler raises 'AttributeError: 'function' object has no attribute "
                "'Empty''. Catch `queue.Empty` (import queue).",
                zh="`{handler}` 并不存在：这里的 `Queue` 是一个工厂函数，执行到这个 `except` 时会报 "
                "'AttributeError: 'function' object has no attribute 'Empty''。请捕获 "
                "`queue.Empty`（需 `import queue`）。",
            ),
        },
        "MP410": {
            "with_new_lock": Message(
                en="`with {call}:` makes a new lock each time it runs: every process and every "
                "call gets a lock of its own, so it guards nothing. Create one lock in the "
                "parent and pass it to the processes.",
                zh="`with {call}:` 每次执行都新建一把锁：每个进程、每次调用都拿到自己的一把锁，"
                "什么也保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
            "thrown_away": Message(
                en="`{call}` makes a lock that is used once and thrown away: every process and "
                "every call gets a lock of its own, so it guards nothing. Create one lock in the "
                "parent and pass it to the processes.",
                zh="`{call}` 新建的锁用一次就被丢弃：每个进程、每次调用都拿到自己的一把锁，什么也"
                "保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
            "made_in_child": Message(
                en="`{name}` is made inside `{function}()`, which runs in a child process: each "
                "process (and each call) gets a lock of its own, so it guards nothing. Create "
                "one lock in the parent and pass it to the processes.",
                zh="`{name}` 在子进程运行的 `{function}()` 内部创建：每个进程（每次调用）都拿到"
                "自己的一把锁，什么也保护不了。请在父进程中创建一把锁，再传给各个进程。",
            ),
        },
        "MP411": Message(
            en="`{call}` is called without holding the condition: it raises '{error}'. Call it "
            "inside `with {cond}:`.",
            zh="调用 `{call}` 时没有持有该条件变量的锁：会报 '{error}'。请在 `with {cond}:` 中调用。",
        ),
    }
)


# -- shared helpers ----------------------------------------------------------


def _kind(facts: Facts, node: cst.BaseExpression | None) -> Kind | None:
    """What an expression holds, through parameters and ``self.x = parameter``."""
    return facts.kind_through_parameters(node)


def _self_bindings(facts: Facts, node: cst.Attribute) -> list[Binding]:
    """What ``self.x`` (or ``obj.x``) is bound to, across its class's methods."""
    return facts.attribute_bindings_of(node)


def _origins(facts: Facts, node: cst.BaseExpression | None) -> list[cst.Call]:
    """The constructor calls an expression may hold (empty when unknown)."""
    return facts.origins(node, through_parameters=True) or []


def _child_reachable(facts: Facts) -> set[cst.FunctionDef]:
    """Functions run in a child process, and the functions of this file they run."""
    return facts.child_reachable


def _receiver(call: cst.Call) -> cst.BaseExpression | None:
    return call.func.value if isinstance(call.func, cst.Attribute) else None


def _method(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def _same(first: cst.BaseExpression, second: cst.BaseExpression) -> bool:
    a, b = dotted_name(first), dotted_name(second)
    return a is not None and a == b


def _function_boundary(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef)


def _calls_in(facts: Facts, node: cst.CSTNode) -> list[cst.Call]:
    """Calls of the same function as ``node`` (or module level)."""
    return facts.calls_by_function.get(facts.function_of(node), [])


def _arg_is_false(arg: cst.Arg) -> bool:
    return isinstance(arg.value, cst.Name) and arg.value.value == "False"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _block_indent(facts: Facts, node: cst.CSTNode) -> str | None:
    """The indentation of a statement, from the blocks around it (None in a one-line suite)."""
    parts: list[str] = []
    parent = facts.parent(node)
    if not isinstance(parent, cst.IndentedBlock | cst.Module):
        return None
    for ancestor in [node, *facts.ancestors(node)]:
        if isinstance(ancestor, cst.IndentedBlock):
            parts.append(
                ancestor.indent if ancestor.indent is not None else facts.module.default_indent
            )
    return "".join(reversed(parts))


def _line_code(line: cst.SimpleStatementLine) -> str:
    """The text of a statement line as it stands in the file, without comments around it."""
    bare = line.with_changes(leading_lines=(), trailing_whitespace=cst.TrailingWhitespace())
    return source_text(bare).rstrip("\r\n")


# -- MP401 -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Payload:
    what: Phrase
    why: Phrase
    error: Phrase  # what pickling it raises, as CPython prints it
    advice: Phrase


_SEND_A_LIST = Phrase(
    "Send a list, or the arguments to rebuild the generator on the other side.",
    "请改为发送列表，或发送在另一端重建生成器所需的参数。",
)
_GENERATOR_ERROR = Phrase(
    "'TypeError: cannot pickle 'generator' object'", "'TypeError: cannot pickle 'generator' object'"
)
_PAYLOADS = {
    "lambda": _Payload(
        Phrase("A lambda", "lambda 函数"),
        Phrase(
            "pickle stores functions by name and a lambda has none",
            "pickle 按名字保存函数，而 lambda 没有名字",
        ),
        LOCAL_OBJECT_ERROR,  # replaced per node by pickling_error()
        Phrase("Use a function defined at module level.", "请改用在模块顶层定义的函数。"),
    ),
    "nested": _Payload(
        Phrase("The nested function `{name}`", "嵌套函数 `{name}` "),
        Phrase(
            "pickle finds functions by their module-level name", "pickle 按模块顶层的名字查找函数"
        ),
        LOCAL_OBJECT_ERROR,
        Phrase("Define it at module level.", "请把它定义在模块顶层。"),
    ),
    "genexp": _Payload(
        Phrase("A generator expression", "生成器表达式"),
        Phrase("generator objects cannot be pickled", "生成器对象无法被序列化"),
        _GENERATOR_ERROR,
        _SEND_A_LIST,
    ),
    "generator": _Payload(
        Phrase("`{name}`, a generator,", "生成器 `{name}` "),
        Phrase("generator objects cannot be pickled", "生成器对象无法被序列化"),
        _GENERATOR_ERROR,
        _SEND_A_LIST,
    ),
    "file": _Payload(
        Phrase("An open file", "打开的文件对象"),
        Phrase("a file object belongs to this process", "文件对象只属于当前进程"),
        Phrase(
            "'TypeError: cannot pickle '_io.TextIOWrapper' object' (a binary file: "
            "'_io.BufferedReader'; 3.12 and 3.13 say 'cannot pickle 'TextIOWrapper' instances')",
            "'TypeError: cannot pickle '_io.TextIOWrapper' object'（二进制文件为 "
            "'_io.BufferedReader'；3.12 和 3.13 为 'cannot pickle 'TextIOWrapper' instances'）",
        ),
        Phrase(
            "Send the path and open the file in the receiver.",
            "请发送文件路径，在接收方再打开文件。",
        ),
    ),
    "database": _Payload(
        Phrase("A database connection", "数据库连接"),
        Phrase("a connection belongs to this process", "数据库连接只属于当前进程"),
        Phrase("a 'TypeError: cannot pickle ...' error", "'TypeError: cannot pickle ...' 错误"),
        Phrase(
            "Send the database path and connect in the receiver.",
            "请发送数据库路径，在接收方再建立连接。",
        ),
    ),
    "thread": _Payload(
        Phrase("`{name}`, a `threading`/`queue` object,", "`{name}`（`threading`/`queue` 的对象）"),
        Phrase("it holds a `_thread.lock`", "它内部持有 `_thread.lock`"),
        Phrase(
            "'TypeError: cannot pickle '_thread.lock' object' (an RLock: '_thread.RLock')",
            "'TypeError: cannot pickle '_thread.lock' object'（RLock 为 '_thread.RLock'）",
        ),
        Phrase(
            "Use the `multiprocessing` twin, passed through Process args or a pool initializer.",
            "请改用 `multiprocessing` 中对应的对象，并通过 Process 参数或进程池的 `initializer=` 传递。",
        ),
    ),
    "inherited": _Payload(
        Phrase("`{name}`, a multiprocessing {kind},", "`{name}`（multiprocessing 的 {kind}）"),
        Phrase(
            "it may only be shared through inheritance: 'RuntimeError: ... objects should only "
            "be shared between processes through inheritance'",
            "它只能通过继承共享：'RuntimeError: ... objects should only be shared between "
            "processes through inheritance'",
        ),
        Phrase("", ""),
        Phrase(
            "Pass it as a Process argument or through a pool initializer, or use a Manager's.",
            "请作为 Process 参数或通过进程池的 `initializer=` 传递，或改用 Manager 提供的对象。",
        ),
    ),
}

# Where the payload goes, and what happens there ({error} is the payload's error).
_CHANNELS = {
    "queue": (
        Phrase("on a process queue", "被放入进程队列"),
        Phrase(
            "the queue's feeder thread prints a traceback ({error}) and drops the item, and the "
            "receiver waits for it for ever. ",
            "队列的后台线程打印异常（{error}）后丢弃该数据，接收方会一直等下去。",
        ),
    ),
    "pipe": (
        Phrase("through a Pipe connection", "通过 Pipe 连接发送"),
        Phrase("`send()` raises {error}. ", "`send()` 会抛出 {error}。"),
    ),
    "process": (
        Phrase(
            "as a Process argument (pickled under spawn/forkserver)",
            "作为 Process 参数（spawn/forkserver 下会被序列化）",
        ),
        Phrase("`start()` raises {error}. ", "`start()` 会抛出 {error}。"),
    ),
    "initargs": (
        Phrase(
            "as pool initializer arguments (pickled under spawn/forkserver)",
            "作为进程池 `initializer=` 的参数（spawn/forkserver 下会被序列化）",
        ),
        Phrase("starting the workers fails with {error}. ", "启动工作进程时会因 {error} 而失败。"),
    ),
    "pool": (
        Phrase("as a pool or executor task argument", "作为进程池或执行器任务的参数"),
        Phrase("the task fails with {error}. ", "该任务会因 {error} 而失败。"),
    ),
}


def _generator_function(function: cst.FunctionDef) -> bool:
    finder = _YieldFinder()
    function.body.visit(finder)
    return finder.found


class _YieldFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.found = True
        return False


def _is_builtin(facts: Facts, name: cst.Name, builtin: str) -> bool:
    return (
        name.value == builtin
        and not facts.visible_bindings(name)
        and name.value not in facts.imports
        and facts.local_definition(name) is None
    )


def _payload_of_value(facts: Facts, node: cst.BaseExpression) -> tuple[str, str] | None:
    """(payload key, name) for an expression that surely makes an unpicklable value."""
    if isinstance(node, cst.Lambda):
        return "lambda", ""
    if isinstance(node, cst.GeneratorExp):
        return "genexp", ""
    if isinstance(node, cst.Call):
        func = node.func
        qualname = facts.resolve(func)
        if isinstance(func, cst.Name) and _is_builtin(facts, func, "open"):
            return "file", ""
        if qualname in ("io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"):
            return "file", ""
        if qualname in ("sqlite3.connect",):
            return "database", ""
        if kind_of_constructor(qualname) in THREAD_PRIMITIVES:
            return "thread", source_text(node)
        if isinstance(func, cst.Name):
            definition = facts.local_definition(func)
            function = (
                definition if isinstance(definition, cst.FunctionDef) else facts.function_for(func)
            )
            if function is not None and not function.asynchronous and _generator_function(function):
                return "generator", f"{func.value}(...)"
    return None


def _unpicklable(
    facts: Facts, node: cst.BaseExpression, channel: str, depth: int = 0
) -> Iterator[tuple[cst.BaseExpression, str, str, str]]:
    """(node to report, payload key, name, kind) for each unpicklable part of a payload."""
    if depth > 3:
        return
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        for element in node.elements:
            if not isinstance(element, cst.StarredElement):
                yield from _unpicklable(facts, element.value, channel, depth + 1)
        return
    if isinstance(node, cst.Dict):
        for item in node.elements:
            if isinstance(item, cst.DictElement):
                yield from _unpicklable(facts, item.value, channel, depth + 1)
        return
    found = _payload_of_value(facts, node)
    if found is not None:
        if found[0] != "thread" or channel in ("queue", "pipe"):
            yield node, found[0], found[1], ""
        return
    if not isinstance(node, cst.Name):
        return
    definition = facts.local_definition(node)
    if isinstance(definition, cst.FunctionDef):
        yield node, "nested", node.value, ""
        return
    kind = facts.kind_through_parameters(node)
    if kind in THREAD_PRIMITIVES and channel in ("queue", "pipe"):
        yield node, "thread", node.value, ""
        return
    if kind in INHERITED_ONLY and channel in ("queue", "pipe", "pool"):
        origins = _origins(facts, node)
        if origins and all(kind_of_constructor(facts.resolve(o.func)) for o in origins):
            yield node, "inherited", node.value, _KIND_NAMES.get(kind, kind)
        return
    bindings = facts.visible_bindings(node)
    if not bindings:
        return
    keys = set()
    for binding in bindings:
        value = binding.value
        if value is None or binding.unpack_index is not None:
            return
        result = _payload_of_value(facts, value)
        if result is None:
            return
        keys.add(result[0])
    if len(keys) == 1:
        key = keys.pop()
        if key == "thread" and channel not in ("queue", "pipe"):
            return
        yield node, "generator" if key == "genexp" else key, node.value, ""


def _payloads(facts: Facts, call: cst.Call) -> Iterator[tuple[cst.BaseExpression, str]]:
    """The values a call sends to another process, with the channel they go through."""
    kind = facts.kind_of_call(call)
    if kind == Kind.PROCESS or kind in POOL_KINDS:
        if facts.may_spawn(call.func):
            channel = "process" if kind == Kind.PROCESS else "initargs"
            for argument in facts.sent_arguments(call):
                yield argument.value, channel
        return
    method = _method(call)
    receiver = _receiver(call)
    if method is None or receiver is None:
        return
    receiver_kind = _kind(facts, receiver)
    api = method_api(receiver_kind, method)
    if api is None:
        return
    if receiver_kind == Kind.QUEUE and api.sends is not None:
        yield from ((a.value, "queue") for a in sent_arguments(api, call))
    elif receiver_kind == Kind.PIPE and method == "send":
        yield from ((a.value, "pipe") for a in sent_arguments(api, call))
    elif receiver_kind in POOL_KINDS:
        one_by_one = api.items is not None or api.rest_are_items
        for argument in sent_arguments(api, call):
            if not one_by_one or isinstance(argument.value, cst.List | cst.Tuple):
                yield argument.value, "pool"


@check("MP401")
def unpicklable_payload(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        for payload, channel in _payloads(facts, call):
            if channel in ("process", "initargs") and not isinstance(
                payload, cst.Tuple | cst.List | cst.Dict
            ):
                continue  # args=params: not a literal we can read
            for node, key, name, kind in _unpicklable(facts, payload, channel):
                payload_facts = _PAYLOADS[key]
                where, outcome = _CHANNELS[channel]
                error = pickling_error(facts, node) if key == "lambda" else payload_facts.error
                yield Finding(
                    "MP401",
                    node,
                    {
                        "what": payload_facts.what.format(name=name, kind=kind),
                        "channel": where,
                        "why": payload_facts.why,
                        "outcome": _NO_OUTCOME
                        if key == "inherited"
                        else outcome.format(error=error),
                        "advice": payload_facts.advice,
                    },
                )


_NO_OUTCOME = Phrase("", "")


# -- MP402 -------------------------------------------------------------------

_PIPE_QUEUES = frozenset(
    {"multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue"}
)


def _process_calls(
    facts: Facts, node: cst.BaseExpression, depth: int = 0, lists: frozenset[str] = frozenset()
) -> list[cst.Call]:
    """The ``Process(...)`` calls a name holds: ``p``, or a loop variable over a list of them.
    ``lists``: the lists being expanded (a loop over one of them adds nothing new)."""
    if depth > 4:
        return []
    if isinstance(node, cst.Call):
        return [node] if facts.kind_of_call(node) == Kind.PROCESS else []
    if not isinstance(node, cst.Name):
        return []
    found: list[cst.Call] = []
    for binding in facts.visible_bindings(node):
        statement = binding.node
        if isinstance(statement, cst.For) and binding.value is None:
            if not isinstance(statement.target, cst.Name):
                return []
            if isinstance(statement.iter, cst.Name) and statement.iter.value in lists:
                continue
            inner = _process_elements(facts, statement.iter, depth + 1, lists)
        elif binding.value is not None and binding.unpack_index is None:
            inner = _process_calls(facts, binding.value, depth + 1, lists)
        else:
            return []
        if not inner:
            return []
        found.extend(c for c in inner if all(c is not f for f in found))
    return found


def _process_elements(
    facts: Facts, node: cst.BaseExpression, depth: int, lists: frozenset[str]
) -> list[cst.Call]:
    if isinstance(node, cst.List | cst.Tuple):
        found = []
        for element in node.elements:
            inner = _process_calls(facts, element.value, depth + 1, lists)
            if not inner:
                return []
            found.extend(inner)
        return found
    if isinstance(node, cst.ListComp | cst.GeneratorExp):
        return _process_calls(facts, node.elt, depth + 1, lists)
    if isinstance(node, cst.Name):
        bindings = facts.visible_bindings(node)
        if len(bindings) != 1 or bindings[0].value is None:
            return []
        value = bindings[0].value
        if isinstance(value, cst.List) and not value.elements:
            found = []
            for call in facts.calls:
                receiver = _receiver(call)
                if (
                    _method(call) == "append"
                    and isinstance(receiver, cst.Name)
                    and receiver.value == node.value
                    and facts.scope_of(call) is bindings[0].scope
                    and call.args
                ):
                    inner = _process_calls(
                        facts, call.args[0].value, depth + 1, lists | {node.value}
                    )
                    if not inner:
                        return []
                    found.extend(inner)
            return found
        return _process_elements(facts, value, depth + 1, lists)
    return []


def _queue_methods_on_parameters(
    facts: Facts, process_call: cst.Call
) -> list[tuple[cst.BaseExpression, set[str]]]:
    """For a Process call: (argument passed, queue methods the target calls on it)."""
    target = facts.task_argument(process_call)
    function = facts.function_for(target.value) if target is not None else None
    if function is None:
        return []
    site = next((s for s in facts.call_sites.get(function, ()) if s.call is process_call), None)
    if site is None:
        return []
    params = function.params
    found = []
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        argument = site.argument_for(param)
        if argument is None:
            continue
        methods = set()
        for call in facts.calls_by_function.get(function, ()):
            receiver = _receiver(call)
            if isinstance(receiver, cst.Name) and receiver.value == param.name.value:
                bindings = facts.visible_bindings(receiver)
                if len(bindings) == 1 and bindings[0].node is param:
                    methods.add(_method(call) or "")
        found.append((argument, methods))
    return found


def _same_variable(facts: Facts, first: cst.Name, second: cst.BaseExpression) -> bool:
    if not isinstance(second, cst.Name) or first.value != second.value:
        return False
    a, b = facts.visible_bindings(first), facts.visible_bindings(second)
    return bool(a) and bool(b) and a[0] is b[0]


def _is_pipe_queue(facts: Facts, name: cst.Name) -> bool:
    bindings = facts.visible_bindings(name)
    return bool(bindings) and all(
        isinstance(b.value, cst.Call)
        and b.unpack_index is None
        and facts.resolve(b.value.func) in _PIPE_QUEUES
        for b in bindings
    )


_GETS = frozenset({"get", "get_nowait"})
_PUTS = frozenset({"put", "put_nowait"})


def _drain_kind(facts: Facts, call: cst.Call, queue: cst.Name) -> str | None:
    """ "drain" when the call takes items off the queue (here, or in a child it makes);
    "unknown" when it hands the queue to code we cannot follow; None otherwise."""
    receiver = _receiver(call)
    if receiver is not None and _same_variable(facts, queue, receiver):
        return "drain" if _method(call) in _GETS else None
    passes = any(_same_variable(facts, queue, arg.value) for arg in call.args) or (
        facts.kind_of_call(call) == Kind.PROCESS
        and any(
            isinstance(argument, cst.Tuple | cst.List)
            and any(_same_variable(facts, queue, e.value) for e in argument.elements)
            for argument in (a.value for a in call.args)
        )
    )
    if not passes:
        return None
    if facts.kind_of_call(call) == Kind.PROCESS:
        for argument, methods in _queue_methods_on_parameters(facts, call):
            if _same_variable(facts, queue, argument):
                if methods & _GETS:
                    return "drain"
                if methods <= (_PUTS | {"close", "join_thread", "cancel_join_thread"}):
                    return None
        return "unknown"
    return "unknown"


@check("MP402")
def join_before_drain(facts: Facts) -> Iterator[Finding]:
    order = {id(call): index for index, call in enumerate(facts.calls)}
    for join in facts.calls:
        if _method(join) != "join" or join.args:
            continue
        receiver = _receiver(join)
        if receiver is None:
            continue
        processes = _process_calls(facts, receiver)
        scope = facts.scope_of(join)
        reported = False
        for process in processes:
            if reported or facts.scope_of(process) is not scope:
                continue
            for argument, methods in _queue_methods_on_parameters(facts, process):
                if not isinstance(argument, cst.Name) or not methods & _PUTS:
                    continue
                if not _is_pipe_queue(facts, argument):
                    continue
                if not may_overfill(facts, process, argument):
                    continue  # one small put cannot fill the pipe
                if _join_comes_first(facts, order, process, join, argument, scope):
                    yield Finding(
                        "MP402",
                        join,
                        {"process": source_text(receiver), "queue": argument.value},
                    )
                    reported = True
                    break


def _join_comes_first(
    facts: Facts,
    order: dict[int, int],
    process: cst.Call,
    join: cst.Call,
    queue: cst.Name,
    scope: cst.CSTNode,
) -> bool:
    start, end = order[id(process)], order[id(join)]
    drained_after = False
    # A child that puts in a loop outlasts a parent that takes a fixed few items first.
    puts_repeat = _puts_repeat(facts, process, queue)
    single_takes = 0
    for call in facts.calls:
        index = order[id(call)]
        if index <= start or call is process or facts.scope_of(call) is not scope:
            continue
        kind = _drain_kind(facts, call, queue)
        if kind is None:
            continue
        if kind == "drain" and facts.kind_of_call(call) == Kind.PROCESS:
            # A reader process drains from its start(), not from its creation.
            starts = [
                order[id(other)]
                for other in facts.calls
                if _method(other) == "start"
                and _receiver(other) is not None
                and any(p is call for p in _process_calls(facts, _receiver(other)))  # type: ignore[arg-type]
            ]
            if not starts:
                return False
            index = min(starts)
        if index < end:
            if puts_repeat and kind == "drain" and _takes_once(facts, call, queue):
                single_takes += 1
                continue
            return False  # drained (or maybe drained) before the join
        if kind == "unknown":
            continue
        if not flow.exclusive(facts, join, call):
            drained_after = True
    return drained_after or single_takes > 0


def _puts_repeat(facts: Facts, process: cst.Call, queue: cst.Name) -> bool:
    """The child's function puts to this queue inside a loop."""
    target = facts.task_argument(process)
    function = facts.function_for(target.value) if target is not None else None
    site = (
        next((s for s in facts.call_sites.get(function, ()) if s.call is process), None)
        if function is not None
        else None
    )
    if function is None or site is None:
        return False
    params = function.params
    names = {
        param.name.value
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]
        if (argument := site.argument_for(param)) is not None
        and _same_variable(facts, queue, argument)
    }
    return any(
        _method(call) in _PUTS
        and isinstance(receiver := _receiver(call), cst.Name)
        and receiver.value in names
        and flow.in_loop(facts, call)
        for call in facts.calls_by_function.get(function, ())
    )


def _takes_once(facts: Facts, call: cst.Call, queue: cst.Name) -> bool:
    """``q.get()`` of this very queue, run once (not in a loop or comprehension)."""
    receiver = _receiver(call)
    return (
        receiver is not None
        and _same_variable(facts, queue, receiver)
        and _method(call) in _GETS
        and not flow.in_loop(facts, call)
    )


# -- MP403 -------------------------------------------------------------------

_THREAD_NAMES = {
    Kind.THREAD_LOCK: ("`threading.Lock`", "Lock"),
    Kind.THREAD_SEMAPHORE: ("`threading.Semaphore`", "Semaphore"),
    Kind.THREAD_CONDITION: ("`threading.Condition`", "Condition"),
    Kind.THREAD_EVENT: ("`threading.Event`", "Event"),
    Kind.THREAD_QUEUE: ("`queue.Queue`", "Queue"),
    Kind.THREAD_BARRIER: ("`threading.Barrier`", "Barrier"),
}


def _sent_elements(facts: Facts, call: cst.Call) -> Iterator[tuple[cst.BaseExpression, str]]:
    """Arguments a call hands to a function run in a child process: (element, how).
    Through ``args``/``kwargs``/``initargs`` literals, the rest of ``submit``, the
    tuples of ``starmap`` and the bound arguments of a ``functools.partial`` task."""
    kind = facts.kind_of_call(call)
    if kind == Kind.PROCESS or kind in POOL_KINDS:
        api = facts.api_of(call)
        how = "process" if kind == Kind.PROCESS else "pool"
    else:
        receiver = _receiver(call)
        method = _method(call)
        receiver_kind = _kind(facts, receiver) if receiver is not None else None
        if receiver_kind not in POOL_KINDS or method is None:
            return
        api = method_api(receiver_kind, method)
        how = "pool"
    if api is None:
        return
    task = api.argument(call, api.task) if api.task is not None else None
    if task is not None and not task.star:
        for value in facts.partial_arguments(task.value):
            yield value, how
    tuples = starmap_tuples(api, call)
    if tuples is not None:
        for elements in tuples:
            yield from ((element, how) for element in elements)
        return
    for argument in sent_arguments(api, call):
        if api.rest_are_args:
            yield argument.value, how
            continue
        if api.items is not None or api.rest_are_items:
            continue
        literal = argument.value
        if isinstance(literal, cst.Tuple | cst.List):
            for element in literal.elements:
                if not isinstance(element, cst.StarredElement):
                    yield element.value, how
        elif isinstance(literal, cst.Dict):
            for item in literal.elements:
                if isinstance(item, cst.DictElement):
                    yield item.value, how


def _multiprocessing_queue_name(facts: Facts) -> str | None:
    """How this file can spell ``multiprocessing.Queue`` with its own imports."""
    bound = {name for _, name in facts.bindings}
    for local, qualname in facts.imports.items():
        if qualname == "multiprocessing.Queue" and local not in bound and "." not in local:
            return local
    for local, qualname in facts.imports.items():
        if qualname == "multiprocessing" and local not in bound:
            return f"{local}.Queue"
    return None


def _queue_fix(facts: Facts, node: cst.BaseExpression, fixed: set[int]) -> FixPlan | None:
    origins = _origins(facts, node)
    if len(origins) != 1 or facts.resolve(origins[0].func) != "queue.Queue":
        return None
    creation = origins[0]
    spelling = _multiprocessing_queue_name(facts)
    if spelling is None or id(creation) in fixed:
        return None
    fixed.add(id(creation))
    return FixPlan(
        f"Use {spelling}() instead of queue.Queue()",
        Applicability.UNSAFE,
        (Replace(creation.func, spelling),),
    )


_HOW_403 = {
    "process": (
        Phrase("is passed to a child process", "被传给了子进程"),
        Phrase(
            "under fork each process gets its own copy and nothing is shared; under "
            "spawn/forkserver `start()` raises 'TypeError: cannot pickle '_thread.lock' object'.",
            "在 fork 下每个进程得到各自的副本，什么也没有共享；在 spawn/forkserver 下 `start()` "
            "会报 'TypeError: cannot pickle '_thread.lock' object'。",
        ),
    ),
    "pool": (
        Phrase("is passed to a pool or executor", "被传给了进程池或执行器"),
        Phrase(
            "pickling it fails with 'TypeError: cannot pickle '_thread.lock' object'.",
            "序列化时会报 'TypeError: cannot pickle '_thread.lock' object'。",
        ),
    ),
    "global": (
        Phrase(
            "is used both by the parent and by code that runs in a child process",
            "同时被父进程和在子进程中运行的代码使用",
        ),
        Phrase(
            "each process has its own copy (under spawn a fresh one), so nothing is shared.",
            "每个进程拿到的都是自己的副本（spawn 下是全新的对象），什么也没有共享。",
        ),
    ),
}


def _finding_403(
    facts: Facts, node: cst.BaseExpression, kind: Kind, how: str, fixed: set[int]
) -> Finding:
    what, replacement = _THREAD_NAMES[kind]
    how_phrase, outcome = _HOW_403[how]
    return Finding(
        "MP403",
        node,
        {
            "name": source_text(node),
            "what": what,
            "replacement": replacement,
            "how": how_phrase,
            "outcome": outcome,
        },
        fix=_queue_fix(facts, node, fixed) if kind == Kind.THREAD_QUEUE else None,
    )


@check("MP403")
def thread_primitive_across_processes(facts: Facts) -> Iterator[Finding]:
    fixed: set[int] = set()
    for call in facts.calls:
        for element, how in _sent_elements(facts, call):
            kind = _kind(facts, element)
            if kind in THREAD_PRIMITIVES:
                yield _finding_403(facts, element, kind, how, fixed)
    # A threading primitive kept on a Process subclass: start() pickles the object with
    # its attributes under spawn/forkserver; under fork each side has its own copy.
    for attribute, kind in _thread_primitives_on_processes(facts):
        yield _finding_403(facts, attribute, kind, "process", fixed)
    # A module-level thread primitive read both in the parent and in a child's code.
    reach = _child_reachable(facts)
    if not reach:
        return
    for (scope, name), bindings in facts.bindings.items():
        if not isinstance(scope, cst.Module) or len(bindings) != 1:
            continue
        value = bindings[0].value
        if not isinstance(value, cst.Call) or bindings[0].unpack_index is not None:
            continue
        kind = kind_of_constructor(facts.resolve(value.func))
        if kind not in THREAD_PRIMITIVES or _rebound_by_global(facts, name):
            continue
        loads = flow.loads_of(facts, name, scope)
        in_child = [n for n in loads if facts.function_of(n) in reach]
        in_parent = [n for n in loads if facts.function_of(n) not in reach]
        if in_child and in_parent:
            yield _finding_403(facts, in_child[0], kind, "global", fixed)


def _thread_primitives_on_processes(
    facts: Facts,
) -> Iterator[tuple[cst.BaseExpression, Kind]]:
    """``self.lock = threading.Lock()`` in a method other than ``run`` of a Process
    subclass this file makes (and that does not define its own pickling)."""
    made = {
        id(base)
        for call in facts.calls
        if (cls := facts.local_class(call.func)) is not None
        for base in facts.class_chain(cls)
    }
    for cls in facts.process_subclasses.values():
        if id(cls) not in made or any(
            facts.method_of(cls, name) is not None
            for name in ("__getstate__", "__reduce__", "__reduce_ex__")
        ):
            continue
        for binding in facts.self_attribute_bindings:
            function = facts.function_of(binding.node)
            if function is None or facts.class_of(function) is not cls:
                continue
            if function.name.value == "run" or binding.target is None:
                continue
            kind = facts.kind_of(binding.value)
            if kind in THREAD_PRIMITIVES:
                yield binding.target, kind


def _rebound_by_global(facts: Facts, name: str) -> bool:
    return any(name in names for names in facts.globals_declared.values())


# -- MP404 -------------------------------------------------------------------


def _blocking(call: cst.Call) -> bool:
    """A get()/put() that waits without a timeout: the one a stale size check misleads."""
    method = _method(call)
    if method not in ("get", "put"):
        return False
    api = method_api(Kind.QUEUE, method)
    assert api is not None
    block = api.argument(call, "block")
    if block is not None and (
        block.star or not (isinstance(block.value, cst.Name) and block.value.value == "True")
    ):
        return False
    timeout = api.argument(call, "timeout")
    return timeout is None or (not timeout.star and _is_none(timeout.value))


_TAKE_FIRST = Phrase("take the item", "先把这个数据取走")
_FILL_FIRST = Phrase("fill the free slot", "先占掉空位")


@check("MP404")
def queue_size_race(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        method = _method(call)
        receiver = _receiver(call)
        if method not in ("empty", "full", "qsize") or receiver is None:
            continue
        statement = flow.deciding_statement(facts, call)
        branches = flow.decided_regions(facts, call)
        if statement is None or not branches or _kind(facts, receiver) != Kind.QUEUE:
            continue
        if _after_join(facts, call):
            continue  # the producers have finished: the queue no longer changes under us
        actions = [
            other
            for other in _calls_in(facts, call)
            if _blocking(other)
            and _same(_receiver(other) or other, receiver)
            and any(facts.is_inside(other, branch) for branch in branches)
        ]
        if actions:
            if method != "qsize" and not stale_answer_harms(
                facts, call, statement, receiver, actions[0]
            ):
                continue  # one consumer (producer), or a queue that no longer changes
            getting = _method(actions[0]) == "get"
            shown = source_text(receiver)
            params: dict[str, str | Phrase] = {
                "call": source_text(call),
                "action": f"{shown}.get()" if getting else f"{shown}.put(...)",
                "action_timeout": f"{shown}.get(timeout=...)"
                if getting
                else f"{shown}.put(..., timeout=...)",
            }
            if method == "qsize":
                variant = "qsize"
            elif isinstance(statement, cst.While) and getting:
                variant = "drain"
            else:
                variant = "several"
                params["verb"] = _TAKE_FIRST if getting else _FILL_FIRST
                params["exception"] = "queue.Empty" if getting else "queue.Full"
            yield Finding("MP404", call, params, variant=variant)


def _after_join(facts: Facts, call: cst.Call) -> bool:
    """True when a ``join()`` (no timeout) runs before the call in its function, with no
    ``start()`` after it, and the call is not in a loop around that join."""
    joined = False
    for other in _calls_in(facts, call):
        if other is call:
            return joined
        method = _method(other)
        if method == "join" and not other.args and not _inside_loop_of(facts, call, other):
            joined = True
        elif method == "start":
            joined = False
    return False


def _inside_loop_of(facts: Facts, call: cst.Call, other: cst.Call) -> bool:
    """True when a loop holds both calls (the join may come after on the next round)."""
    for ancestor in facts.ancestors(call):
        if _function_boundary(ancestor):
            return False
        if isinstance(ancestor, cst.For | cst.While) and flow.is_inside(facts, other, ancestor):
            if flow.is_inside(facts, other, ancestor.body):
                return True
    return False


# -- MP405 -------------------------------------------------------------------


def _in_finally_or_handler(facts: Facts, node: cst.CSTNode) -> bool:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.Finally | cst.ExceptHandler):
            return True
        if _function_boundary(ancestor):
            return False
    return False


@check("MP405")
def acquire_without_release(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        receiver = _receiver(call)
        if _method(call) != "acquire" or receiver is None or dotted_name(receiver) is None:
            continue
        if _kind(facts, receiver) not in (Kind.LOCK, Kind.SEMAPHORE, Kind.CONDITION):
            continue
        releases = [
            other
            for other in _calls_in(facts, call)
            if _method(other) == "release" and _same(_receiver(other) or other, receiver)
        ]
        if not releases:
            # Released by another method of the class (enter/leave, __enter__/__exit__):
            # safe when the acquire is the last thing its method does.
            if _released_by_another_method(facts, call, receiver) and not _ends_method(facts, call):
                yield Finding("MP405", call, {"lock": source_text(receiver)})
            continue  # else released elsewhere (another module?): unsure
        if any(_in_finally_or_handler(facts, r) for r in releases):
            continue  # released in a finally
        if any(_nothing_raises_before(facts, call, receiver, r) for r in releases):
            continue  # acquire(); release() with only a Value update, a log line, a sleep
        yield Finding(
            "MP405",
            call,
            {"lock": source_text(receiver)},
            fix=_with_block_fix(facts, call, receiver, releases),
        )


def _released_by_another_method(
    facts: Facts, acquire: cst.Call, receiver: cst.BaseExpression
) -> bool:
    """``self.lock.release()`` in another method of the class that acquires ``self.lock``."""
    if not (isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)):
        return False
    if receiver.value.value != "self":
        return False
    mine = facts.attribute_bindings_of(receiver)
    here = facts.function_of(acquire)
    if not mine or here is None:
        return False
    for call in facts.method_calls("release"):
        other = _receiver(call)
        if not isinstance(other, cst.Attribute) or other.attr.value != receiver.attr.value:
            continue
        if facts.function_of(call) is not here and facts.attribute_bindings_of(other) == mine:
            return True
    return False


def _ends_method(facts: Facts, call: cst.Call) -> bool:
    """The acquire is a whole statement and only ``return``/``return self``/``pass``
    follow it in its method: nothing can raise between it and the release."""
    line = _statement_line(facts, call)
    function = facts.function_of(call)
    if line is None or function is None or facts.parent(line) is not function.body:
        return False
    body = list(function.body.body)
    rest = body[body.index(line) + 1 :]
    for statement in rest:
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Return) and (
                small.value is None or isinstance(small.value, cst.Name)
            ):
                continue
            return False
    return True


def _nothing_raises_before(
    facts: Facts, acquire: cst.Call, lock: cst.BaseExpression, release: cst.Call
) -> bool:
    """True when every statement run between the acquire and the release is one that
    cannot raise (see ``harmless``): the release is always reached."""
    held = frozenset(filter(None, [dotted_name(lock)]))
    expression = facts.parent(acquire)
    if isinstance(expression, cst.If) and expression.test is acquire:
        return _reaches(facts, list(_block_statements(expression.body)), release, held)
    line = _statement_line(facts, acquire)
    block = facts.parent(line) if line is not None else None
    if line is None or not isinstance(block, cst.IndentedBlock | cst.Module):
        return False
    body = list(block.body)
    return _reaches(facts, body[body.index(line) + 1 :], release, held)


def _block_statements(block: cst.BaseSuite) -> list[cst.BaseStatement]:
    return list(block.body) if isinstance(block, cst.IndentedBlock) else []


def _reaches(
    facts: Facts, statements: list[cst.BaseStatement], release: cst.Call, held: frozenset[str]
) -> bool:
    """The statements run in order until one holds the release; all before it are safe,
    and that one leads to the release safely (its own line, or the first steps of a
    ``try`` body or of a ``while True`` loop)."""
    for statement in statements:
        if not facts.is_inside(release, statement):
            if not statement_cannot_raise(facts, statement, held):
                return False
            continue
        if isinstance(statement, cst.SimpleStatementLine):
            return _statement_line(facts, release) is statement
        if isinstance(statement, cst.Try) or (
            isinstance(statement, cst.While)
            and isinstance(statement.test, cst.Name)
            and statement.test.value == "True"
        ):
            return _reaches(facts, _block_statements(statement.body), release, held)
        return False
    return False


def _statement_line(facts: Facts, call: cst.Call) -> cst.SimpleStatementLine | None:
    """The line when the call is a whole statement of its own: ``lock.acquire()``."""
    expression = facts.parent(call)
    line = facts.parent(expression) if expression is not None else None
    if (
        isinstance(expression, cst.Expr)
        and isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
    ):
        return line
    return None


class _Jumps(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True

    def visit_Continue(self, node: cst.Continue) -> None:
        self.found = True

    def visit_Yield(self, node: cst.Yield) -> None:
        self.found = True


def _with_block_fix(
    facts: Facts, acquire: cst.Call, lock: cst.BaseExpression, releases: list[cst.Call]
) -> FixPlan | None:
    """``lock.acquire()`` ... ``lock.release()`` as plain statements of one block, with
    only simple statements between them: turn them into ``with lock:``."""
    if acquire.args or len(releases) != 1:
        return None
    first, last = _statement_line(facts, acquire), _statement_line(facts, releases[0])
    if first is None or last is None or releases[0].args:
        return None
    block = facts.parent(first)
    if block is None or facts.parent(last) is not block:
        return None
    body = list(block.body) if isinstance(block, cst.IndentedBlock | cst.Module) else []
    if first not in body or last not in body:
        return None
    start, end = body.index(first), body.index(last)
    if end <= start:
        return None
    middle = body[start + 1 : end]
    unit = block.indent if isinstance(block, cst.IndentedBlock) and block.indent else None
    unit = unit or facts.module.default_indent
    edits: list[Edit] = [Replace(first, f"with {source_text(lock)}:")]
    for statement in middle:
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        jumps = _Jumps()
        statement.visit(jumps)
        code = _line_code(statement)
        if jumps.found or '"""' in code or "'''" in code or "\\\n" in code:
            return None
        edits.append(Replace(statement, unit + code))
    edits.append(Replace(last, "" if middle else unit + "pass"))
    return FixPlan(f"Use `with {source_text(lock)}:`", Applicability.SAFE, tuple(edits))


# -- MP406 -------------------------------------------------------------------

_KIND_NAMES = {
    Kind.LOCK: "Lock",
    Kind.SEMAPHORE: "Semaphore",
    Kind.CONDITION: "Condition",
    Kind.EVENT: "Event",
    Kind.BARRIER: "Barrier",
    Kind.QUEUE: "Queue",
    Kind.VALUE: "Value",
    Kind.ARRAY: "Array",
    Kind.RAW_VALUE: "RawValue",
    Kind.RAW_ARRAY: "RawArray",
}


@check("MP406")
def implicit_shared_resource(facts: Facts) -> Iterator[Finding]:
    if not facts.may_spawn():
        return
    reach = _child_reachable(facts)
    if not reach:
        return
    for (scope, name), bindings in facts.bindings.items():
        if not isinstance(scope, cst.Module) or len(bindings) != 1:
            continue
        binding = bindings[0]
        value = binding.value
        if not isinstance(value, cst.Call) or binding.unpack_index is not None:
            continue
        if not facts.runs_at_import(binding.node) or not facts.may_spawn(value.func):
            continue
        kind = kind_of_constructor(facts.resolve(value.func))
        if kind not in SHARED_AT_MODULE_LEVEL or _rebound_by_global(facts, name):
            continue
        reported: set[cst.FunctionDef] = set()
        for load in flow.loads_of(facts, name, scope):
            function = facts.function_of(load)
            if function is None or function not in reach or function in reported:
                continue
            reported.add(function)
            yield Finding("MP406", load, {"name": name, "what": _KIND_NAMES[kind]})


# -- MP407 -------------------------------------------------------------------


@check("MP407")
def condition_wait_without_predicate(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        receiver = _receiver(call)
        if _method(call) != "wait" or receiver is None:
            continue
        if _kind(facts, receiver) not in CONDITION_KINDS:
            continue
        if isinstance(facts.scope_of(call), cst.Lambda):
            continue
        in_while = False
        for ancestor in facts.ancestors(call):
            if _function_boundary(ancestor):
                break
            if isinstance(ancestor, cst.While):
                in_while = True
                break
        if not in_while:
            yield Finding("MP407", call, {"cond": source_text(receiver)})


# -- MP408 -------------------------------------------------------------------

_LOCK_HINTS = ("lock", "mutex", "sem", "cond")


def _guarded(facts: Facts, node: cst.CSTNode) -> bool:
    """Inside ``with <a lock>:``, or in a function that takes a lock by hand."""
    for item in flow.enclosing_with_items(facts, node):
        expression = item.item
        if isinstance(expression, cst.Call) and _method(expression) == "get_lock":
            return True
        kind = _kind(facts, expression)
        if kind is not None and (kind in PROCESS_LOCK_KINDS or kind.startswith("thread-")):
            return True
        text = (dotted_name(expression) or "").lower()
        if kind is None and any(hint in text for hint in _LOCK_HINTS):
            return True
    for call in _calls_in(facts, node):
        if _method(call) == "acquire":
            return True
    return False


def _shared_target(
    facts: Facts, target: cst.BaseExpression
) -> tuple[cst.BaseExpression, str] | None:
    """``v.value`` of a Value, or ``a[i]`` of an Array with an index every process uses."""
    if isinstance(target, cst.Attribute) and target.attr.value == "value":
        kind = _kind(facts, target.value)
        if kind in (Kind.VALUE, Kind.RAW_VALUE):
            return target.value, kind
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        kind = _kind(facts, target.value)
        index = target.slice[0].slice
        if kind in (Kind.ARRAY, Kind.RAW_ARRAY) and isinstance(index, cst.Index):
            if _shared_index(facts, index.value):
                return target.value, kind
    return None


def _shared_index(facts: Facts, index: cst.BaseExpression) -> bool:
    """A literal index, or the variable of ``for i in range(n)``: the same elements in
    every process (a per-process index, such as a parameter, may be a partition)."""
    if isinstance(index, cst.Integer):
        return True
    if isinstance(index, cst.Name):
        bindings = facts.visible_bindings(index)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.For):
            loop = bindings[0].node
            iterator = loop.iter
            return (
                isinstance(iterator, cst.Call)
                and isinstance(iterator.func, cst.Name)
                and _is_builtin(facts, iterator.func, "range")
                and len(iterator.args) == 1
                and loop.target is not None
                and isinstance(loop.target, cst.Name)
            )
    return False


def _mentions(node: cst.CSTNode, target: cst.BaseExpression) -> bool:
    finder = _SameCode(source_text(target))
    node.visit(finder)
    return finder.found


class _SameCode(cst.CSTVisitor):
    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.found:
            return False
        if isinstance(node, cst.Attribute | cst.Subscript) and source_text(node) == self.code:
            self.found = True
            return False
        return True


def _raw_or_unlocked(facts: Facts, holder: cst.BaseExpression) -> bool:
    """True when some object this may be has no get_lock(): RawValue, or lock=False."""
    origins = _origins(facts, holder)
    if not origins:
        return True
    for origin in origins:
        if facts.resolve(origin.func) not in ("multiprocessing.Value", "multiprocessing.Array"):
            return True
        lock = call_argument(origin, "lock")
        if lock is not None and not (
            isinstance(lock.value, cst.Name) and lock.value.value == "True"
        ):
            return True
    return False


_HOLD_A_LOCK = Phrase(
    "Hold a `multiprocessing.Lock` around it (`with lock:`), passed to every process.",
    "请用一把传给所有进程的 `multiprocessing.Lock` 把它包起来（`with lock:`）。",
)
_USE_GET_LOCK = Phrase(
    "Wrap it in `with {name}.get_lock():`.", "请把它放进 `with {name}.get_lock():` 中。"
)


@check("MP408")
def shared_value_race(facts: Facts) -> Iterator[Finding]:
    reach = _child_reachable(facts)
    for function in reach:
        finder = _ReadModifyWrite()
        function.body.visit(finder)
        for statement, target in finder.found:
            shared = _shared_target(facts, target)
            if shared is None or facts.function_of(statement) is not function:
                continue
            if isinstance(statement, cst.Assign) and not _mentions(statement.value, target):
                continue
            if _guarded(facts, statement):
                continue
            holder, kind = shared
            name = source_text(holder)
            raw = kind.startswith("raw-") or _raw_or_unlocked(facts, holder)
            what = "Value" if kind.endswith("value") else "Array"
            if kind.startswith("raw-"):
                what = "Raw" + what
            if raw:
                advice = _HOLD_A_LOCK
            else:
                advice = _USE_GET_LOCK.format(name=name)
            yield Finding(
                "MP408",
                statement,
                {
                    "statement": source_text(statement),
                    "what": what,
                    "name": name,
                    "advice": advice,
                },
                fix=None if raw else _get_lock_fix(facts, statement, name),
            )


class _ReadModifyWrite(FastVisitor):
    """``x += ...`` and ``x = ...`` statements (nested functions excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.AugAssign | cst.Assign, cst.BaseExpression]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.found.append((node, node.target))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self.found.append((node, node.targets[0].target))


def _get_lock_fix(facts: Facts, statement: cst.CSTNode, name: str) -> FixPlan | None:
    line = facts.parent(statement)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    indent = _block_indent(facts, line)
    if indent is None:
        return None
    block = facts.parent(line)
    unit = (
        block.indent
        if isinstance(block, cst.IndentedBlock) and block.indent
        else facts.module.default_indent
    )
    code = _line_code(line)
    if "\n" in code:
        return None
    return FixPlan(
        f"Wrap it in `with {name}.get_lock():`",
        Applicability.SAFE,
        (Replace(line, f"with {name}.get_lock():\n{indent}{unit}{code}"),),
    )


# -- MP409 -------------------------------------------------------------------

_EMPTY_NAMES = frozenset(
    {"queue.Empty", "_queue.Empty", "multiprocessing.queues.Empty", "Exception", "BaseException"}
)
_FACTORY_QUEUES = frozenset(
    {"multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue"}
)


def _may_raise_empty(call: cst.Call) -> bool:
    """get(False), get(block=False), get_nowait(), get(timeout=...)."""
    method = _method(call)
    if method == "get_nowait":
        return True
    if method != "get":
        return False
    api = method_api(Kind.QUEUE, "get")
    assert api is not None
    block = api.argument(call, "block")
    if block is not None and not block.star and _arg_is_false(block):
        return True
    timeout = api.argument(call, "timeout")
    return timeout is not None and not timeout.star and not _is_none(timeout.value)


def _broken_empty(facts: Facts, node: cst.BaseExpression) -> bool:
    """``multiprocessing.Queue.Empty``: an attribute of the Queue factory function."""
    return (
        isinstance(node, cst.Attribute)
        and node.attr.value == "Empty"
        and facts.resolve(node.value) in _FACTORY_QUEUES
    )


def _handles_empty(facts: Facts, handler_type: cst.BaseExpression | None) -> bool:
    """True when the handler catches queue.Empty, or may (we cannot tell what it names)."""
    if handler_type is None:
        return True
    if isinstance(handler_type, cst.Tuple):
        return any(_handles_empty(facts, e.value) for e in handler_type.elements)
    if _broken_empty(facts, handler_type):
        return True  # reported on its own
    qualname = facts.resolve(handler_type)
    if qualname is not None:
        # A standard-library name we know is not Empty; another module's may be a subclass.
        top = qualname.split(".", 1)[0]
        return qualname in _EMPTY_NAMES or top not in sys.stdlib_module_names
    if isinstance(handler_type, cst.Name) and not facts.visible_bindings(handler_type):
        builtin = getattr(builtins, handler_type.value, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return handler_type.value in _EMPTY_NAMES
    return True


def _handled(facts: Facts, call: cst.Call) -> bool:
    child: cst.CSTNode = call
    for ancestor in facts.ancestors(call):
        if _function_boundary(ancestor):
            return False
        if isinstance(ancestor, cst.Try | cst.TryStar) and child is ancestor.body:
            if any(_handles_empty(facts, h.type) for h in ancestor.handlers):
                return True
        if isinstance(ancestor, cst.With) and child is ancestor.body:
            for item in ancestor.items:
                if (
                    isinstance(item.item, cst.Call)
                    and facts.resolve(item.item.func) == "contextlib.suppress"
                ):
                    return True
        child = ancestor
    return False


def _import_queue_edit(facts: Facts) -> Edit | None:
    if facts.imports.get("queue") == "queue":
        return None
    for statement in facts.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Import)
            or (
                isinstance(small, cst.ImportFrom)
                and not (isinstance(small.module, cst.Name) and small.module.value == "__future__")
            )
            for small in statement.body
        ):
            return InsertLineBefore(statement, "import queue")
    return None


@check("MP409")
def queue_empty_misuse(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        receiver = _receiver(call)
        if receiver is None or not _may_raise_empty(call):
            continue
        if _kind(facts, receiver) != Kind.QUEUE or _handled(facts, call):
            continue
        yield Finding(
            "MP409",
            call,
            {"call": source_text(call)},
            variant="unhandled",
        )
    shadowed = any(name == "queue" for _, name in facts.bindings)
    for handler_type in _handler_types(facts):
        if not _broken_empty(facts, handler_type):
            continue
        fix = None
        if not shadowed:
            edits: list[Edit] = [Replace(handler_type, "queue.Empty")]
            insert = _import_queue_edit(facts)
            if insert is not None or facts.imports.get("queue") == "queue":
                if insert is not None:
                    edits.append(insert)
                fix = FixPlan("Catch queue.Empty", Applicability.SAFE, tuple(edits))
        yield Finding(
            "MP409",
            handler_type,
            {"handler": source_text(handler_type)},
            variant="no_such_exception",
            fix=fix,
        )


def _handler_types(facts: Facts) -> Iterator[cst.BaseExpression]:
    """``X.Empty`` expressions named by an ``except`` clause (alone or in a tuple)."""
    for name in facts.name_nodes.get("Empty", ()):
        parent = facts.parent(name)
        if not isinstance(parent, cst.Attribute) or parent.attr is not name:
            continue
        container = facts.parent(parent)
        while isinstance(container, cst.Element | cst.Tuple):
            container = facts.parent(container)
        if isinstance(container, cst.ExceptHandler | cst.ExceptStarHandler):
            yield parent


# -- MP410 -------------------------------------------------------------------

_LOCK_CONSTRUCTORS = frozenset(
    {
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Semaphore",
        "multiprocessing.BoundedSemaphore",
    }
)


def _lock_constructor(facts: Facts, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and facts.resolve(node.func) in _LOCK_CONSTRUCTORS


def _only_used_locally(facts: Facts, name: str, function: cst.FunctionDef) -> bool:
    """Every read of the lock is ``with lock:`` or ``lock.acquire()/release()`` in the
    function itself: it never leaves the function."""
    loads = flow.loads_of(facts, name, function)
    if not loads:
        return False
    for load in loads:
        if facts.function_of(load) is not function:
            return False
        parent = facts.parent(load)
        if isinstance(parent, cst.WithItem) and parent.item is load:
            continue
        if isinstance(parent, cst.Attribute) and parent.value is load:
            call = facts.parent(parent)
            if (
                isinstance(call, cst.Call)
                and call.func is parent
                and parent.attr.value
                in (
                    "acquire",
                    "release",
                )
            ):
                continue
        return False
    return True


@check("MP410")
def lock_made_per_use(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        if not _lock_constructor(facts, call):
            continue
        parent = facts.parent(call)
        if isinstance(parent, cst.WithItem) and parent.item is call:
            yield Finding(
                "MP410",
                call,
                {"call": source_text(call)},
                variant="with_new_lock",
            )
        elif isinstance(parent, cst.Attribute) and parent.value is call:
            yield Finding(
                "MP410",
                call,
                {"call": source_text(call)},
                variant="thrown_away",
            )
    reach = _child_reachable(facts)
    for (scope, name), bindings in facts.bindings.items():
        if not isinstance(scope, cst.FunctionDef) or scope not in reach or len(bindings) != 1:
            continue
        binding = bindings[0]
        if binding.value is None or binding.unpack_index is not None:
            continue
        if not _lock_constructor(facts, binding.value) or isinstance(binding.node, cst.WithItem):
            continue
        if name in facts.globals_declared.get(scope, set()):
            continue
        if _only_used_locally(facts, name, scope):
            yield Finding(
                "MP410",
                binding.value,
                {"name": name, "function": scope.name.value},
                variant="made_in_child",
            )


# -- MP411 -------------------------------------------------------------------

_NEEDS_LOCK = {"notify": "notify", "notify_all": "notify", "wait": "wait", "wait_for": "wait"}


def _condition_error(kind: str | None, method: str) -> str:
    if kind == Kind.THREAD_CONDITION:
        return f"RuntimeError: cannot {_NEEDS_LOCK[method]} on un-acquired lock"
    if _NEEDS_LOCK[method] == "wait":
        return "AssertionError: must acquire() condition before using wait()"
    return "AssertionError: lock is not owned"


def _condition_lock_texts(facts: Facts, cond: cst.BaseExpression) -> set[str]:
    """The condition's own text, and the lock it was built on (``Condition(lock)``)."""
    texts = {source_text(cond)}
    for origin in _origins(facts, cond):
        argument = call_argument(origin, "lock", 0)
        if argument is not None and dotted_name(argument.value) is not None:
            texts.add(source_text(argument.value))
    return texts


def _holds(facts: Facts, call: cst.Call, texts: set[str]) -> bool:
    for item in flow.enclosing_with_items(facts, call):
        if source_text(item.item) in texts:
            return True
    for other in _calls_in(facts, call):
        receiver = _receiver(other)
        if _method(other) == "acquire" and receiver is not None and source_text(receiver) in texts:
            return True
    return False


def _callers_may_hold(facts: Facts, function: cst.FunctionDef | None) -> bool:
    """A helper may be called with the condition held: stay silent unless this function
    runs in a child or every call of it is outside any ``with`` block."""
    if function is None or function in facts.child_functions:
        return False
    callers = [call for call in facts.calls if facts.function_for(call.func) is function]
    if not callers:
        return True
    return any(flow.enclosing_with_items(facts, caller) for caller in callers) or any(
        _method(other) == "acquire" for caller in callers for other in _calls_in(facts, caller)
    )


@check("MP411")
def notify_without_lock(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        method = _method(call)
        receiver = _receiver(call)
        if method not in _NEEDS_LOCK or receiver is None or dotted_name(receiver) is None:
            continue
        kind = _kind(facts, receiver)
        if kind not in CONDITION_KINDS or isinstance(facts.scope_of(call), cst.Lambda):
            continue  # a lambda runs wherever its caller is: maybe with the lock held
        if _holds(facts, call, _condition_lock_texts(facts, receiver)):
            continue
        if _callers_may_hold(facts, facts.function_of(call)):
            continue
        yield Finding(
            "MP411",
            call,
            {
                "call": f"{source_text(receiver)}.{method}()",
                "cond": source_text(receiver),
                "error": _condition_error(kind, method),
            },
        )
