"""The single pass: everything the checks ask about one file, gathered in one walk.

The walk records, without libcst metadata providers: every node's parent, the
imports (through ``names.canonical``), calls, function and class definitions,
simple assignments (which name holds which object), ``global`` declarations and
the main guard. The queries below answer the checks' questions from those
records; anything the analysis cannot be sure of answers ``None`` or ``False``
so that checks stay silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cached_property

import libcst as cst

from mplint.names import (
    STAR_EXPORTS,
    canonical,
    is_process_module,
)
from mplint.semantic import classes, reach
from mplint.semantic.api import (
    CONSTRUCTORS,
    METHOD_NAMES,
    Api,
    TaskArguments,
    method_api,
    sent_arguments,
    starmap_tuples,
    task_arguments,
)
from mplint.semantic.collect import _Collector
from mplint.semantic.kind_inference import ASYNC_RESULT_METHODS, KindInference
from mplint.semantic.kinds import Kind, Via
from mplint.semantic.records import Binding, CallSite, ChildUse, Scope
from mplint.semantic.syntax import (
    FUNCTION_TYPES,
    FastVisitor,
    bound_names,
    call_argument,
    dotted_name,
    is_main_guard_test,
    is_method_call,
    lambda_call,
    split_arguments,
    string_value,
)

# Re-exported: the checks import these names from here.
__all__ = [
    "ASYNC_RESULT_METHODS",
    "MANAGER_CLASSES",
    "POOL_KINDS",
    "POOL_TASK_METHODS",
    "START_METHODS",
    "Binding",
    "CallSite",
    "ChildUse",
    "Facts",
    "FastVisitor",
    "Scope",
    "bound_names",
    "call_argument",
    "dotted_name",
    "is_main_guard_test",
    "is_method_call",
    "string_value",
]


POOL_TASK_METHODS = frozenset(
    {
        "map",
        "map_async",
        "imap",
        "imap_unordered",
        "starmap",
        "starmap_async",
        "apply",
        "apply_async",
        "submit",
    }
)
POOL_KINDS = frozenset({Kind.POOL, Kind.EXECUTOR})
START_METHODS = ("fork", "spawn", "forkserver")


MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.BaseManager", "multiprocessing.managers.SyncManager"}
)


class Facts(KindInference):
    """What one file does with processes; built once, queried by every check."""

    def __init__(self, module: cst.Module, start_method_setting: str = "auto") -> None:
        self.module = module
        self.start_method_setting = start_method_setting
        # Each node's parent by the node's id: libcst nodes hash in Python, ids in C, and
        # the tree is asked for parents millions of times. ``nodes``: every node but the
        # module, in source order (the walk is pre-order).
        self.parent_ids: dict[int, cst.CSTNode] = {}
        self.nodes: list[cst.CSTNode] = []
        self.imports: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.calls: list[cst.Call] = []
        self.functions: list[cst.FunctionDef] = []
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.classes: dict[str, cst.ClassDef] = {}
        self.bindings: dict[tuple[Scope, str], list[Binding]] = {}
        # Every `obj.x = value` with a plain name obj; the `self.x = ...` ones again below.
        self.attribute_bindings: list[Binding] = []
        self.self_attribute_bindings: list[Binding] = []
        # `d[k] = value` by (scope, d): what a container was filled with.
        self.subscript_stores: dict[tuple[Scope, str], list[cst.BaseExpression]] = {}
        # `xs += value` by (scope, xs): value's elements join xs, like `xs.extend(value)`.
        self.augmented_stores: dict[tuple[Scope, str], list[cst.BaseExpression]] = {}
        # `self.xs += value` (any attribute): value's elements join that attribute's list.
        self.augmented_attribute_stores: list[tuple[cst.Attribute, cst.BaseExpression]] = []
        # The names each comprehension `for` binds.
        self.comprehension_targets: dict[cst.CompFor, set[str]] = {}
        # The return statements of each function's own code (not of functions in it).
        self.return_statements: dict[cst.FunctionDef, list[cst.Return]] = {}
        # The yields of each function: its body's own, and any in its decorators, defaults
        # and annotations, which are not its own code (``is_inside(y, f.body)`` tells).
        self.yields: dict[cst.FunctionDef, list[cst.Yield]] = {}
        self.globals_declared: dict[cst.FunctionDef, set[str]] = {}
        # Names each function declares `nonlocal`: its stores bind the enclosing function's.
        self.nonlocals_declared: dict[cst.FunctionDef, set[str]] = {}
        # Functions and classes defined inside a function: (scope, name) -> definition.
        self.local_definitions: dict[tuple[Scope, str], cst.FunctionDef | cst.ClassDef] = {}
        self.main_guards: list[cst.If] = []
        # Every `name.attr` in source order: p.start(), p.daemon = True, p.exitcode, ...
        self.attribute_uses: list[cst.Attribute] = []
        # Every Name node by its text, in source order (loads, stores, attribute names alike);
        # ``references`` filters them.
        self.name_nodes: dict[str, list[cst.Name]] = {}
        _Collector(self).walk(module)
        self._resolving: set[int] = set()
        # Answers remembered by the id of the node asked about (see ``parent_ids``).
        self._scope_cache: dict[int, Scope] = {}
        self._resolve_cache: dict[int, str | None] = {}
        self._kind_cache: dict[int, str | None] = {}
        self._kind_pending: set[int] = set()
        self._parameter_kinds: dict[cst.Param, Kind | None] = {}
        self._parameters_pending: set[cst.Param] = set()
        self.attribute_cache: dict[tuple[cst.ClassDef, str], list[Binding]] = {}
        self._callees: dict[cst.Call, list[cst.FunctionDef]] = {}
        self._apis: dict[int, Api | None] = {}
        self._functions_named: dict[int, cst.FunctionDef | None] = {}
        # By (id of the scope a name is used in, its text): every use there sees the same.
        self._visible: dict[tuple[int, str], list[Binding]] = {}
        self._names_resolved: dict[tuple[int, str], str | None] = {}
        self._methods: dict[int, dict[str, cst.FunctionDef]] = {}

    # -- tree navigation -------------------------------------------------

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parent_ids.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent_ids = self.parent_ids
        current = parent_ids.get(id(node))
        while current is not None:
            yield current
            current = parent_ids.get(id(current))

    def scope_of(self, node: cst.CSTNode) -> Scope:
        scope_cache = self._scope_cache
        cached = scope_cache.get(id(node))
        if cached is not None:
            return cached
        scope: Scope = self.module
        child = node
        # Every node passed on the way up shares the answer: remember it for each, so
        # that the scopes of a whole function cost one walk, not one walk per node.
        passed = [node]
        for ancestor in self.ancestors(node):
            # A decorator or default value belongs to the enclosing scope, a body to the def.
            if type(ancestor) in FUNCTION_TYPES and child is ancestor.body:  # type: ignore[attr-defined]
                scope = ancestor  # type: ignore[assignment]
                break
            known = scope_cache.get(id(ancestor))
            if known is not None:
                scope = known
                break
            passed.append(ancestor)
            child = ancestor
        for visited in passed:
            scope_cache[id(visited)] = scope
        return scope

    def function_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        scope = self.scope_of(node)
        while type(scope) is cst.Lambda:
            scope = self.scope_of(scope)
        return scope if type(scope) is cst.FunctionDef else None

    def class_of(self, function: cst.FunctionDef) -> cst.ClassDef | None:
        """The class whose body defines this function directly."""
        for ancestor in self.ancestors(function):
            if type(ancestor) is cst.ClassDef:
                return ancestor
            if type(ancestor) is cst.FunctionDef:
                return None
        return None

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode | None) -> bool:
        """Is ``node`` the container or one of its descendants? The one place that asks."""
        if container is None:
            return False
        return node is container or any(a is container for a in self.ancestors(node))

    _inside = is_inside  # the old private name, still used by checks being merged

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost statement (simple or compound) that holds the node."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(
            current, cst.BaseSmallStatement | cst.BaseCompoundStatement
        ):
            current = self.parent(current)
        return current if current is not None else node

    def in_main_guard(self, node: cst.CSTNode) -> bool:
        for guard in self.main_guards:
            if self._inside(node, guard.body):
                return True
        return False

    def runs_at_import(self, node: cst.CSTNode) -> bool:
        """True when the node's code runs while the module is imported: at module level
        (class bodies included), outside the main guard and outside function bodies."""
        if type(self.scope_of(node)) is not cst.Module:
            return False  # in a function's or a lambda's body (the scope is remembered)
        if self.in_main_guard(node):
            return False
        child = node
        for ancestor in self.ancestors(node):
            if type(ancestor) is cst.FunctionDef and child is ancestor.body:
                return False
            if type(ancestor) is cst.Lambda:
                return False
            child = ancestor
        return True

    def assigned_name(self, value: cst.BaseExpression) -> cst.Name | None:
        """The plain name that ``value`` is assigned to as a whole (``x = value``, one
        target), else None."""
        parent = self.parent(value)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = parent.targets[0].target
            return target if isinstance(target, cst.Name) else None
        return None

    def result_dropped(self, call: cst.Call) -> bool:
        """True when nothing can ever use what the call made: it is a statement of its
        own (``Process(...)``), or bound to a plain name that is not read anywhere in
        its scope, nested functions included (``p = Process(...)`` and no other ``p``).
        An object that is dropped is never started, pickled or sent."""
        if isinstance(self.parent(call), cst.Expr):
            return True
        target = self.assigned_name(call)
        if target is None:
            return False
        scope = self.scope_of(call)
        return not any(
            name is not target and self._inside(name, scope)
            for name in self.name_nodes.get(target.value, ())
        )

    # -- names -----------------------------------------------------------

    def resolve(self, node: cst.BaseExpression | None) -> str | None:
        """The canonical qualified name an expression refers to, through the imports,
        ``get_context(...)`` objects and simple aliases; None when unsure."""
        if node is None:
            return None
        key = id(node)
        if key in self._resolve_cache:
            return self._resolve_cache[key]
        resolved = self._resolve(node)
        self._resolve_cache[key] = resolved
        return resolved

    def _resolve(self, node: cst.BaseExpression) -> str | None:
        if type(node) is cst.Name:
            return self._resolve_name(node)
        if type(node) is cst.Attribute:
            base = self.resolve(node.value)
            return canonical(f"{base}.{node.attr.value}") if base else None
        if type(node) is cst.Call:
            if self.resolve(node.func) == "multiprocessing.get_context":
                return "multiprocessing"
        return None

    def _resolve_name(self, node: cst.Name) -> str | None:
        if self._resolving:  # inside an alias being followed: a cycle may cut it short
            return self._resolve_name_in(node)
        key = (id(self.scope_of(node)), node.value)
        if key not in self._names_resolved:
            self._names_resolved[key] = self._resolve_name_in(node)
        return self._names_resolved[key]

    def _resolve_name_in(self, node: cst.Name) -> str | None:
        name = node.value
        bindings = self.visible_bindings(node)
        if bindings:
            # A local alias such as `ctx = mp.get_context("spawn")` or `P = mp.Process`.
            values = {self._resolve_binding(b) for b in bindings}
            if len(values) == 1:
                return values.pop()
            return None
        if name in self.imports:
            return self.imports[name]
        for module in self.star_modules:
            if is_process_module(module) and name in STAR_EXPORTS:
                return canonical(f"{module}.{name}")
        return None

    def _resolve_binding(self, binding: Binding) -> str | None:
        value = binding.value
        if value is None or binding.unpack_index is not None:
            return None
        if not isinstance(value, cst.Name | cst.Attribute | cst.Call):
            return None
        if isinstance(value, cst.Call) and not isinstance(value.func, cst.Name | cst.Attribute):
            return None
        key = id(binding)
        if key in self._resolving:
            return None
        self._resolving.add(key)
        try:
            resolved = self.resolve(value)
        finally:
            self._resolving.discard(key)
        # Only module-like aliases count; `p = Process()` makes an object, not a name.
        if isinstance(value, cst.Call) and resolved != "multiprocessing":
            return None
        return resolved

    def visible_bindings(self, name: cst.Name) -> list[Binding]:
        """Bindings of this name in the scope where it is used, else the module's.
        Imports are not bindings here; they are in ``imports``."""
        scope = self.scope_of(name)
        key = (id(scope), name.value)
        found = self._visible.get(key)
        if found is None:
            found = self._visible[key] = self._bindings_seen_from(scope, name.value)
        return found

    def _bindings_seen_from(self, scope: Scope, text: str) -> list[Binding]:
        while True:
            found = self.bindings.get((scope, text))
            if found:
                if type(scope) is cst.FunctionDef and text in self.globals_declared.get(scope, ()):
                    return self.bindings.get((self.module, text), [])
                return found
            if type(scope) is cst.Module:
                return []
            scope = self.scope_of(scope)

    def builtin_name(self, node: cst.BaseExpression) -> str | None:
        """The name a bare Name stands for when nothing in this file binds, imports or
        defines it (``print``, ``open``, ``exit``: a builtin), else None."""
        if (
            not isinstance(node, cst.Name)
            or self.visible_bindings(node)
            or node.value in self.imports
            or node.value in self.module_functions
            or self.local_definition(node) is not None
        ):
            return None
        return node.value

    def only_binding(self, name: cst.Name) -> Binding | None:
        """The only visible binding of this name, when its value is known and is not one
        element unpacked from a tuple; else None."""
        bindings = self.visible_bindings(name)
        if len(bindings) != 1 or bindings[0].unpack_index is not None:
            return None
        return bindings[0] if bindings[0].value is not None else None

    def only_value(self, name: cst.Name) -> cst.BaseExpression | None:
        """The one value this name can hold where it is used (see ``only_binding``)."""
        binding = self.only_binding(name)
        return binding.value if binding is not None else None

    def module_names_made_once(self) -> Iterator[tuple[str, Binding, cst.Call]]:
        """Module-level names bound exactly once, to a call (``LOCK = Lock()``)."""
        for (scope, name), bindings in self.bindings.items():
            if not isinstance(scope, cst.Module) or len(bindings) != 1:
                continue
            value = bindings[0].value
            if isinstance(value, cst.Call) and bindings[0].unpack_index is None:
                yield name, bindings[0], value

    def local_definition(self, name: cst.Name) -> cst.FunctionDef | cst.ClassDef | None:
        """The function or class defined inside an enclosing function that this name
        refers to (a nested def), when no other binding of the name is visible first."""
        scope = self.scope_of(name)
        while type(scope) is not cst.Module:
            if self.bindings.get((scope, name.value)):
                return None
            found = self.local_definitions.get((scope, name.value))
            if found is not None:
                return found
            scope = self.scope_of(scope)
        return None

    def is_local_class(self, cls: cst.ClassDef) -> bool:
        return any(isinstance(a, cst.FunctionDef | cst.Lambda) for a in self.ancestors(cls))

    @cached_property
    def returns(self) -> dict[cst.FunctionDef, list[cst.BaseExpression | None]]:
        """The value of each ``return`` of each function (None for a bare return)."""
        return {
            function: [statement.value for statement in statements]
            for function, statements in self.return_statements.items()
        }

    @cached_property
    def process_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from Process, directly or through each other."""
        return self.subclasses_of("multiprocessing.Process")

    @cached_property
    def manager_subclasses(self) -> dict[str, cst.ClassDef]:
        """Classes of this file that derive from BaseManager or SyncManager, directly or
        through each other."""
        return self.subclasses_of(*MANAGER_CLASSES)

    def subclasses_of(self, *qualnames: str) -> dict[str, cst.ClassDef]:
        """Classes of this file deriving from one of ``qualnames`` (semantic.classes)."""
        return classes.subclasses_of(self, qualnames)

    # -- parameters: what the call sites of this file pass -----------------

    @cached_property
    def call_sites(self) -> dict[cst.FunctionDef, list[CallSite]]:
        """Every place of this file that calls a function of this file with arguments it
        can read: ``f(a)``, ``self.m(a)``, ``Process(target=f, args=(a,))``,
        ``Thread(...)``, ``pool.apply_async(f, (a,))``, ``executor.submit(f, a)``,
        ``Pool(initializer=f, initargs=(a,))``, each through ``functools.partial`` too."""
        sites: dict[cst.FunctionDef, list[CallSite]] = {}
        for call in self.calls:
            for site in self._call_sites_of(call):
                sites.setdefault(site.function, []).append(site)
        return sites

    def _call_sites_of(self, call: cst.Call) -> Iterator[CallSite]:
        direct = self._callee(call.func)
        if direct is not None:
            yield direct.extended(call, *split_arguments(call.args))
        api = self.api_of(call)
        task = self.task_argument(call, api)
        if api is None or task is None:
            return
        callee = self._callee(task.value)
        if callee is None:
            return
        tuples = starmap_tuples(api, call)
        if tuples is not None:
            for elements in tuples:  # starmap(f, [(a, b), ...]): one call per tuple
                yield callee.extended(call, elements, {}, True)
            return
        arguments = task_arguments(api, call)
        yield callee.extended(call, arguments.positional, arguments.keywords, arguments.complete)

    # -- the process APIs: which argument plays which part (see semantic/api.py) ----

    def makes_new(self, call: cst.Call) -> bool:
        """The call makes a new library object here (``Process(...)``, ``Worker()``), not
        one a function of this file made and returned (``p = launch()``)."""
        return self.kind_of(call) is not None and self.origins(call) == [call]

    def api_of(self, call: cst.Call) -> Api | None:
        """The table entry of a process API call: a constructor (``Process``, ``Pool``,
        an executor, a thread) or a method of an object whose kind is known. A Process
        subclass of this file with its own ``__init__`` takes other parameters: None."""
        key = id(call)
        if key in self._apis:
            return self._apis[key]
        api = self._apis[key] = self._api_of(call)
        return api

    def _api_of(self, call: cst.Call) -> Api | None:
        kind = self.kind_of(call)
        if kind is not None and kind in CONSTRUCTORS:
            cls = self.local_class(call.func)
            if cls is not None and self.inherited_method(cls, "__init__") is not None:
                return None
            return CONSTRUCTORS[kind]
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in METHOD_NAMES:
            return method_api(self.kind_of(func.value), func.attr.value)
        return None

    def task_argument(self, call: cst.Call, api: Api | None = None) -> cst.Arg | None:
        """The function a call hands over to run elsewhere: ``target=``, ``initializer=``,
        the ``func``/``fn`` of a pool or executor method; None when there is none."""
        api = api or self.api_of(call)
        if api is None or api.task is None:
            return None
        argument = api.argument(call, api.task)
        return None if argument is None or argument.star else argument

    def sent_arguments(self, call: cst.Call) -> list[cst.Arg]:
        """The arguments whose values go to another process or thread with the task
        (``args``, ``kwargs``, ``initargs``, the rest of ``submit``, the items of
        ``map``) or through a channel (``put(obj)``, ``send(obj)``)."""
        api = self.api_of(call)
        return list(sent_arguments(api, call)) if api is not None else []

    def task_call_arguments(self, call: cst.Call) -> TaskArguments | None:
        """What the task of ``call`` is called with, as far as the text shows."""
        api = self.api_of(call)
        return task_arguments(api, call) if api is not None else None

    def partial_arguments(self, node: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The arguments ``functools.partial(f, a, k=b)`` binds (a and b), through nested
        partials; empty for anything else."""
        found: list[cst.BaseExpression] = []
        while isinstance(node, cst.Call) and self.resolve(node.func) == "functools.partial":
            if not node.args or node.args[0].star:
                break
            found.extend(arg.value for arg in node.args[1:] if not arg.star)
            node = node.args[0].value
        return found

    def local_class(self, node: cst.BaseExpression) -> cst.ClassDef | None:
        """The class of this file a name refers to (module level, or nested in a function)."""
        if type(node) is not cst.Name:
            return None
        local = self.local_definition(node)
        if type(local) is cst.ClassDef:
            return local
        if self.visible_bindings(node):
            return None
        return self.classes.get(node.value)

    def _callee(self, node: cst.BaseExpression) -> CallSite | None:
        """A function of this file named by ``node`` (``f``, ``self.m``, ``Class.m``, or a
        ``functools.partial`` of one), as a site with no arguments yet."""
        if type(node) is cst.Call and self.resolve(node.func) == "functools.partial":
            if not node.args or node.args[0].keyword is not None or node.args[0].star:
                return None
            inner = self._callee(node.args[0].value)
            if inner is None:
                return None
            return inner.extended(node, *split_arguments(node.args[1:]))
        if type(node) is not cst.Name and type(node) is not cst.Attribute:
            return None
        function = self.function_for(node)
        if function is None:
            cls = self.local_class(node) if isinstance(node, cst.Name) else None
            init = classes.inherited_init(self, cls) if cls is not None else None
            if init is None or init.decorators:
                return None
            return CallSite(init, None, (), {}, True, True)  # Cls(a) runs __init__(self, a)
        if function.decorators:
            return None
        owner = node.value if isinstance(node, cst.Attribute) else None
        bound = isinstance(owner, cst.Name) and (
            owner.value == "self" or owner.value not in self.classes
        )  # self.m(a) and obj.m(a) pass self first; Cls.m(x, a) does not
        return CallSite(function, None, (), {}, True, bound)

    def parameter_receiving(self, call: cst.Call, argument: cst.BaseExpression) -> cst.Param | None:
        """The parameter of a function of this file that ``argument`` of ``call`` is passed
        as (``helper(pool)`` -> ``def helper(p)``: p); None when unsure."""
        for callee in self.callees(call):
            for site in self.call_sites.get(callee, ()):
                if site.call is not call:
                    continue
                params = callee.params
                every = [*params.posonly_params, *params.params, *params.kwonly_params]
                for param in every:
                    if site.argument_for(param) is argument:
                        return param
        return None

    def calls_to(self, *qualnames: str) -> Iterator[cst.Call]:
        wanted = set(qualnames)
        for call in self.calls:
            if self.resolve(call.func) in wanted:
                yield call

    def method_calls(self, *methods: str, kinds: Iterable[str] | None = None) -> Iterator[cst.Call]:
        """Calls ``x.method(...)`` whose receiver holds one of ``kinds`` (any, when None)."""
        wanted_kinds = set(kinds) if kinds is not None else None
        for call in self.calls:
            func = call.func
            if type(func) is not cst.Attribute or func.attr.value not in methods:
                continue
            if wanted_kinds is None or self.kind_of(func.value) in wanted_kinds:
                yield call

    # -- functions -------------------------------------------------------

    def function_for(self, node: cst.BaseExpression | None) -> cst.FunctionDef | None:
        """The function of this file an expression names: ``f``, ``self.method``,
        ``Class.method`` or ``functools.partial(f, ...)``."""
        if node is None:
            return None
        key = id(node)
        if key in self._functions_named:
            return self._functions_named[key]
        found = self._functions_named[key] = self._function_for(node)
        return found

    def _function_for(self, node: cst.BaseExpression) -> cst.FunctionDef | None:
        if type(node) is cst.Call and self.resolve(node.func) == "functools.partial":
            first = call_argument(node, "func", 0)
            return self.function_for(first.value) if first is not None else None
        if type(node) is cst.Name:
            if self.visible_bindings(node):
                return None
            return self.module_functions.get(node.value)
        if type(node) is cst.Attribute:
            owner = node.value
            cls: cst.ClassDef | None = None
            if isinstance(owner, cst.Name) and owner.value == "self":
                function = self.function_of(node)
                cls = self.class_of(function) if function is not None else None
            elif isinstance(owner, cst.Name):
                cls = self.classes.get(owner.value)
                if cls is None:  # obj.m() with obj = Cls(...)
                    cls = self.instance_class(owner)
            if cls is not None:
                for base in self.class_chain(cls):  # its own method, or a base class's
                    method = self.method_of(base, node.attr.value)
                    if method is not None:
                        return method
        return None

    def inherited_method(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        """The method a Process subclass runs: its own, or that of the first Process
        subclass of this file it derives from."""
        current: cst.ClassDef | None = cls
        for _ in range(8):
            if current is None:
                return None
            method = self.method_of(current, name)
            if method is not None:
                return method
            current = next(
                (
                    self.process_subclasses[base.value.value]
                    for base in current.bases
                    if isinstance(base.value, cst.Name)
                    and base.value.value in self.process_subclasses
                ),
                None,
            )
        return None

    def method_of(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        methods = self._methods.get(id(cls))
        if methods is None:
            methods = self._methods[id(cls)] = {}
            for statement in reversed(cls.body.body):  # the first definition wins
                if isinstance(statement, cst.FunctionDef):
                    methods[statement.name.value] = statement
        return methods.get(name)

    @cached_property
    def calls_by_function(self) -> dict[cst.FunctionDef | None, list[cst.Call]]:
        grouped: dict[cst.FunctionDef | None, list[cst.Call]] = {}
        for call in self.calls:
            grouped.setdefault(self.function_of(call), []).append(call)
        return grouped

    def functions_reaching(self, predicate: Callable[[cst.Call], bool]) -> set[cst.FunctionDef]:
        """Functions of this file that do something (``predicate(call)`` true for one of
        their calls) directly or through other functions of this file they run."""
        return reach.functions_reaching(self, predicate)

    def reachable_from(self, roots: Iterable[cst.FunctionDef | None]) -> set[cst.FunctionDef]:
        """The roots and every function of this file they run (``None``: module code),
        through calls, constructors (``Cls.__init__``) and decorators' wrappers."""
        return reach.reachable_from(self, roots)

    @cached_property
    def callers(self) -> dict[cst.FunctionDef, set[cst.FunctionDef]]:
        """Function -> the functions of this file that run it (see ``semantic.reach``)."""
        return reach.callers(self)

    def callees(self, call: cst.Call) -> list[cst.FunctionDef]:
        """The functions of this file a call runs (see ``semantic.reach``)."""
        found = self._callees.get(call)
        if found is None:
            found = self._callees[call] = reach.callees(self, call)
        return found

    def entry_points(self, include_child_functions: bool) -> list[cst.FunctionDef | None]:
        """The module's own code (None), then every function of this file that nothing in
        it runs (a library API, a console script's main, a callback); functions sent to a
        child count as entry points only with ``include_child_functions``."""
        called = {callee for call in self.calls for callee in self.callees(call)}
        if not include_child_functions:
            called |= self.child_functions
        return [None, *(f for f in self.functions if f not in called)]

    @cached_property
    def child_reachable(self) -> set[cst.FunctionDef]:
        """Functions run in a child process, and every function of this file they run."""
        return self.reachable_from(self.child_functions)

    @cached_property
    def child_uses(self) -> list[ChildUse]:
        """Every place a function of this file is sent to run in another process."""
        uses: list[ChildUse] = []
        for call in self.calls:
            task = self.task_argument(call)
            function = self.function_for(lambda_call(task.value)) if task is not None else None
            if function is None:
                continue
            kind = self.kind_of(call)
            if kind == Kind.PROCESS:
                uses.append(ChildUse(function, Via.PROCESS, call, self.is_daemonic(call)))
            elif kind in POOL_KINDS:
                uses.append(ChildUse(function, Via.INITIALIZER, call, kind == Kind.POOL))
            elif isinstance(call.func, cst.Attribute):
                receiver = self.kind_of(call.func.value)
                if receiver in POOL_KINDS:
                    uses.append(ChildUse(function, Via(receiver), call, receiver == Kind.POOL))
        for cls in self.process_subclasses.values():
            run = self.method_of(cls, "run")
            if run is not None:
                uses.append(ChildUse(run, Via.RUN, cls, False))
        return uses

    @cached_property
    def task_lambda_calls(self) -> set[cst.Call]:
        """The calls ``f(...)`` of tasks given as ``lambda ...: f(...)``: they run in the
        child that calls the lambda, never in the function that writes it."""
        found: set[cst.Call] = set()
        for call in self.calls:
            task = self.task_argument(call)
            if task is not None and isinstance(task.value, cst.Lambda):
                body = task.value.body
                if isinstance(body, cst.Call):
                    found.add(body)
        return found

    @cached_property
    def child_functions(self) -> set[cst.FunctionDef]:
        return {use.function for use in self.child_uses}

    def is_daemonic(self, process_call: cst.Call) -> bool:
        daemon = call_argument(process_call, "daemon")
        return (
            daemon is not None
            and isinstance(daemon.value, cst.Name)
            and (daemon.value.value == "True")
        )

    # -- start method ----------------------------------------------------

    @cached_property
    def pinned_start_method(self) -> str | None:
        """The start method this file pins with set_start_method(), else the setting."""
        methods = set()
        for call in self.calls_to("multiprocessing.set_start_method"):
            argument = call_argument(call, "method", 0)
            method = string_value(argument.value) if argument is not None else None
            if method is None:
                return None
            methods.add(method)
        if len(methods) == 1:
            return methods.pop()
        if methods:
            return None
        if self.start_method_setting in START_METHODS:
            return self.start_method_setting
        return None

    def context_method(self, node: cst.BaseExpression) -> str | None:
        """The start method of the context an object comes from: ``get_context("fork").Pool``."""
        target: cst.BaseExpression | None = node
        while isinstance(target, cst.Attribute | cst.Call):
            if isinstance(target, cst.Call):
                if self.resolve(target.func) == "multiprocessing.get_context":
                    argument = call_argument(target, "method", 0)
                    return string_value(argument.value) if argument is not None else None
                target = target.func
            else:
                target = target.value
        if isinstance(target, cst.Name):
            value = self.only_value(target)
            if value is not None:
                return self.context_method(value)
        return None

    def may_spawn(self, node: cst.BaseExpression | None = None) -> bool:
        """Can this code run under spawn or forkserver (the child re-imports the module)?"""
        if node is not None:
            method = self.context_method(node)
            if method is not None:
                return method != "fork"
        return self.pinned_start_method != "fork"

    def may_fork(self, node: cst.BaseExpression | None = None) -> bool:
        if node is not None:
            method = self.context_method(node)
            if method is not None:
                return method == "fork"
        return self.pinned_start_method in (None, "fork")
