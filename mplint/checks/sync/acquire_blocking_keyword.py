"""MP412 acquire-blocking-keyword: acquire(blocking=...) on a multiprocessing lock.

Page: rules/MP412.md (zh-CN: rules/zh-CN/MP412.md) · Fixtures: fixtures/MP412/
· Example: examples/MP412-acquire-blocking-keyword/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import Facts
from mplint.semantic.kinds import Kind
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


def _made_by_manager(facts: Facts, node: cst.BaseExpression) -> bool | None:
    """True when the object comes from a Manager (``m.Lock()``), False when from a
    multiprocessing constructor, None when that cannot be told: asked of every
    constructor call it may hold (``Facts.origins``, through parameters)."""
    made = facts.origins(node, through_parameters=True)
    if not made:
        return None
    answers = {
        True
        if isinstance(call.func, cst.Attribute) and facts.kind_of(call.func.value) == Kind.MANAGER
        else (False if facts.resolve(call.func) is not None else None)
        for call in made
    }
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
