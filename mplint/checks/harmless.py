"""Code that cannot raise: what MP405 and MP301 accept as harmless.

A lock released on the happy path only, or a task whose result is dropped, hurts only
when an exception can happen. This module answers, conservatively, "can this code
raise?": only a short list of statements and expressions counts as safe (a Value
update, a print or log line of plain values, a sleep of a literal, acquiring a lock,
waiting on or notifying the condition that is held). Any other call, subscript,
division, ``raise`` or compound statement counts as "may raise".
"""

from __future__ import annotations

import libcst as cst

from mplint.facts import Facts, dotted_name
from mplint.semantic.kinds import Kind

# Calls that return a plain value and do not raise.
_PURE_CALLS = frozenset(
    {
        "os.getpid",
        "os.getppid",
        "time.time",
        "time.monotonic",
        "time.perf_counter",
        "time.ctime",
        "random.random",
        "multiprocessing.current_process",
        "multiprocessing.parent_process",
        "threading.current_thread",
        "threading.get_ident",
    }
)
# Attributes read on a process, a Value or a logger: plain fields.
_PLAIN_ATTRIBUTES = frozenset({"value", "name", "pid", "ident", "daemon"})
_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "critical", "exception", "log"}
)
_SAFE_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply)
_SAFE_COMPARISONS = (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)
_HELD_METHODS = frozenset({"wait", "notify", "notify_all"})
_SYNC_KINDS = frozenset({Kind.LOCK, Kind.SEMAPHORE, Kind.CONDITION})


def _is_logger(facts: Facts, node: cst.BaseExpression) -> bool:
    """``logging`` itself, or a name bound only to ``logging.getLogger(...)``."""
    if facts.resolve(node) == "logging":
        return True
    if not isinstance(node, cst.Name):
        return False
    bindings = facts.visible_bindings(node)
    return bool(bindings) and all(
        isinstance(b.value, cst.Call) and facts.resolve(b.value.func) == "logging.getLogger"
        for b in bindings
    )


def expression_cannot_raise(facts: Facts, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer | cst.Float | cst.SimpleString | cst.Name):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return expression_cannot_raise(facts, node.left) and expression_cannot_raise(
            facts, node.right
        )
    if isinstance(node, cst.FormattedString):
        return all(
            isinstance(part, cst.FormattedStringText)
            or (
                isinstance(part, cst.FormattedStringExpression)
                and part.format_spec is None
                and part.conversion is None
                and expression_cannot_raise(facts, part.expression)
            )
            for part in node.parts
        )
    if isinstance(node, cst.Attribute):
        return node.attr.value in _PLAIN_ATTRIBUTES and expression_cannot_raise(facts, node.value)
    if isinstance(node, cst.Tuple):
        return all(expression_cannot_raise(facts, e.value) for e in node.elements)
    if isinstance(node, cst.UnaryOperation):
        return expression_cannot_raise(facts, node.expression)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Modulo):
            # "%d" % (n,) formatting, or n % 3 with a non-zero literal divisor
            safe = isinstance(node.left, cst.SimpleString) or (
                isinstance(node.right, cst.Integer) and node.right.evaluated_value != 0
            )
        else:
            safe = isinstance(node.operator, _SAFE_OPERATORS)
        return (
            safe
            and expression_cannot_raise(facts, node.left)
            and expression_cannot_raise(facts, node.right)
        )
    if isinstance(node, cst.Comparison):
        return (
            all(isinstance(c.operator, _SAFE_COMPARISONS) for c in node.comparisons)
            and expression_cannot_raise(facts, node.left)
            and all(expression_cannot_raise(facts, c.comparator) for c in node.comparisons)
        )
    if isinstance(node, cst.Call):
        if node.args and not all(
            not a.star and expression_cannot_raise(facts, a.value) for a in node.args
        ):
            return False
        if facts.resolve(node.func) in _PURE_CALLS:
            return not node.args
        return len(node.args) == 1 and (facts.builtin_name(node.func) in ("str", "repr"))
    return False


def _arguments_safe(facts: Facts, call: cst.Call) -> bool:
    return all(not a.star and expression_cannot_raise(facts, a.value) for a in call.args)


def _is_number(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.UnaryOperation):
        return _is_number(node.expression)
    if isinstance(node, cst.BinaryOperation):
        return _is_number(node.left) and _is_number(node.right)
    return isinstance(node, cst.Integer | cst.Float)


def call_cannot_raise(facts: Facts, call: cst.Call, held: frozenset[str]) -> bool:
    """A call made as a statement of its own."""
    func = call.func
    if facts.builtin_name(func) == "print":
        return _arguments_safe(facts, call)
    qualname = facts.resolve(func)
    if qualname == "time.sleep":
        return len(call.args) == 1 and _is_number(call.args[0].value)
    if qualname == "sys.stdout.flush":
        return not call.args
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    receiver = func.value
    if method in _LOG_METHODS and _is_logger(facts, receiver):
        return _arguments_safe(facts, call)
    if method == "acquire" and facts.kind_through_parameters(receiver) in _SYNC_KINDS:
        return _arguments_safe(facts, call)
    if method in _HELD_METHODS and dotted_name(receiver) in held:
        return _arguments_safe(facts, call)
    return False


def _target_safe(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Name):
        return True
    return (
        isinstance(target, cst.Attribute)
        and target.attr.value == "value"
        and isinstance(target.value, cst.Name | cst.Attribute)
    )


def small_statement_cannot_raise(
    facts: Facts, statement: cst.BaseSmallStatement, held: frozenset[str]
) -> bool:
    if isinstance(statement, cst.Pass):
        return True
    if isinstance(statement, cst.Expr):
        value = statement.value
        return isinstance(value, cst.Call) and call_cannot_raise(facts, value, held)
    if isinstance(statement, cst.Assign):
        return all(_target_safe(t.target) for t in statement.targets) and expression_cannot_raise(
            facts, statement.value
        )
    if isinstance(statement, cst.AnnAssign):
        return (
            statement.value is not None
            and _target_safe(statement.target)
            and expression_cannot_raise(facts, statement.value)
        )
    if isinstance(statement, cst.AugAssign):
        return (
            isinstance(statement.operator, cst.AddAssign | cst.SubtractAssign | cst.MultiplyAssign)
            and _target_safe(statement.target)
            and expression_cannot_raise(facts, statement.value)
        )
    return False


def statement_cannot_raise(facts: Facts, statement: cst.CSTNode, held: frozenset[str]) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(small_statement_cannot_raise(facts, s, held) for s in statement.body)


def function_cannot_raise(facts: Facts, function: cst.FunctionDef) -> bool:
    """A task whose whole body is safe statements and ``return <safe expression>``."""
    if function.asynchronous is not None or function.decorators:
        return False
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    for index, statement in enumerate(statements):
        if (
            index == 0
            and isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
        ):
            continue  # docstring
        lines = (
            statement.body
            if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite)
            else None
        )
        if lines is None:
            return False
        for small in lines:
            if isinstance(small, cst.Return):
                if small.value is not None and not expression_cannot_raise(facts, small.value):
                    return False
            elif not small_statement_cannot_raise(facts, small, frozenset()):
                return False
    return True
