"""MP405 acquire-without-release: acquire() not released in finally or with.

Page: rules/MP405.md (zh-CN: rules/zh-CN/MP405.md) · Fixtures: fixtures/MP405/
· Example: examples/MP405-acquire-without-release/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, check, messages
from mplint.checks.harmless import statement_cannot_raise
from mplint.checks.sync.primitive_calls import (
    calls_in,
    function_boundary,
    line_code,
    method_name,
    receiver_of,
    same_dotted_name,
)
from mplint.diagnostic import Applicability
from mplint.edits import Edit, FixPlan, Replace
from mplint.facts import Facts, dotted_name
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import contains, source_text

messages(
    {
        "MP405": Message(
            en="`{lock}` is acquired here but not released in a `finally`: an exception before "
            "`{lock}.release()` leaves it held and every other process blocks for ever. Use "
            "`with {lock}:` (or try/finally).",
            zh="`{lock}` 在这里获取，但 `release()` 不在 `finally` 中：中间一旦抛出异常，"
            "锁就一直被占用，其他进程会永远阻塞。请使用 `with {lock}:`（或 `try`/`finally`）。",
        ),
    }
)


def _in_finally_or_handler(facts: Facts, node: cst.CSTNode) -> bool:
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, cst.Finally | cst.ExceptHandler):
            return True
        if function_boundary(ancestor):
            return False
    return False


@check("MP405")
def acquire_without_release(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        receiver = receiver_of(call)
        if method_name(call) != "acquire" or receiver is None or dotted_name(receiver) is None:
            continue
        if facts.kind_through_parameters(receiver) not in (
            Kind.LOCK,
            Kind.SEMAPHORE,
            Kind.CONDITION,
        ):
            continue
        releases = [
            other
            for other in calls_in(facts, call)
            if method_name(other) == "release"
            and same_dotted_name(receiver_of(other) or other, receiver)
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
        other = receiver_of(call)
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
        jumps = contains(statement, (cst.Return, cst.Break, cst.Continue, cst.Yield))
        code = line_code(statement)
        if jumps or '"""' in code or "'''" in code or "\\\n" in code:
            return None
        edits.append(Replace(statement, unit + code))
    edits.append(Replace(last, "" if middle else unit + "pass"))
    return FixPlan(f"Use `with {source_text(lock)}:`", Applicability.SAFE, tuple(edits))
