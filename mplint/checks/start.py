"""MP1xx: starting processes."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.checks.pickling_errors import pickling_error
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, InsertLineBefore, Replace
from mplint.facts import (
    POOL_KINDS,
    POOL_TASK_METHODS,
    Facts,
    FastVisitor,
    call_argument,
    dotted_name,
)
from mplint.semantic.api import CONSTRUCTORS, Api, method_api
from mplint.semantic.kinds import Kind
from mplint.semantic.literals import literal_type

messages(
    {
        "MP101": Message(
            en='{what} runs at import time, outside `if __name__ == "__main__":`; under '
            "spawn/forkserver every child re-imports this module and fails with "
            "'RuntimeError: ... bootstrapping phase'. Move it under the main guard.",
            zh='{what}在模块导入时就会执行，没有放在 `if __name__ == "__main__":` 入口保护之下；'
            "在 spawn/forkserver 启动方式下每个子进程都会重新导入本模块，报 "
            "'RuntimeError: ... bootstrapping phase'。请把它移到入口保护之下。",
        ),
        "MP103": Message(
            en="{what} is sent to another process by pickling, and it cannot be pickled: "
            "{when} fails with {error}. Use a function defined at module level.",
            zh="{what}要被 pickle 序列化后发送给另一个进程，但它无法被序列化：{when}会报 "
            "{error}。请改用在模块顶层定义的函数。",
        ),
        "MP104": Message(
            en="`{cls}.__init__` never calls `super().__init__()`: `start()` will raise "
            "'AttributeError: ... has no attribute '_closed''. Call `super().__init__()` "
            "first.",
            zh="`{cls}.__init__` 没有调用 `super().__init__()`：调用 `start()` 时会报 "
            "'AttributeError: ... has no attribute '_closed''。请先调用 `super().__init__()`。",
        ),
        "MP106": Message(
            en="`{call}` calls `{function}` here in the parent, right away; the {receiver} "
            "gets its return value (usually None), not the function. Pass `{function}` "
            "itself and its arguments separately.",
            zh="`{call}` 会在父进程里立刻调用 `{function}`，{receiver}拿到的是它的返回值"
            "（通常是 None），而不是函数本身。请传入 `{function}` 本身，参数另外传。",
        ),
        "MP107": Message(
            en="`{keyword}={value}` is not a tuple: {consequence} Write `{keyword}=({inner},)`.",
            zh="`{keyword}={value}` 不是元组：{consequence}请写成 `{keyword}=({inner},)`。",
        ),
    }
)


# -- MP101 -------------------------------------------------------------


# What MP101 found running at import time (zh phrases end with a space after code).
_MANAGER = Phrase("`Manager()` (it starts a server process)", "`Manager()`（它会启动一个服务进程）")
_POOL = Phrase("`Pool()` (it starts its worker processes)", "`Pool()`（它会启动工作进程）")
_PROCESS_START = Phrase("`start()` of a process", "进程的 `start()` ")
_MANAGER_START = Phrase("`start()` of a manager", "Manager 的 `start()` ")
_EXECUTOR_TASK = Phrase(
    "`{method}()` on a ProcessPoolExecutor", "ProcessPoolExecutor 的 `{method}()` "
)
_STARTER_FUNCTION = Phrase(
    "`{function}()`, which starts processes,", "会启动进程的 `{function}()` "
)


def _starts_processes(facts: Facts, call: cst.Call) -> Phrase | None:
    """What a call starts when it runs, or None: a Pool or Manager starts its processes
    when made; a Process on start(); an executor on its first task."""
    qualname = facts.resolve(call.func)
    if qualname == "multiprocessing.Manager":
        return _MANAGER
    kind = facts.kind_of_call(call)
    if kind == Kind.POOL:
        return _POOL
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    receiver = facts.kind_of(func.value)
    if method == "start" and receiver == Kind.PROCESS:
        return _PROCESS_START
    if method == "start" and receiver == Kind.MANAGER:
        return _MANAGER_START
    if receiver == Kind.EXECUTOR and method in ("submit", "map"):
        return _EXECUTOR_TASK.format(method=method)
    return None


def _may_spawn_for(facts: Facts, call: cst.Call) -> bool:
    target = call.func.value if isinstance(call.func, cst.Attribute) else call.func
    return facts.may_spawn(target)


@check("MP101")
def unguarded_process_start(facts: Facts) -> Iterator[Finding]:
    if facts.pinned_start_method == "fork":
        return
    starters = facts.functions_reaching(
        lambda call: _starts_processes(facts, call) is not None and _may_spawn_for(facts, call)
    )
    flagged: list[tuple[cst.CSTNode, Phrase]] = []
    for call in facts.calls:
        if not facts.runs_at_import(call):
            continue
        what = _starts_processes(facts, call)
        if what is not None and _may_spawn_for(facts, call):
            flagged.append((call, what))
            continue
        # f() or Cls() (its __init__) or a decorated f (its wrapper) that starts processes
        if any(callee in starters for callee in facts.callees(call)):
            name = dotted_name(call.func) or "call"
            flagged.append((call, _STARTER_FUNCTION.format(function=name)))
    # torch DataLoader workers, joblib's multiprocessing backend (checks/third_party.py).
    from mplint.checks.third_party import library_starts

    flagged.extend(
        (node, what)
        for node, what in library_starts(facts)
        if not any(node is call for call, _ in flagged)
    )
    fix = _guard_module_code(facts, [call for call, _ in flagged]) if flagged else None
    for start, what in flagged:
        yield Finding("MP101", start, {"what": what}, fix=fix)


def _top_level_statement(facts: Facts, node: cst.CSTNode) -> cst.CSTNode | None:
    child = node
    for ancestor in facts.ancestors(node):
        if ancestor is facts.module:
            return child
        child = ancestor
    return None


def _stays_at_top_level(statement: cst.CSTNode) -> bool:
    """Definitions and imports stay where they are; only the code that runs moves."""
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return True
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _makes_process(facts: Facts, statement: cst.CSTNode) -> bool:
    """``p = Process(...)`` or ``ps = [Process(...) for ...]``: made just before the code
    that starts it, it moves with it."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Assign | cst.AnnAssign):
        return False
    value = small.value
    if isinstance(value, cst.ListComp):
        value = value.elt
    return isinstance(value, cst.Call) and facts.kind_of_call(value) == Kind.PROCESS


class _NamesRunAtDefinition(FastVisitor):
    """Names a def or class reads when it is defined: decorators, defaults, annotations,
    bases and class bodies; not function bodies, which run later."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:
            decorator.visit(self)
        node.params.visit(self)
        if node.returns is not None:
            node.returns.visit(self)
        return False


def _names_in(node: cst.CSTNode) -> set[str]:
    class Names(FastVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: set[str] = set()

        def visit_Name(self, name: cst.Name) -> None:
            self.names.add(name.value)

    finder = Names()
    node.visit(finder)
    return finder.names


def _blank(line: cst.EmptyLine) -> bool:
    return line.comment is None


# What a block holds: libcst types a block's body as BaseStatement, which has no
# leading_lines; these two are its only kinds.
_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _guard_module_code(facts: Facts, flagged: list[cst.CSTNode]) -> FixPlan | None:
    """Move the module-level code that runs, from the first statement that starts
    processes (and the `p = Process(...)` lines just before it) to the end, under a new
    main guard at the end of the module. Definitions and imports stay in place; the body
    of an existing main guard in that span joins the new one; comments move with their
    statements."""
    module = facts.module
    body = list(module.body)
    indexes: list[int] = []
    for call in flagged:
        statement = _top_level_statement(facts, call)
        index = next((i for i, s in enumerate(body) if s is statement), None)
        if index is None or _stays_at_top_level(body[index]):
            return None
        indexes.append(index)
    first = min(indexes)
    while first > 0 and _makes_process(facts, body[first - 1]):
        first -= 1
    kept: list[_Statement] = body[:first]
    moved: list[_Statement] = []
    for statement in body[first:]:
        if _stays_at_top_level(statement):
            kept.append(statement)
        elif statement in facts.main_guards and isinstance(statement, cst.If):
            if statement.orelse is not None or not isinstance(statement.body, cst.IndentedBlock):
                return None
            inner = [s for s in statement.body.body if isinstance(s, _Statement)]
            if inner:
                lines = [*statement.leading_lines, *inner[0].leading_lines]
                inner[0] = inner[0].with_changes(leading_lines=lines)
            moved.extend(inner)
        else:
            moved.append(statement)
    if not moved:
        return None
    # A def or class left in place that reads a moved name when it is defined would now
    # run before that name exists.
    moved_names = set().union(*(_names_in(m) for m in moved))
    for statement in body[first:]:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            reader = _NamesRunAtDefinition()
            statement.visit(reader)
            if reader.names & moved_names:
                return None
    # A blank line at module level renders its indentation once it is nested: drop it.
    moved = [
        s.with_changes(
            leading_lines=[
                line.with_changes(indent=False) if _blank(line) else line
                for line in s.leading_lines
            ]
        )
        for s in moved
    ]
    lines = list(moved[0].leading_lines)
    while lines and _blank(lines[0]):
        lines.pop(0)
    moved[0] = moved[0].with_changes(leading_lines=lines)
    after_definition = bool(kept) and isinstance(kept[-1], cst.FunctionDef | cst.ClassDef)
    guard = cst.If(
        test=cst.parse_expression('__name__ == "__main__"'),
        body=cst.IndentedBlock(body=moved),
        leading_lines=[cst.EmptyLine()] * (2 if after_definition else 1) if kept else [],
    )
    fixed = module.with_changes(body=[*kept, guard])
    return FixPlan(
        'Move the code that starts processes under `if __name__ == "__main__":`',
        Applicability.UNSAFE,
        (Replace(module, lambda: fixed.code),),
    )


# -- MP103 -------------------------------------------------------------


# What MP103 found, and where pickling fails on it.
_LAMBDA = Phrase("A lambda", "lambda 函数")
_NESTED = Phrase("The nested function `{name}`", "嵌套函数 `{name}` ")
_NAMED_LAMBDA = Phrase("`{name}`, a lambda,", "lambda 函数 `{name}` ")
_LOCAL_METHOD = Phrase(
    "`{name}`, a method of the local class `{cls}`,", "局部类 `{cls}` 的方法 `{name}` "
)
_IN_PARTIAL = Phrase("{inner} inside functools.partial", "functools.partial 里的{inner}")
_WHEN = {
    "pool": Phrase(
        "every pool task is pickled, under every start method, so it", "进程池在任何启动方式下"
    ),
    "spawn": Phrase(
        "under spawn/forkserver `start()`", "在 spawn/forkserver 启动方式下 `start()` "
    ),
}


def _unpicklable_callable(facts: Facts, node: cst.BaseExpression) -> Phrase | None:
    """Why a callable cannot be pickled by reference, or None when it can (or we can't tell)."""
    if isinstance(node, cst.Lambda):
        return _LAMBDA
    if isinstance(node, cst.Call) and facts.resolve(node.func) == "functools.partial":
        first = call_argument(node, "func", 0)
        if first is None:
            return None
        inner = _unpicklable_callable(facts, first.value)
        return _IN_PARTIAL.format(inner=inner) if inner else None
    if isinstance(node, cst.Name):
        definition = facts.local_definition(node)
        if isinstance(definition, cst.FunctionDef):
            return _NESTED.format(name=node.value)
        bindings = facts.visible_bindings(node)
        if bindings and all(isinstance(b.value, cst.Lambda) for b in bindings):
            return _NAMED_LAMBDA.format(name=node.value)
        return None
    if isinstance(node, cst.Attribute):
        owner = node.value
        cls: cst.CSTNode | None = None
        if isinstance(owner, cst.Name) and owner.value == "self":
            function = facts.function_of(node)
            cls = facts.class_of(function) if function is not None else None
        elif isinstance(owner, cst.Name):
            cls = facts.local_definition(owner)
        elif isinstance(owner, cst.Call) and isinstance(owner.func, cst.Name):
            cls = facts.local_definition(owner.func)
        if isinstance(cls, cst.ClassDef) and facts.is_local_class(cls):
            if facts.method_of(cls, node.attr.value) is not None:
                return _LOCAL_METHOD.format(name=node.attr.value, cls=cls.name.value)
    return None


@check("MP103")
def unpicklable_callable(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = facts.kind_of_call(call)
        candidates: list[tuple[cst.BaseExpression, str]] = []
        task = facts.task_argument(call)
        if task is None:
            continue
        # A Process that is dropped unused is never started, so never pickled.
        if kind == Kind.PROCESS and facts.may_spawn(call.func) and not facts.result_dropped(call):
            candidates.append((task.value, "spawn"))
        if kind in POOL_KINDS and facts.may_spawn(call.func):
            candidates.append((task.value, "spawn"))
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            if facts.kind_of(func.value) in POOL_KINDS:
                candidates.append((task.value, "pool"))
        for node, when in candidates:
            what = _unpicklable_callable(facts, node)
            if what is not None:
                yield Finding(
                    "MP103",
                    node,
                    {"what": what, "when": _WHEN[when], "error": pickling_error(facts, node)},
                )


# -- MP104 -------------------------------------------------------------


class _InitCallFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__":
            self.found = True
        return not self.found


@check("MP104")
def process_init_without_super(facts: Facts) -> Iterator[Finding]:
    for name, cls in facts.process_subclasses.items():
        init = facts.method_of(cls, "__init__")
        if init is None:
            continue
        finder = _InitCallFinder()
        init.body.visit(finder)
        if not finder.found:
            yield Finding("MP104", init.name, {"cls": name}, fix=_insert_super_init(init))


def _insert_super_init(init: cst.FunctionDef) -> FixPlan | None:
    body = init.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements = list(body.body)
    if _is_docstring(statements[0]):
        if len(statements) == 1:
            return None
        anchor = statements[1]
    else:
        anchor = statements[0]
    return FixPlan(
        "Call super().__init__() first",
        Applicability.SAFE,
        (InsertLineBefore(anchor, "super().__init__()"),),
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


# -- MP106 -------------------------------------------------------------


def _returns_nothing_callable(function: cst.FunctionDef) -> bool:
    """True when the function visibly returns no callable: no `return value` at all, or only
    literals. A factory that returns a function must not be flagged."""
    finder = _ReturnFinder()
    function.body.visit(finder)
    return not finder.may_return_callable


class _ReturnFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.may_return_callable = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # returns of nested functions are theirs

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.may_return_callable = True  # a generator function: its result is not None
        return False

    def visit_Return(self, node: cst.Return) -> bool:
        value = node.value
        literal = (
            value is None
            or isinstance(
                value,
                cst.Integer
                | cst.Float
                | cst.SimpleString
                | cst.ConcatenatedString
                | cst.FormattedString
                | cst.List
                | cst.Tuple
                | cst.Dict
                | cst.Set
                | cst.Comparison,
            )
            or (isinstance(value, cst.Name) and value.value in ("None", "True", "False"))
        )
        if not literal:
            self.may_return_callable = True
        return False


_RECEIVERS = {
    Kind.PROCESS: Phrase("child process", "子进程"),
    Kind.POOL: Phrase("pool", "进程池"),
    Kind.EXECUTOR: Phrase("executor", "执行器"),
    Kind.THREAD_POOL: Phrase("pool", "线程池"),
    Kind.THREAD_EXECUTOR: Phrase("executor", "执行器"),
}


@check("MP106")
def target_called_not_passed(facts: Facts) -> Iterator[Finding]:
    for call in facts.calls:
        kind = facts.kind_of_call(call)
        argument: cst.Arg | None = None
        receiver = None
        if kind == Kind.PROCESS:
            argument, receiver = facts.task_argument(call), Kind.PROCESS
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOL_TASK_METHODS:
            holder = facts.kind_of(func.value)
            if holder in _RECEIVERS and holder != Kind.PROCESS:
                argument = facts.task_argument(call)
                receiver = holder
        if argument is None or receiver is None or not isinstance(argument.value, cst.Call):
            continue
        inner = argument.value
        if facts.resolve(inner.func) == "functools.partial":
            continue
        function = facts.function_for(inner.func)
        if function is None or not _returns_nothing_callable(function):
            continue
        yield Finding(
            "MP106",
            argument.value,
            {
                "call": cst.Module(body=[]).code_for_node(argument),
                "function": function.name.value,
                "receiver": _RECEIVERS[receiver],
            },
            fix=_pass_function_itself(call, argument, inner, receiver),
        )


class _CommentFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Comment(self, node: cst.Comment) -> bool:
        self.found = True
        return False


def _has_comment(node: cst.CSTNode) -> bool:
    finder = _CommentFinder()
    node.visit(finder)
    return finder.found


def _pass_function_itself(
    call: cst.Call, argument: cst.Arg, inner: cst.Call, receiver: str
) -> FixPlan | None:
    """`target=f(a, k=b)` becomes `target=f, args=(a,), kwargs={"k": b}`; a pool's
    `apply_async(f(a))` becomes `apply_async(f, args=(a,))`; `submit(f(a))` becomes
    `submit(f, a)`. Not offered when the outer call already passes arguments for the
    task, when the inner call unpacks `*`/`**`, or when a comment would be lost."""
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
    if inner.lpar or _has_comment(inner) or any(a.star for a in inner.args):
        return None
    render = cst.Module(body=[]).code_for_node
    positional = [render(a.value) for a in inner.args if a.keyword is None]
    keywords = [(a.keyword.value, render(a.value)) for a in inner.args if a.keyword is not None]
    later = list(call.args)[list(call.args).index(argument) + 1 :]
    if any(a.star for a in call.args):
        return None
    function = render(inner.func)
    if receiver in (Kind.EXECUTOR, Kind.THREAD_EXECUTOR) and method == "submit":
        if later:
            return None
        parts = [function, *positional, *(f"{k}={v}" for k, v in keywords)]
        return FixPlan(
            f"Submit {function} itself with its arguments",
            Applicability.UNSAFE,
            (Replace(inner, ", ".join(parts)),),
        )
    if receiver == Kind.PROCESS:
        api: Api | None = CONSTRUCTORS[Kind.PROCESS]
    else:
        api = method_api(Kind(receiver), method or "")
    if api is None or api.args is None or api.kwargs is None:
        return None  # map and friends: which argument was meant is not clear
    names = (api.args, api.kwargs)
    if any(a.keyword is None for a in later):
        return None
    if api.argument(call, api.args) or api.argument(call, api.kwargs):
        return None
    parts = [function]
    if positional:
        inside = ", ".join(positional) + ("," if len(positional) == 1 else "")
        parts.append(f"{names[0]}=({inside})")
    if keywords:
        pairs = ", ".join(f'"{k}": {v}' for k, v in keywords)
        parts.append(f"{names[1]}={{{pairs}}}")
    return FixPlan(
        f"Pass {function} itself and its arguments separately",
        Applicability.UNSAFE,
        (Replace(inner, ", ".join(parts)),),
    )


# -- MP107 -------------------------------------------------------------

_CONSEQUENCE = {
    "number": Phrase(
        "it raises 'TypeError: ... object is not iterable'.",
        "会报 'TypeError: ... object is not iterable'。",
    ),
    "none": Phrase(
        "it raises 'TypeError: 'NoneType' object is not iterable'.",
        "会报 'TypeError: 'NoneType' object is not iterable'。",
    ),
    "string": Phrase(
        "the string is split into one argument per character.",
        "字符串会被拆成每个字符一个参数。",
    ),
    "dict": Phrase(
        "the dict is split into its keys, one argument per key.",
        "字典会被拆成它的键，每个键一个参数。",
    ),
}


def _argument_tuples(facts: Facts, call: cst.Call) -> Iterator[tuple[str, cst.Arg]]:
    """The ``args=``/``initargs=`` a call hands its task: it must be a tuple."""
    api = facts.api_of(call)
    if api is None or api.args is None or facts.kind_of_call(call) == Kind.THREAD:
        return
    argument = api.argument(call, api.args)
    if argument is not None:
        yield api.args, argument


@check("MP107")
def args_not_a_tuple(facts: Facts) -> Iterator[Finding]:
    render = cst.Module(body=[]).code_for_node
    for call in facts.calls:
        for keyword, argument in _argument_tuples(facts, call):
            value = argument.value
            if argument.star:
                continue
            scalar = literal_type(facts, value)
            if scalar is None:
                continue
            inner = value.with_changes(lpar=(), rpar=()) if value.lpar else value
            inner_code = render(inner)
            fix = None
            if scalar != "none":
                safe = bool(value.lpar) and scalar not in ("string", "dict")
                # Inside parentheses a comma after the value is all it takes; what else
                # they hold (comments, line breaks) stays as written.
                edit = (
                    Replace(value, f"{inner_code},")
                    if value.lpar
                    else Replace(value, f"({inner_code},)")
                )
                fix = FixPlan(
                    f"Make {keyword} a one-element tuple",
                    Applicability.SAFE if safe else Applicability.UNSAFE,
                    (edit,),
                )
            shown = render(value)
            if "\n" in shown and value.lpar:  # a message is one line: leave out comments
                shown = f"({inner_code})"
            yield Finding(
                "MP107",
                value,
                {
                    "keyword": keyword,
                    "value": shown,
                    "inner": inner_code,
                    "consequence": _CONSEQUENCE[scalar],
                },
                fix=fix,
            )
