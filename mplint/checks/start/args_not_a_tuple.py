"""MP107 args-not-a-tuple: args= is not a tuple.

Page: rules/MP107.md (zh-CN: rules/zh-CN/MP107.md) · Fixtures: fixtures/MP107/
· Example: examples/MP107-args-not-a-tuple/
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from mplint.checks.base import Finding, Message, Phrase, check, messages
from mplint.diagnostic import Applicability
from mplint.edits import FixPlan, Replace
from mplint.facts import (
    Facts,
)
from mplint.semantic.kinds import Kind
from mplint.semantic.literals import literal_type
from mplint.semantic.syntax import source_text

messages(
    {
        "MP107": Message(
            en="`{keyword}={value}` is not a tuple: {consequence} Write `{keyword}=({inner},)`.",
            zh="`{keyword}={value}` 不是元组：{consequence}请写成 `{keyword}=({inner},)`。",
        ),
    }
)


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
    for call in facts.calls:
        for keyword, argument in _argument_tuples(facts, call):
            value = argument.value
            if argument.star:
                continue
            scalar = literal_type(facts, value)
            if scalar is None:
                continue
            inner = value.with_changes(lpar=(), rpar=()) if value.lpar else value
            inner_code = source_text(inner)
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
            shown = source_text(value)
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
