"""MP205 daemon-not-joined: daemon process killed when the parent exits.

Page: rules/MP205.md (zh-CN: rules/zh-CN/MP205.md) · Fixtures: fixtures/MP205/
· Example: examples/MP205-daemon-not-joined/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.lifecycle.process_flow import (
    ProcessFlow,
    Started,
    given_objects,
    process_flow_of,
    shown_name,
)
from mplint.facts import Facts

messages(
    {
        "MP205": Message(
            en="The daemonic process `{name}` is started and never joined: it is killed "
            "when the main process exits and its unfinished work and output are lost. "
            "Call `{name}.join()` before the end, or drop `daemon=True`.",
            zh="守护进程 `{name}` 启动后从未调用 `join()`：主进程退出时它会被直接杀死，未完成的"
            "工作和输出都会丢失。请在结束前调用 `{name}.join()`，或去掉 `daemon=True`。",
        ),
    }
)
_BLOCKING_METHODS = frozenset({"get", "recv", "wait", "wait_for", "acquire", "join"})


def _waits_on_what_it_gave(flows: ProcessFlow, item: Started) -> bool:
    """The parent blocks on something it handed to the process (`q.get()`, `done.wait()`),
    so it waits for the process's work by other means."""
    facts = flows.facts
    for call in item.creations or ():
        subclass = flows.subclass_of(call) is not None
        for value in given_objects(facts, call, subclass):
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
    flows = process_flow_of(facts)
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
        yield Finding("MP205", item.start, {"name": shown_name(item.receiver)})


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


def _serves(flows: ProcessFlow, function: cst.FunctionDef, depth: int, seen: set[int]) -> bool:
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
