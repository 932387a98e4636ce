"""The life of a process object: start, join, terminate, daemon flag, exit code.

The MP2xx rules share one set of flow facts per started process
(``ProcessFlow.started``): where it was made, the names that can hold it (its variable, the list it was put in, the loop
variables that walk that list), what is done to it through those names (joined,
terminated, polled, daemon flag set) and whether it escapes where the analysis cannot
follow (returned, passed to a function, stored on an attribute or in a dict, yielded).
An escaped process is someone else's business: the rules stay silent on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

import mplint.flow as flow
from mplint.facts import Facts, FastVisitor, Scope, call_argument
from mplint.semantic.iteration import element_variable, iterated_container
from mplint.semantic.kinds import Kind
from mplint.semantic.syntax import source_text

# Builtins that look at an object without keeping it.
LOOKING_CALLS = frozenset(
    {"print", "str", "repr", "len", "isinstance", "id", "type", "bool", "hash", "format"}
)
# Methods of a list or set that put their argument in it.
ADDING_METHODS = frozenset({"append", "add", "insert", "extend"})
# Methods of a list or set that do not let an element out.
KEEPING_METHODS = frozenset(
    {"append", "add", "insert", "extend", "remove", "discard", "clear", "index", "count"}
)
# Wrappers around a list in `for x in wrapper(procs)` that yield the same elements.
ITERATING_WRAPPERS = frozenset({"reversed", "list", "tuple", "sorted"})
# Process methods which, handed on uncalled, let someone else act on the process.
PROCESS_METHODS = frozenset({"start", "run", "join", "terminate", "kill", "close", "is_alive"})
CHILD_MAKING_KINDS = frozenset({Kind.PROCESS, Kind.POOL, Kind.EXECUTOR, Kind.MANAGER})


def fresh_collection(value: cst.BaseExpression | None) -> bool:
    """A list or set made right here: `[]`, `[...]`, a comprehension, `list()`, `set()`."""
    if isinstance(value, cst.List | cst.Set | cst.ListComp | cst.SetComp | cst.Tuple):
        return True
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value in ("list", "set")
        and not value.args
    )


def augmented_list(statement: cst.CSTNode | None, part: cst.CSTNode) -> bool:
    """``procs += [...]``, with ``part`` the name ``procs`` or the added list: like
    ``extend``, the list only gains elements."""
    return (
        isinstance(statement, cst.AugAssign)
        and isinstance(statement.operator, cst.AddAssign)
        and isinstance(statement.target, cst.Name)
        and (statement.target is part or statement.value is part)
    )


def true_false(node: cst.BaseExpression | None) -> bool | None:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


@dataclass(slots=True)
class Fate:
    """What is done to one process through every name that can hold it."""

    joins: list[cst.Attribute] = field(default_factory=list)  # p.join / procs[i].join
    stops: list[cst.Attribute] = field(default_factory=list)  # p.terminate() / p.kill()
    daemon_stores: list[bool | None] = field(default_factory=list)  # p.daemon = ...
    escaped: bool = False  # handed on where the analysis cannot follow
    reaped: bool = False  # close(), is_alive()/exitcode polled in a loop, sentinel waited on
    contained: bool = False  # it went through a list

    @property
    def joined(self) -> bool:
        return bool(self.joins)


@dataclass(slots=True)
class Started:
    """One `x.start()` of a process, with what the file does to that process."""

    start: cst.Call
    receiver: cst.BaseExpression
    fate: Fate
    creations: list[cst.Call] | None  # the constructor calls, None when unknown


class ProcessFlow:
    """Flow facts of the processes of one file, computed once and shared by the checks."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._orders: dict[str, dict[int, int]] = {}

    # -- source order among Names of one text --

    def order(self, name: cst.Name) -> int:
        table = self._orders.get(name.value)
        if table is None:
            table = {id(n): i for i, n in enumerate(self.facts.name_nodes.get(name.value, ()))}
            self._orders[name.value] = table
        return table.get(id(name), -1)

    # -- what happens to a process held by a variable --

    def name_fate(self, variable: str, scope: Scope, fate: Fate, seen: set) -> None:
        key = (variable, id(scope))
        if key in seen:
            return
        seen.add(key)
        for name in flow.loads_of(self.facts, variable, scope):
            self.classify(name, fate, seen)

    def classify(self, name: cst.Name, fate: Fate, seen: set) -> None:
        """One read of a variable that holds the process."""
        facts = self.facts
        parent = facts.parent(name)
        if isinstance(parent, cst.Attribute) and parent.value is name:
            self.attribute_fate(parent, fate)
            return
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            call = facts.parent(parent)
            if isinstance(call, cst.Call):
                func = call.func
                if isinstance(func, cst.Name) and func.value in LOOKING_CALLS:
                    return
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Name)
                    and func.attr.value in KEEPING_METHODS
                ):
                    if func.attr.value in ADDING_METHODS:
                        self.container_fate(func.value, fate, seen)
                    return
            helper = self.helper_receiving(name)
            if helper is not None:
                self.name_fate(helper[0], helper[1], fate, seen)
                return
            fate.escaped = True
            return
        if isinstance(parent, cst.Element):
            self.literal_fate(facts.parent(parent), fate, seen)
            return
        if self.only_tested(name):
            return
        fate.escaped = True

    def parameter_container(self, node: cst.BaseExpression) -> cst.Param | None:
        """The parameter a list comes in by, for ``procs`` (a parameter) or ``proc`` (the
        variable of a ``for`` over it), when the function never rebinds it."""
        facts = self.facts
        if not isinstance(node, cst.Name):
            return None
        walked = facts.loop_variable_container(node)
        name = walked if isinstance(walked, cst.Name) else node
        bindings = facts.visible_bindings(name)
        if len(bindings) == 1 and isinstance(bindings[0].node, cst.Param):
            return bindings[0].node
        return None

    def parameter_fate(self, param: cst.Param, fate: Fate, seen: set) -> None:
        """The list came in by ``param``: what every caller of this file does to the list
        it passed (the call itself leads back here, and ``seen`` stops it)."""
        facts = self.facts
        parameters = facts.parent(param)
        helper = facts.parent(parameters) if parameters is not None else None
        sites = facts.call_sites.get(helper) if isinstance(helper, cst.FunctionDef) else None
        if not sites or not isinstance(helper, cst.FunctionDef):
            fate.escaped = True
            return
        self.container_loads_fate(param.name.value, helper, fate, seen)
        for site in sites:
            argument = site.argument_for(param)
            if site.call is None or helper not in facts.callees(site.call):
                fate.escaped = True  # handed to a process or a pool: not this flow
                return
            holders = facts.visible_bindings(argument) if isinstance(argument, cst.Name) else []
            if not holders or not all(fresh_collection(b.value) for b in holders):
                fate.escaped = True
                return
            self.container_loads_fate(argument.value, holders[0].scope, fate, seen)  # type: ignore[union-attr]

    def helper_receiving(self, node: cst.CSTNode) -> tuple[str, cst.FunctionDef] | None:
        """``start_all(procs)``: the parameter, and the function of this file, that a plain
        argument of a direct call is passed to, when the function never rebinds it."""
        facts = self.facts
        parent = facts.parent(node)
        call = facts.parent(parent) if isinstance(parent, cst.Arg) else None
        if not isinstance(call, cst.Call) or not isinstance(node, cst.BaseExpression):
            return None
        param = facts.parameter_receiving(call, node)
        parameters = facts.parent(param) if param is not None else None
        helper = facts.parent(parameters) if parameters is not None else None
        if param is None or not isinstance(helper, cst.FunctionDef):
            return None
        bindings = facts.bindings.get((helper, param.name.value), [])
        if any(binding.node is not param for binding in bindings):
            return None
        return param.name.value, helper

    def only_tested(self, node: cst.CSTNode) -> bool:
        """`if p:`, `p is None`, `not p`, `f"{p}"`, `del p`: looked at, not kept."""
        facts = self.facts
        parent = facts.parent(node)
        while isinstance(parent, cst.BooleanOperation | cst.UnaryOperation):
            node, parent = parent, facts.parent(parent)
        if isinstance(parent, cst.Comparison | cst.ComparisonTarget):
            return True
        if isinstance(parent, cst.If | cst.While | cst.Assert):
            return parent.test is node
        if isinstance(parent, cst.IfExp):
            return parent.test is node
        return isinstance(parent, cst.FormattedStringExpression | cst.Del)

    def attribute_fate(self, attribute: cst.Attribute, fate: Fate) -> None:
        method = attribute.attr.value
        action = flow.action_of(self.facts, attribute)
        if method == "join":
            fate.joins.append(attribute)
        elif method == "daemon" and action is flow.Action.STORE:
            assign = self.facts.parent(self.facts.parent(attribute) or attribute)
            value = assign.value if isinstance(assign, cst.Assign) else None
            fate.daemon_stores.append(true_false(value))
        elif method in ("terminate", "kill") and action is flow.Action.CALL:
            fate.stops.append(attribute)
        elif method == "close" and action is flow.Action.CALL:
            fate.reaped = True
        elif method in ("is_alive", "exitcode") and self.in_while(attribute):
            fate.reaped = True
        elif method == "pid" and self.reaped_by_pid(attribute):
            fate.reaped = True
        elif method == "sentinel":
            fate.escaped = True  # waited on with connection.wait(): joined elsewhere
        elif method in PROCESS_METHODS and action is not flow.Action.CALL:
            fate.escaped = True  # a bound method handed on (a callback, atexit)

    def reaped_by_pid(self, attribute: cst.Attribute) -> bool:
        """`os.waitpid(p.pid, 0)`, `os.kill(p.pid, ...)`: managed by hand through its pid."""
        parent = self.facts.parent(attribute)
        call = self.facts.parent(parent) if isinstance(parent, cst.Arg) else None
        if not isinstance(call, cst.Call):
            return False
        qualname = self.facts.resolve(call.func) or ""
        return qualname.startswith("os.wait") or qualname in ("os.kill", "os.killpg")

    def in_while(self, node: cst.CSTNode) -> bool:
        for ancestor in self.facts.ancestors(node):
            if isinstance(ancestor, cst.While):
                return True
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
                return False
        return False

    def literal_fate(self, literal: cst.CSTNode | None, fate: Fate, seen: set) -> None:
        """The process is an element of a list, tuple or set literal."""
        facts = self.facts
        parent = facts.parent(literal) if literal is not None else None
        if not isinstance(literal, cst.List | cst.Tuple | cst.Set):
            fate.escaped = True
        elif isinstance(parent, cst.For) and parent.iter is literal:
            self.loop_target_fate(parent.target, parent, fate, seen)
        elif isinstance(parent, cst.Arg) and parent.keyword is None:
            call = facts.parent(parent)
            func = call.func if isinstance(call, cst.Call) else None
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.attr.value in ADDING_METHODS
            ):
                self.container_fate(func.value, fate, seen)
            else:
                fate.escaped = True
        elif (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            self.container_fate(parent.targets[0].target, fate, seen)
        elif augmented_list(parent, literal) and isinstance(parent, cst.AugAssign):
            self.container_fate(parent.target, fate, seen)  # type: ignore[arg-type]
        else:
            fate.escaped = True

    def loop_target_fate(
        self, target: cst.BaseExpression, loop: cst.CSTNode, fate: Fate, seen: set
    ) -> None:
        """``target`` is the part of the loop's target that takes the process."""
        if not isinstance(target, cst.Name):
            fate.escaped = True
            return
        if isinstance(loop, cst.CompFor):
            # Comprehension variables are not bindings of the facts pass: read them here.
            comprehension = self.facts.parent(loop)
            while isinstance(comprehension, cst.CompFor | cst.CompIf):
                comprehension = self.facts.parent(comprehension)
            for name in self.facts.name_nodes.get(target.value, ()):
                if name is target or not self.facts.is_inside(name, comprehension):
                    continue
                if flow.is_inside(self.facts, name, loop.iter):
                    continue
                self.classify(name, fate, seen)
            return
        bindings = self.facts.visible_bindings(target)
        if not bindings:
            fate.escaped = True
            return
        self.name_fate(target.value, bindings[0].scope, fate, seen)

    def container_fate(self, container: cst.Name, fate: Fate, seen: set) -> None:
        """The process was put in the list `container`: follow what is done to its elements."""
        facts = self.facts
        fate.contained = True
        param = self.parameter_container(container)
        if param is not None:
            self.parameter_fate(param, fate, seen)
            return
        outer = facts.loop_variable_container(container)
        if isinstance(outer, cst.Name) and self.fresh(outer):
            # for group in groups: for proc in group — the lists inside a list
            loop = facts.visible_bindings(container)[0]
            self.container_loads_fate(container.value, loop.scope, fate, seen)
            self.inner_lists_fate(outer, fate, seen)
            return
        bindings = facts.visible_bindings(container)
        if not bindings or not all(fresh_collection(b.value) for b in bindings):
            fate.escaped = True  # a parameter or someone else's list: its owner may join
            return
        self.container_loads_fate(container.value, bindings[0].scope, fate, seen)

    def fresh(self, container: cst.Name) -> bool:
        """A list this scope made itself (not a parameter, not someone else's)."""
        bindings = self.facts.visible_bindings(container)
        return bool(bindings) and all(fresh_collection(b.value) for b in bindings)

    def inner_lists_fate(self, outer: cst.Name, fate: Fate, seen: set) -> None:
        """What every walk of ``outer`` does to the lists it holds (and so to their
        processes); any other use that lets a list out is an escape."""
        facts = self.facts
        scope = facts.visible_bindings(outer)[0].scope
        key = ("[[]]" + outer.value, id(scope))
        if key in seen:
            return
        seen.add(key)
        for name in flow.loads_of(facts, outer.value, scope):
            walked = element_variable(facts, name)
            parent = facts.parent(name)
            if walked is not None:
                loop, part = walked
                holders = facts.visible_bindings(part) if isinstance(part, cst.Name) else []
                if not isinstance(part, cst.Name) or not holders:
                    fate.escaped = True
                    continue
                self.container_loads_fate(part.value, holders[0].scope, fate, seen)
            elif isinstance(parent, cst.Attribute) and parent.value is name:
                if parent.attr.value not in KEEPING_METHODS:
                    fate.escaped = True
            elif not self.only_tested(name):
                fate.escaped = True

    def container_loads_fate(self, variable: str, scope: Scope, fate: Fate, seen: set) -> None:
        """What each read of the list ``variable`` of ``scope`` does to its elements."""
        facts = self.facts
        key = ("[]" + variable, id(scope))
        if key in seen:
            return
        seen.add(key)
        for name in flow.loads_of(facts, variable, scope):
            node: cst.CSTNode = name
            parent = facts.parent(node)
            # for x in enumerate(procs) / reversed(procs) / list(procs)
            if isinstance(parent, cst.Arg) and parent.keyword is None:
                call = facts.parent(parent)
                if (
                    isinstance(call, cst.Call)
                    and isinstance(call.func, cst.Name)
                    and call.func.value in ITERATING_WRAPPERS | LOOKING_CALLS
                ):
                    if call.func.value in LOOKING_CALLS and call.func.value != "list":
                        continue
                    node, parent = call, facts.parent(call)
            walked = element_variable(facts, node)
            helper = self.helper_receiving(node)
            if walked is not None:
                loop, part = walked
                self.loop_target_fate(part, loop, fate, seen)
            elif helper is not None:
                self.container_loads_fate(helper[0], helper[1], fate, seen)
            elif isinstance(parent, cst.Attribute) and parent.value is node:
                if parent.attr.value not in KEEPING_METHODS:
                    fate.escaped = True
            elif isinstance(parent, cst.Subscript) and parent.value is node:
                outer = facts.parent(parent)
                if isinstance(outer, cst.Attribute) and outer.value is parent:
                    self.attribute_fate(outer, fate)
                elif not isinstance(outer, cst.AssignTarget):
                    fate.escaped = True
            elif augmented_list(parent, node):
                pass  # procs += [...]: more elements join, none leave
            elif not self.only_tested(node):
                fate.escaped = True

    # -- where a process comes from --

    def creations(self, node: cst.BaseExpression) -> list[cst.Call] | None:
        """The constructor calls whose process an expression holds, None when unsure."""
        return self._processes(self.facts.origins(node))

    def element_creations(self, node: cst.BaseExpression) -> list[cst.Call] | None:
        """The processes a container holds, None when unsure."""
        return self._processes(self.facts.element_origins(node))

    def _processes(self, found: list[cst.Call] | None) -> list[cst.Call] | None:
        if not found or any(self.facts.kind_of_call(c) != Kind.PROCESS for c in found):
            return None
        return found

    # -- every start() of a process, with its fate --

    @cached_property
    def started(self) -> list[Started]:
        facts = self.facts
        found: list[Started] = []
        for call in facts.calls:
            func = call.func
            if not isinstance(func, cst.Attribute) or func.attr.value != "start" or call.args:
                continue
            receiver = func.value
            creations = self.creations(receiver)
            if creations is None and self.parameter_container(receiver) is not None:
                # start_all(procs): the helper starts what its callers made
                creations = self._processes(facts.origins(receiver, through_parameters=True))
            if facts.kind_of(receiver) != Kind.PROCESS and not creations:
                continue
            fate = self.receiver_fate(receiver)
            if fate is None:
                continue
            found.append(Started(call, receiver, fate, creations))
        return found

    def receiver_fate(self, receiver: cst.BaseExpression) -> Fate | None:
        """What happens to the process `receiver` holds; None when it is kept somewhere the
        analysis does not follow (an attribute, a subscript, an unknown expression)."""
        facts = self.facts
        fate = Fate()
        seen: set = set()
        if isinstance(receiver, cst.Call):
            return fate  # Process(...).start(): nothing can join it later
        if not isinstance(receiver, cst.Name):
            return None
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            # A comprehension variable: [p.start() for p in procs]
            for ancestor in facts.ancestors(receiver):
                if isinstance(ancestor, cst.CompFor):
                    if (
                        isinstance(ancestor.target, cst.Name)
                        and ancestor.target.value == receiver.value
                        and isinstance(ancestor.iter, cst.Name)
                    ):
                        self.container_fate(ancestor.iter, fate, seen)
                        return fate
                if isinstance(ancestor, cst.FunctionDef | cst.Lambda):
                    break
            return None
        scope = bindings[0].scope
        self.name_fate(receiver.value, scope, fate, seen)
        for binding in bindings:
            if isinstance(binding.node, cst.Assign) and len(binding.node.targets) > 1:
                fate.escaped = True  # p = self.p = Process(...): kept under another name
            loop = binding.node
            if binding.value is None and isinstance(loop, cst.For):
                iterator = iterated_container(loop, receiver.value)
                if (
                    isinstance(iterator, cst.Call)
                    and isinstance(iterator.func, cst.Name)
                    and iterator.func.value in ITERATING_WRAPPERS
                    and iterator.args
                ):
                    iterator = iterator.args[0].value
                if isinstance(iterator, cst.Name):
                    self.container_fate(iterator, fate, seen)
                elif isinstance(iterator, cst.List | cst.Tuple):
                    for element in iterator.elements:
                        if isinstance(element.value, cst.Name):
                            inner = facts.visible_bindings(element.value)
                            if inner:
                                self.name_fate(element.value.value, inner[0].scope, fate, seen)
                        else:
                            fate.escaped = True
                else:
                    fate.escaped = True
        return fate

    # -- daemon flag --

    def daemonic(self, item: Started) -> bool | None:
        """True or False when the process surely is (not) daemonic, None when unsure."""
        stores = item.fate.daemon_stores
        if stores:
            values = set(stores)
            return values.pop() if len(values) == 1 else None
        if item.creations is None:
            return None
        values = {self.creation_daemonic(call) for call in item.creations}
        return values.pop() if len(values) == 1 else None

    def creation_daemonic(self, call: cst.Call) -> bool | None:
        argument = call_argument(call, "daemon")
        given = true_false(argument.value) if argument is not None else False
        cls = self.subclass_of(call)
        if cls is None:
            return given
        init = self.own_init(cls)
        if init is None:
            return given
        finder = DaemonFinder()
        init.body.visit(finder)
        if finder.values:
            values = set(finder.values)
            return values.pop() if len(values) == 1 else None
        return None if argument is not None or finder.forwards else False

    def subclass_of(self, call: cst.Call) -> cst.ClassDef | None:
        if isinstance(call.func, cst.Name):
            return self.facts.process_subclasses.get(call.func.value)
        return None

    def own_init(self, cls: cst.ClassDef) -> cst.FunctionDef | None:
        """The `__init__` a Process subclass runs, from itself or a Process subclass it
        derives from in this file."""
        return self.facts.inherited_method(cls, "__init__")

    # -- the function a process runs --

    def target_of(self, call: cst.Call) -> cst.FunctionDef | None:
        cls = self.subclass_of(call)
        if cls is not None:
            return self.facts.inherited_method(cls, "run")
        target = self.facts.task_argument(call)
        return self.facts.function_for(target.value) if target is not None else None

    @cached_property
    def child_makers(self) -> set[cst.FunctionDef]:
        """Functions of this file that create a process, pool, executor or manager."""
        facts = self.facts
        return facts.functions_reaching(lambda call: facts.kind_of_call(call) in CHILD_MAKING_KINDS)

    @cached_property
    def main_flow_functions(self) -> set[cst.FunctionDef]:
        """Functions the main flow runs: called from module level or the main guard, and
        the functions of this file those call, and so on."""
        return self.facts.reachable_from([None])

    def in_main_flow(self, node: cst.CSTNode) -> bool:
        function = self.facts.function_of(node)
        return function is None or function in self.main_flow_functions

    @cached_property
    def active_children_used(self) -> bool:
        return any(
            self.facts.resolve(call.func) == "multiprocessing.active_children"
            for call in self.facts.calls
        )


class DaemonFinder(FastVisitor):
    """`self.daemon = X` and `super().__init__(..., daemon=X)` in a Process subclass."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[bool | None] = []
        self.forwards = False  # passes **kwargs on: a daemon= given by the caller counts

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if (
                isinstance(target.target, cst.Attribute)
                and isinstance(target.target.value, cst.Name)
                and target.target.value.value == "self"
                and target.target.attr.value == "daemon"
            ):
                self.values.append(true_false(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "__init__":
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "daemon":
                    self.values.append(true_false(arg.value))
                if arg.star == "**":
                    self.forwards = True


FLOWS: dict[int, tuple[Facts, ProcessFlow]] = {}


def process_flow_of(facts: Facts) -> ProcessFlow:
    """One ProcessFlow per Facts, shared by the checks of this module."""
    cached = FLOWS.get(id(facts))
    if cached is not None and cached[0] is facts:
        return cached[1]
    FLOWS.clear()
    made = ProcessFlow(facts)
    FLOWS[id(facts)] = (facts, made)
    return made


def shown_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        return source_text(node.func) + "(...)"
    return source_text(node)


def given_objects(facts: Facts, call: cst.Call, subclass: bool) -> list[cst.BaseExpression]:
    """What a process constructor hands to the child: `args=`/`kwargs=` of a Process, every
    argument of a Process subclass."""
    if subclass:
        return [arg.value for arg in call.args if not arg.star]
    given: list[cst.BaseExpression] = []
    for argument in facts.sent_arguments(call):
        value = argument.value
        if isinstance(value, cst.Name):
            value = facts.only_value(value) or value
        if isinstance(value, cst.Tuple | cst.List):
            given.extend(e.value for e in value.elements)
        elif isinstance(value, cst.Dict):
            given.extend(e.value for e in value.elements if isinstance(e, cst.DictElement))
        elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            if value.func.value == "dict":
                given.extend(a.value for a in value.args if a.keyword is not None)
    return given


def shared_loop(
    facts: Facts, first: cst.CSTNode, second: cst.CSTNode
) -> cst.For | cst.While | None:
    """The innermost loop (of the same function) whose body holds both nodes."""
    loop = flow.innermost_loop(facts, first, comprehensions=False)
    while isinstance(loop, cst.For | cst.While):
        if flow.is_inside(facts, second, loop.body):
            return loop
        loop = flow.innermost_loop(facts, loop, comprehensions=False)
    return None


def rebound_between(
    flows: ProcessFlow, variable: cst.Name, first: cst.Name, second: cst.Name
) -> bool:
    """Whether the variable is bound again between two of its reads (source order)."""
    facts = flows.facts
    low, high = flows.order(first), flows.order(second)
    for binding in facts.visible_bindings(variable):
        for name in facts.name_nodes.get(variable.value, ()):
            if low < flows.order(name) < high and flow.is_inside(facts, name, binding.node):
                if name is not first and name is not second and is_target(facts, name):
                    return True
    return False


def is_target(facts: Facts, name: cst.Name) -> bool:
    parent = facts.parent(name)
    while isinstance(parent, cst.Element | cst.Tuple | cst.List):
        parent = facts.parent(parent)
    return isinstance(parent, cst.AssignTarget | cst.For | cst.AsName | cst.AnnAssign)


def receiver_uses(flows: ProcessFlow, receiver: cst.BaseExpression) -> list[tuple[cst.Name, str]]:
    """Every `receiver.attr` of the same variable (or `self.x` in the same function), as
    (the Name that orders it, attr), in source order."""
    facts = flows.facts
    found: list[tuple[cst.Name, str]] = []
    if isinstance(receiver, cst.Name):
        bindings = facts.visible_bindings(receiver)
        if not bindings:
            return []
        for reference in flow.uses_of(facts, receiver.value, bindings[0].scope):
            base = reference.attribute.value
            assert isinstance(base, cst.Name)
            found.append((base, reference.name))
        return found
    if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
        if receiver.value.value != "self":
            return []
        function = facts.function_of(receiver)
        for use in facts.attribute_uses:
            if not isinstance(use.value, cst.Name) or use.value.value != "self":
                continue
            if use.attr.value != receiver.attr.value or facts.function_of(use) is not function:
                continue
            parent = facts.parent(use)
            if isinstance(parent, cst.Attribute) and parent.value is use:
                found.append((use.value, parent.attr.value))
        found.sort(key=lambda pair: flows.order(pair[0]))
    return found


def ordering_name(attribute: cst.Attribute) -> cst.Name:
    """The Name that orders `p.attr` (`p`) or `self.x.attr` (`self`) among its kind."""
    base = attribute.value
    if isinstance(base, cst.Attribute):
        base = base.value
    assert isinstance(base, cst.Name)
    return base


def attribute_of(facts: Facts, name: cst.Name) -> cst.Attribute:
    """`p.attr` (or `self.x.attr`) from the Name that starts it."""
    node = facts.parent(name)
    assert isinstance(node, cst.Attribute)
    if isinstance(node.value, cst.Name) and node.value.value == "self":
        outer = facts.parent(node)
        if isinstance(outer, cst.Attribute) and outer.value is node:
            return outer
    return node
