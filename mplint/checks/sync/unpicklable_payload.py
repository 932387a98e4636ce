"""MP401 unpicklable-payload: unpicklable value sent to another process.

Page: rules/MP401.md (zh-CN: rules/zh-CN/MP401.md) · Fixtures: fixtures/MP401/
· Example: examples/MP401-unpicklable-payload/
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.pickling_errors import LOCAL_OBJECT_ERROR, pickling_error
from mplint.checks.sync.primitive_calls import (
    KIND_NAMES,
    THREAD_PRIMITIVES,
    method_name,
    receiver_of,
)
from mplint.facts import POOL_KINDS, Facts
from mplint.names import kind_of_constructor
from mplint.semantic.api import METHOD_NAMES, method_api, sent_arguments
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import NESTED_SCOPES, contains, source_text

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


messages(
    {
        "MP401": Message(
            en="{what} is sent {channel}, and it cannot be pickled ({why}): {outcome}{advice}",
            zh="{what}{channel}，但它无法被 pickle 序列化（{why}）：{outcome}{advice}",
        ),
    }
)


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
    return contains(function.body, cst.Yield, skip=NESTED_SCOPES)


def _payload_of_value(facts: Facts, node: cst.BaseExpression) -> tuple[str, str] | None:
    """(payload key, name) for an expression that surely makes an unpicklable value."""
    if isinstance(node, cst.Lambda):
        return "lambda", ""
    if isinstance(node, cst.GeneratorExp):
        return "genexp", ""
    if isinstance(node, cst.Call):
        func = node.func
        qualname = facts.resolve(func)
        if facts.kind_of_call(node) == Kind.OPEN_FILE:
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
    if facts.kind_through_parameters(node) == Kind.OPEN_FILE:
        # a file kept on self, in a list, or opened by `with open(...) as f`
        yield node, "file", source_text(node), ""
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
        origins = facts.origins(node, through_parameters=True) or []
        if origins and all(kind_of_constructor(facts.resolve(o.func)) for o in origins):
            yield node, "inherited", node.value, KIND_NAMES.get(kind, kind)
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
    method = method_name(call)
    receiver = receiver_of(call)
    if method not in METHOD_NAMES or receiver is None:
        return  # no object's API has such a method: its receiver's kind does not matter
    receiver_kind = facts.kind_through_parameters(receiver)
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
