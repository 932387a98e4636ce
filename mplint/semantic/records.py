"""The records the one walk leaves: bindings, call sites, child uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from mplint.semantic.kinds import Via

Scope = cst.Module | cst.FunctionDef | cst.Lambda


@dataclass(frozen=True, slots=True)
class ChildUse:
    """A function of this file that runs in another process, and how it gets there."""

    function: cst.FunctionDef
    via: Via
    call: cst.CSTNode  # the call (or class) that sends it there
    daemonic: bool


@dataclass(slots=True)
class Binding:
    name: str
    value: cst.BaseExpression | None  # None: bound to something unknown (a parameter, a loop)
    node: cst.CSTNode  # the statement or expression that binds it
    scope: Scope
    unpack_index: int | None = None  # a, b = Pipe(): position in the tuple
    target: cst.BaseExpression | None = None  # obj.x = ...: the attribute stored to


@dataclass(frozen=True, slots=True)
class CallSite:
    """A place that calls a function of this file, directly or by handing it to a
    process, thread, pool or executor, with the arguments it passes."""

    function: cst.FunctionDef
    call: cst.Call | None
    positional: tuple[cst.BaseExpression, ...]
    keywords: Mapping[str, cst.BaseExpression]
    complete: bool  # False when *args, **kwargs or a non-literal args= hide arguments
    bound: bool  # called as self.method: the first parameter is self

    def extended(
        self,
        call: cst.Call,
        positional: Iterable[cst.BaseExpression],
        keywords: Mapping[str, cst.BaseExpression],
        complete: bool,
    ) -> CallSite:
        """This site with more arguments appended (a partial's, then the call's)."""
        return CallSite(
            self.function,
            call,
            (*self.positional, *positional) if self.complete else self.positional,
            {**self.keywords, **keywords},
            self.complete and complete,
            self.bound,
        )

    def argument_for(self, param: cst.Param) -> cst.BaseExpression | None:
        """The expression this site passes for ``param`` (its default when left out),
        or None when that cannot be read."""
        params = self.function.params
        positional = [*params.posonly_params, *params.params]
        if self.bound:
            if not positional or positional[0] is param:
                return None
            positional = positional[1:]
        name = param.name.value
        if param in positional:
            index = positional.index(param)
            if index < len(self.positional):
                return self.positional[index]
            if not self.complete:
                return None
            if param not in params.posonly_params and name in self.keywords:
                return self.keywords[name]
            return param.default
        if param in params.kwonly_params:
            if name in self.keywords:
                return self.keywords[name]
            return param.default if self.complete else None
        return None
