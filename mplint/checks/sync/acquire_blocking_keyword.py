"""MP412 acquire-blocking-keyword: acquire(blocking=...) on a multiprocessing lock.

Page: rules/MP412.md (zh-CN: rules/zh-CN/MP412.md) · Fixtures: fixtures/MP412/
· Example: examples/MP412-acquire-blocking-keyword/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import Facts
from mplint.semantic.syntax import source_text

messages(
    {
        "MP412": Message(
            en="`{receiver}.acquire()` is given `blocking=`, but a multiprocessing {what} calls "
            "that keyword `block`: it raises 'TypeError: 'blocking' is an invalid keyword "
            "argument for acquire()' (3.13: 'acquire() got an unexpected keyword argument "
            "'blocking''). Write `block=`.",
            zh="`{receiver}.acquire()` 收到了 `blocking=` 参数，但 {what} 的这个参数名叫 "
            "`block`：会报 `TypeError: 'blocking' is an invalid keyword argument for "
            "acquire()`（3.13 为 `acquire() got an unexpected keyword argument 'blocking'`）。"
            "请改写为 `block=`。",
        ),
    }
)


_ACQUIRERS = {
    "lock": "`Lock`/`RLock`",
    "semaphore": "`Semaphore`",
    "condition": "`Condition`",
}


def _made_by_manager(facts: Facts, node: cst.BaseExpression, depth: int = 0) -> bool | None:
    """True when the object comes from a Manager (``m.Lock()``), False when from a
    multiprocessing constructor, None when that cannot be told."""
    if depth > 4:
        return None
    depth += 1
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and facts.kind_of(func.value) == "manager":
            return True
        return False if facts.resolve(func) is not None else None
    if isinstance(node, cst.Name):
        bindings = facts.visible_bindings(node)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            return _passed_by_manager(facts, bindings[0].node, depth)
        answers = {
            _made_by_manager(facts, b.value, depth) if b.value is not None else None
            for b in bindings
        }
        return answers.pop() if len(answers) == 1 else None
    if isinstance(node, cst.Attribute):
        name = f"{source_text(node)}"
        function = facts.function_of(node)
        cls = facts.class_of(function) if function is not None else None
        if cls is None or not name.startswith("self."):
            return None
        answers = {
            _made_by_manager(facts, b.value, depth) if b.value is not None else None
            for b in facts.self_attribute_bindings
            if b.name == name and flow.is_inside(facts, b.node, cls)
        }
        return answers.pop() if len(answers) == 1 else None
    return None


def _passed_by_manager(facts: Facts, param: cst.Param, depth: int) -> bool | None:
    """What every call site of this file passes for the parameter (see ``_made_by_manager``)."""
    owner = facts.parent(facts.parent(param) or param)
    sites = facts.call_sites.get(owner) if isinstance(owner, cst.FunctionDef) else None
    if not sites:
        return None
    answers = set()
    for site in sites:
        argument = site.argument_for(param)
        answers.add(_made_by_manager(facts, argument, depth) if argument is not None else None)
    return answers.pop() if len(answers) == 1 else None


@check("MP412")
def acquire_blocking_keyword(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "acquire":
            continue
        keyword = next(
            (
                a.keyword
                for a in call.args
                if a.keyword is not None and a.keyword.value == "blocking"
            ),
            None,
        )
        if keyword is None:
            continue
        what = _ACQUIRERS.get(facts.kind_through_parameters(func.value) or "")
        if what is None or _made_by_manager(facts, func.value) is not False:
            continue
        fix = FixPlan(
            "Rename `blocking=` to `block=`", Applicability.SAFE, (Replace(keyword, "block"),)
        )
        yield Finding("MP412", call, {"receiver": source_text(func.value), "what": what}, fix=fix)
