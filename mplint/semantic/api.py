"""The process APIs as one table: each constructor's and method's parameters by position
and keyword, and the role each plays (the task run elsewhere, its arguments, ...).

Every "which argument is the target / the args / the initargs" question is answered
here from the table, so a position is written down once (``Pool(processes,
initializer, initargs)``, ``ProcessPoolExecutor(max_workers, mp_context, initializer,
initargs)``, ``Process(group, target, name, args, kwargs)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import split_arguments


@dataclass(frozen=True, slots=True)
class Api:
    """One constructor or method: its parameters and the roles they play."""

    name: str
    positional: tuple[str, ...]  # parameters that may be passed by position, in order
    keyword_only: tuple[str, ...] = ()
    positional_only: int = 0  # how many of ``positional`` cannot be passed by keyword
    task: str | None = None  # the callable that runs in another process (or thread)
    args: str | None = None  # a tuple: the task's positional arguments
    kwargs: str | None = None  # a mapping: the task's keyword arguments
    items: str | None = None  # an iterable: one call of the task per item
    rest_are_args: bool = False  # submit(fn, /, *args, **kwargs)
    rest_are_items: bool = False  # executor.map(fn, *iterables)
    items_are_tuples: bool = False  # starmap: each item is an argument tuple
    sends: str | None = None  # put(obj)/send(obj): the object sent through a channel

    def argument(self, call: cst.Call, parameter: str) -> cst.Arg | None:
        """The argument ``call`` passes for ``parameter``, by keyword or by position;
        None when it is left out or hidden behind ``*args``/``**kwargs``."""
        position = self.positional.index(parameter) if parameter in self.positional else None
        by_keyword = position is None or position >= self.positional_only
        seen = 0
        for arg in call.args:
            if arg.keyword is not None:
                if by_keyword and arg.keyword.value == parameter:
                    return arg
                continue
            if arg.star:
                if arg.star == "*" and position is not None and seen <= position:
                    return None
                continue
            if position is not None and seen == position:
                return arg
            seen += 1
        return None

    def rest(self, call: cst.Call) -> list[cst.Arg]:
        """The arguments after the declared positional ones (``submit(fn, a, b=1)``: a, b=1)."""
        positional = 0
        found: list[cst.Arg] = []
        for arg in call.args:
            if arg.keyword is not None:
                if arg.keyword.value not in self.positional[self.positional_only :]:
                    found.append(arg)
            elif positional >= len(self.positional) or arg.star:
                found.append(arg)
            else:
                positional += 1
        return found


_PROCESS = Api(
    "Process",
    ("group", "target", "name", "args", "kwargs"),
    keyword_only=("daemon",),
    task="target",
    args="args",
    kwargs="kwargs",
)
_POOL = Api(
    "Pool",
    ("processes", "initializer", "initargs", "maxtasksperchild", "context"),
    task="initializer",
    args="initargs",
)
_EXECUTOR = Api(
    "ProcessPoolExecutor",
    ("max_workers", "mp_context", "initializer", "initargs"),
    keyword_only=("max_tasks_per_child",),
    task="initializer",
    args="initargs",
)
_THREAD_EXECUTOR = Api(
    "ThreadPoolExecutor",
    ("max_workers", "thread_name_prefix", "initializer", "initargs"),
    task="initializer",
    args="initargs",
)

CONSTRUCTORS: dict[Kind, Api] = {
    Kind.PROCESS: _PROCESS,
    Kind.THREAD: _PROCESS,
    Kind.POOL: _POOL,
    Kind.THREAD_POOL: _POOL,
    Kind.EXECUTOR: _EXECUTOR,
    Kind.THREAD_EXECUTOR: _THREAD_EXECUTOR,
}


def _pool_method(name: str, *extra: str, **roles: object) -> Api:
    return Api(name, ("func", *extra), task="func", **roles)  # type: ignore[arg-type]


_CALLBACKS = ("callback", "error_callback")
_POOL_METHODS = {
    "apply": _pool_method("apply", "args", "kwds", args="args", kwargs="kwds"),
    "apply_async": _pool_method(
        "apply_async", "args", "kwds", *_CALLBACKS, args="args", kwargs="kwds"
    ),
    "map": _pool_method("map", "iterable", "chunksize", items="iterable"),
    "map_async": _pool_method("map_async", "iterable", "chunksize", *_CALLBACKS, items="iterable"),
    "imap": _pool_method("imap", "iterable", "chunksize", items="iterable"),
    "imap_unordered": _pool_method("imap_unordered", "iterable", "chunksize", items="iterable"),
    "starmap": _pool_method(
        "starmap", "iterable", "chunksize", items="iterable", items_are_tuples=True
    ),
    "starmap_async": _pool_method(
        "starmap_async",
        "iterable",
        "chunksize",
        *_CALLBACKS,
        items="iterable",
        items_are_tuples=True,
    ),
}
_EXECUTOR_METHODS = {
    "submit": Api("submit", ("fn",), positional_only=1, task="fn", rest_are_args=True),
    "map": Api(
        "map", ("fn",), keyword_only=("timeout", "chunksize"), task="fn", rest_are_items=True
    ),
}
_PROCESS_METHODS = {
    "start": Api("start", ()),
    "run": Api("run", ()),
    "join": Api("join", ("timeout",)),
    "terminate": Api("terminate", ()),
    "kill": Api("kill", ()),
    "close": Api("close", ()),
    "is_alive": Api("is_alive", ()),
}
_QUEUE_METHODS = {
    "put": Api("put", ("obj", "block", "timeout"), sends="obj"),
    "put_nowait": Api("put_nowait", ("obj",), sends="obj"),
    "get": Api("get", ("block", "timeout")),
    "get_nowait": Api("get_nowait", ()),
}
_PIPE_METHODS = {
    "send": Api("send", ("obj",), sends="obj"),
    "send_bytes": Api("send_bytes", ("buf", "offset", "size"), sends="buf"),
    "recv": Api("recv", ()),
    "poll": Api("poll", ("timeout",)),
}

METHODS: dict[Kind, dict[str, Api]] = {
    Kind.POOL: _POOL_METHODS,
    Kind.THREAD_POOL: _POOL_METHODS,
    Kind.EXECUTOR: _EXECUTOR_METHODS,
    Kind.THREAD_EXECUTOR: _EXECUTOR_METHODS,
    Kind.PROCESS: _PROCESS_METHODS,
    Kind.THREAD: _PROCESS_METHODS,
    Kind.QUEUE: _QUEUE_METHODS,
    Kind.PIPE: _PIPE_METHODS,
}
# Every method name of the table: a call of any other method is no API call, whatever
# its receiver (so its receiver's kind need not be worked out).
METHOD_NAMES = frozenset(name for methods in METHODS.values() for name in methods)

# Methods that end a process at once, without letting it clean up.
STOP_METHODS = frozenset({"terminate", "kill"})
# Methods that take from a queue; ``get(False)`` and ``get(block=False)`` do not wait.
GET_METHODS = frozenset({"get", "get_nowait"})


def method_api(receiver: Kind | None, method: str) -> Api | None:
    if receiver is None:
        return None
    return METHODS.get(receiver, {}).get(method)


def is_nonblocking_get(call: cst.Call) -> bool:
    """``get_nowait()``, ``get(False)``, ``get(block=False)``."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "get_nowait":
        return True
    if func.attr.value != "get":
        return False
    block = _QUEUE_METHODS["get"].argument(call, "block")
    return block is not None and isinstance(block.value, cst.Name) and block.value.value == "False"


def waits_forever(call: cst.Call) -> bool:
    """``join()``/``get()`` with no timeout: it returns only when the other side is done."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if method == "join":
        return _PROCESS_METHODS["join"].argument(call, "timeout") is None and not any(
            arg.star for arg in call.args
        )
    if method == "get":
        api = _QUEUE_METHODS["get"]
        return (
            not is_nonblocking_get(call)
            and api.argument(call, "timeout") is None
            and not any(arg.star for arg in call.args)
        )
    return False


@dataclass(frozen=True, slots=True)
class TaskArguments:
    """What the task of a call will be called with, as far as the call's text shows."""

    positional: tuple[cst.BaseExpression, ...]
    keywords: dict[str, cst.BaseExpression]
    complete: bool  # False when a star or a non-literal args= hides some


def literal_elements(value: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The elements of a tuple or list literal; None for anything else or a starred one."""
    if not isinstance(value, cst.Tuple | cst.List):
        return None
    elements: list[cst.BaseExpression] = []
    for element in value.elements:
        if isinstance(element, cst.StarredElement):
            return None
        elements.append(element.value)
    return elements


def keyword_literal(node: cst.BaseExpression) -> dict[str, cst.BaseExpression] | None:
    """``{"a": x}`` or ``dict(a=x)`` as keywords, else None."""
    if isinstance(node, cst.Dict):
        found: dict[str, cst.BaseExpression] = {}
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key = element.key
            value = key.evaluated_value if isinstance(key, cst.SimpleString) else None
            if not isinstance(value, str):
                return None
            found[value] = element.value
        return found
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        if any(arg.star or arg.keyword is None for arg in node.args):
            return None
        return {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
    return None


def task_arguments(api: Api, call: cst.Call) -> TaskArguments:
    """The arguments ``call`` gives its task: ``args=``/``kwargs=`` literals, or the rest
    of a ``submit``. Items of ``map``/``starmap`` are not one call's arguments."""
    if api.rest_are_args:
        rest, named, whole = split_arguments(api.rest(call))
        return TaskArguments(tuple(rest), named, whole)
    if api.items is not None or api.rest_are_items:
        return TaskArguments((), {}, False)
    positional: list[cst.BaseExpression] = []
    keywords: dict[str, cst.BaseExpression] = {}
    complete = True
    if api.args is not None:
        argument = api.argument(call, api.args)
        if argument is not None:
            elements = None if argument.star else literal_elements(argument.value)
            if elements is None:
                complete = False
            else:
                positional.extend(elements)
    if api.kwargs is not None:
        argument = api.argument(call, api.kwargs)
        if argument is not None:
            read = None if argument.star else keyword_literal(argument.value)
            if read is None:
                complete = False
            else:
                keywords.update(read)
    if any(arg.star for arg in call.args):
        complete = False
    return TaskArguments(tuple(positional), keywords, complete)


def sent_arguments(api: Api, call: cst.Call) -> Iterator[cst.Arg]:
    """The arguments whose values are sent to another process (or thread) with the task:
    ``args``/``kwargs``/``initargs``, the rest of ``submit``, the items of ``map``."""
    if api.rest_are_args or api.rest_are_items:
        for arg in api.rest(call):
            if not arg.star and (arg.keyword is None or arg.keyword.value not in api.keyword_only):
                yield arg
        return
    for role in (api.args, api.kwargs, api.items, api.sends):
        if role is not None:
            argument = api.argument(call, role)
            if argument is not None and not argument.star:
                yield argument


def starmap_tuples(api: Api, call: cst.Call) -> list[list[cst.BaseExpression]] | None:
    """``starmap(f, [(a, b), (c, d)])``: the argument tuples, when the text shows them."""
    if not api.items_are_tuples or api.items is None:
        return None
    argument = api.argument(call, api.items)
    if argument is None or argument.star:
        return None
    outer = literal_elements(argument.value)
    if outer is None:
        return None
    tuples = []
    for item in outer:
        elements = literal_elements(item)
        if elements is None:
            return None
        tuples.append(elements)
    return tuples
