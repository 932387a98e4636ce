"""MP202 terminate-unsafe: terminate()/kill() on a process holding shared resources.

Page: rules/MP202.md (zh-CN: rules/zh-CN/MP202.md) · Fixtures: fixtures/MP202/
· Example: examples/MP202-terminate-unsafe/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.lifecycle.process_flow import (
    Fate,
    ProcessFlow,
    attribute_of,
    given_objects,
    ordering_name,
    process_flow_of,
    receiver_uses,
    shared_loop,
)
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

messages(
    {
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
    }
)
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


def _fragile_given(
    flows: ProcessFlow, creations: list[cst.Call]
) -> tuple[cst.BaseExpression, tuple[Phrase, Phrase]] | None:
    for call in creations:
        subclass = flows.subclass_of(call) is not None
        for value in given_objects(flows.facts, call, subclass):
            kind = flows.facts.kind_of(value)
            if kind in _FRAGILE_KINDS:
                if _FRAGILE_KINDS[kind][1] is _LOCK_HARM and _never_acquired(
                    flows, call, subclass, value
                ):
                    continue
                return value, _FRAGILE_KINDS[kind]
    return None


def _never_acquired(flows: ProcessFlow, call: cst.Call, subclass: bool, value: cst.CSTNode) -> bool:
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


def _joined_after(flows: ProcessFlow, stop: cst.Attribute, fate: Fate) -> bool:
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
        loop = shared_loop(facts, stop, join)
        if loop is not None and not any(
            flow.is_inside(facts, b.node, loop) for b in facts.visible_bindings(base)
        ):
            return True  # the next round joins the same process
    return False


def _self_attribute_fate(flows: ProcessFlow, attribute: cst.Attribute) -> Fate | None:
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
    flows: ProcessFlow, receiver: cst.BaseExpression, stop: cst.Attribute
) -> bool:
    """`p.join(timeout)` earlier on the path: terminate() is the fallback when the process
    did not stop by itself, which is what the docs recommend."""
    facts = flows.facts
    base = stop.value.value if isinstance(stop.value, cst.Attribute) else stop.value
    if not isinstance(base, cst.Name):
        return False  # `jobs[-1].terminate()`: no name to order the uses by
    here = flows.order(ordering_name(stop))
    function = facts.function_of(stop)
    for base, method in receiver_uses(flows, receiver):
        if method != "join" or facts.function_of(base) is not function:
            continue
        join = attribute_of(facts, base)
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
    flows = process_flow_of(facts)
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


def _given_objects_of(flows: ProcessFlow, creations: list[cst.Call]) -> list[cst.BaseExpression]:
    found: list[cst.BaseExpression] = []
    for creation in creations:
        subclass = flows.subclass_of(creation) is not None
        found.extend(given_objects(flows.facts, creation, subclass))
    return found


def _last_use(
    flows: ProcessFlow,
    stop: cst.Call,
    receiver: cst.BaseExpression,
    given: list[cst.BaseExpression],
) -> bool:
    """`terminate()` is the program's last use of the process and of what it was given:
    outside any loop, the process and the objects are local names of the same scope, nothing
    but `join()` reads the process afterwards, and nothing reads the objects afterwards nor
    hands them to another process."""
    facts = flows.facts
    if (
        not isinstance(receiver, cst.Name)
        or flow.innermost_loop(facts, stop, comprehensions=False) is not None
    ):
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
