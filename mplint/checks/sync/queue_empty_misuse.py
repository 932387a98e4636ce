"""MP409 queue-empty-misuse: queue.Empty unhandled or spelled Queue.Empty.

Page: rules/MP409.md (zh-CN: rules/zh-CN/MP409.md) · Fixtures: fixtures/MP409/
· Example: examples/MP409-queue-empty-misuse/
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.sync.primitive_calls import function_boundary, is_none, method_name, receiver_of
from mplint.diagnostic import Applicability
from mplint.edits import Edit, FixPlan, InsertLineBefore, Replace
from mplint.facts import Facts
from mplint.semantic.api import method_api
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
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
    }
)


def _arg_is_false(arg: cst.Arg) -> bool:
    return isinstance(arg.value, cst.Name) and arg.value.value == "False"


_EMPTY_NAMES = frozenset(
    {"queue.Empty", "_queue.Empty", "multiprocessing.queues.Empty", "Exception", "BaseException"}
)
_FACTORY_QUEUES = frozenset(
    {"multiprocessing.Queue", "multiprocessing.JoinableQueue", "multiprocessing.SimpleQueue"}
)


def _may_raise_empty(call: cst.Call) -> bool:
    """get(False), get(block=False), get_nowait(), get(timeout=...)."""
    method = method_name(call)
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
    return timeout is not None and not timeout.star and not is_none(timeout.value)


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
        if function_boundary(ancestor):
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
        receiver = receiver_of(call)
        if receiver is None or not _may_raise_empty(call):
            continue
        if facts.kind_through_parameters(receiver) != Kind.QUEUE or _handled(facts, call):
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
