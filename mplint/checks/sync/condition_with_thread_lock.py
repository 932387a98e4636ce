"""MP413 condition-with-thread-lock: multiprocessing Condition built on a threading lock.

Page: rules/MP413.md (zh-CN: rules/zh-CN/MP413.md) · Fixtures: fixtures/MP413/
· Example: examples/MP413-condition-with-thread-lock/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

import mplint.flow as flow
from mplint.checks.base import Finding, Message, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import Edit, FixPlan, InsertLineBefore, Replace
from mplint.facts import Facts, call_argument
from mplint.semantic.syntax import source_text

messages(
    {
        "MP413": Message(
            en="`{call}` builds a multiprocessing Condition on a `threading` lock: `wait()` and "
            "`notify()` raise 'AttributeError: '_thread.lock' object has no attribute "
            "'_semlock'', and under spawn/forkserver starting a child that gets it raises "
            "'TypeError: cannot pickle '_thread.lock' object'. Give it `{fix}` (or no lock "
            "at all).",
            zh="`{call}` 用 `threading` 的锁构造了 `multiprocessing` 的条件变量：调用 `wait()` 和 "
            "`notify()` 会报 `AttributeError: '_thread.lock' object has no attribute "
            "'_semlock'`，在 spawn/forkserver 启动方式下启动拿到它的子进程会报 `TypeError: "
            "cannot pickle '_thread.lock' object`。请改为传入 `{fix}`（或干脆不传锁）。",
        ),
    }
)


_THREAD_LOCKS = frozenset({"thread-lock", "thread-semaphore"})


def _harmless_uses_only(facts: Facts, condition: cst.Call) -> bool:
    """True when the condition is bound to a plain name whose every use is visible and
    only takes or releases the lock (``with c:``, ``c.acquire()``, ``c.release()``)."""
    target = facts.assigned_name(condition)
    if target is None:
        return False
    bindings = facts.visible_bindings(target)
    if len(bindings) != 1:
        return False
    scope = bindings[0].scope
    if isinstance(scope, cst.Module):
        return False  # a global: any function, in any process, may use it
    for load in flow.loads_of(facts, target.value, scope):
        holder = facts.parent(load)
        if isinstance(holder, cst.WithItem) and holder.item is load:
            continue
        if (
            isinstance(holder, cst.Attribute)
            and holder.value is load
            and holder.attr.value in ("acquire", "release")
        ):
            continue
        return False
    return True


def _multiprocessing_spelling(facts: Facts, condition: cst.Call, name: str) -> tuple[str, bool]:
    """How to write ``multiprocessing.<name>`` here, and whether an import must be added."""
    func = condition.func
    if isinstance(func, cst.Attribute) and facts.resolve(func.value) == "multiprocessing":
        return f"{source_text(func.value)}.{name}", False
    bound = {local for _, local in facts.bindings}
    for local, qualname in facts.imports.items():
        if qualname == f"multiprocessing.{name}" and local not in bound and "." not in local:
            return local, False
    for local, qualname in facts.imports.items():
        if qualname == "multiprocessing" and local not in bound and "." not in local:
            return f"{local}.{name}", False
    if "multiprocessing" in bound:
        return "", False
    return f"multiprocessing.{name}", True


def _first_import(module: cst.Module) -> cst.CSTNode | None:
    """The first top-level import that is not ``from __future__``: where a new one goes."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        small = statement.body[0] if statement.body else None
        if isinstance(small, cst.Import):
            return statement
        if isinstance(small, cst.ImportFrom):
            module_name = small.module
            if isinstance(module_name, cst.Name) and module_name.value == "__future__":
                continue
            return statement
    return None


def _lock_fix(facts: Facts, condition: cst.Call, lock: cst.BaseExpression) -> FixPlan | None:
    """``threading.Lock()`` written right in the call becomes ``multiprocessing.Lock()``:
    nothing else can hold that thread lock, so only the condition changes."""
    if not isinstance(lock, cst.Call) or lock.args:
        return None
    qualname = facts.resolve(lock.func)
    if qualname not in ("threading.Lock", "threading.RLock"):
        return None
    name = qualname.split(".")[1]
    spelling, needs_import = _multiprocessing_spelling(facts, condition, name)
    if not spelling:
        return None
    edits: list[Edit] = [Replace(lock.func, spelling)]
    if needs_import:
        anchor = _first_import(facts.module)
        if anchor is None:
            return None
        edits.insert(0, InsertLineBefore(anchor, "import multiprocessing"))
    return FixPlan(
        f"Use `{spelling}()` instead of `{source_text(lock.func)}()`",
        Applicability.SAFE,
        tuple(edits),
    )


@check("MP413")
def condition_with_thread_lock(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls_to("multiprocessing.Condition"):
        argument = call_argument(call, "lock", 0)
        if argument is None or argument.star:
            continue
        if facts.kind_of(argument.value) not in _THREAD_LOCKS:
            continue
        if _harmless_uses_only(facts, call):
            continue
        fix = _lock_fix(facts, call, argument.value)
        qualname = (
            facts.resolve(argument.value.func) if isinstance(argument.value, cst.Call) else None
        )
        name = "RLock" if qualname == "threading.RLock" else "Lock"
        spelling = _multiprocessing_spelling(facts, call, name)[0] or f"multiprocessing.{name}"
        yield Finding(
            "MP413",
            call,
            {
                "call": f"{source_text(call.func)}({source_text(argument.value)})",
                "fix": f"{spelling}()",
            },
            fix=fix,
        )
