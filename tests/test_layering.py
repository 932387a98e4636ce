"""The package's layers: what may import what, and no import cycles.

The pipeline reads top to bottom, and so must the imports: the front ends (command
line, language server, formats, cache) use the fix applier, which uses the engine,
which runs the checks, which query the model (facts, flow, semantic). A lower layer
never imports a higher one, not even inside a function or for type checking only:
an import hidden in a function is still a cycle, it only fails later.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mplint"

# Higher numbers may import lower ones, never the other way round. A module named by
# its prefix ("mplint.checks.") takes that prefix's layer; a module not named here is a
# helper of the model (layer 1): if it needs the engine, name it here.
FRONT, FIXES, ENGINE, CHECKS, MODEL, BASE = 5, 4, 3, 2, 1, 0
LAYERS: dict[str, int] = {
    "mplint": FRONT,  # the package init: its public names come from the engine
    "mplint.__main__": FRONT,
    "mplint.cli": FRONT,
    "mplint.lsp": FRONT,
    "mplint.lsp_protocol": FRONT,
    "mplint.lsp_tcp": FRONT,
    "mplint.lsp_notebooks": FRONT,
    "mplint.flake8_plugin": FRONT,
    "mplint.formats": FRONT,
    "mplint.cache": FRONT,
    "mplint.cache_entry": FRONT,
    "mplint.parallel": FRONT,
    "mplint.example_runner": FRONT,
    "mplint.scaffold": FRONT,
    "mplint.rule_index": FRONT,
    "mplint.progress": FRONT,
    "mplint.report": FRONT,
    "mplint.report_cli": FRONT,
    "mplint.report_html": FRONT,
    "mplint.markdown_html": FRONT,
    "mplint.fixes": FIXES,
    "mplint.notebook_fixes": FIXES,
    "mplint.engine": ENGINE,
    "mplint.checks": CHECKS,
    "mplint.checks.": CHECKS,
    "mplint.facts": MODEL,
    "mplint.flow": MODEL,
    "mplint.names": MODEL,
    "mplint.positions": MODEL,
    "mplint.semantic": MODEL,
    "mplint.semantic.": MODEL,
    "mplint.edits": BASE,
    "mplint.diagnostic": BASE,
    "mplint.config": BASE,
    "mplint.catalog": BASE,
    "mplint.user_key": BASE,
    "mplint.cache_pruning": BASE,
    "mplint.interrupts": BASE,
}
LAYER_NAMES = {
    FRONT: "front end",
    FIXES: "fix applier",
    ENGINE: "engine",
    CHECKS: "checks",
    MODEL: "model",
    BASE: "base",
}
# What the checks and the model must never reach, by any import.
FORBIDDEN_BELOW_ENGINE = ("mplint.engine", "mplint.fixes", "mplint.cli", "mplint.lsp")


def module_names(package: Path = PACKAGE, name: str = "mplint") -> list[str]:
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = [name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def module_path(name: str) -> Path:
    relative = Path(*name.split(".")[1:])
    package = PACKAGE / relative / "__init__.py"
    return package if package.exists() else PACKAGE / relative.with_suffix(".py")


def layer(name: str) -> int:
    if name in LAYERS:
        return LAYERS[name]
    prefixes = [p for p in LAYERS if p.endswith(".") and name.startswith(p)]
    return LAYERS[max(prefixes, key=len)] if prefixes else MODEL


def imports(source: str, modules: set[str]) -> Iterator[tuple[str, int]]:
    """Every module of ``modules`` that the source imports, with the line: at the top,
    inside functions and under ``if TYPE_CHECKING:`` alike. ``from mplint import x``
    imports the package init and, when ``x`` is a module, that module too."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in modules:
                yield node.module, node.lineno
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    yield f"{node.module}.{alias.name}", node.lineno


def import_graph() -> dict[str, list[tuple[str, int]]]:
    modules = set(module_names())
    return {
        name: [(target, line) for target, line in imports(module_path(name).read_text(), modules)]
        for name in sorted(modules)
    }


def upward_imports(graph: dict[str, list[tuple[str, int]]]) -> list[str]:
    return [
        f"{module_path(name).relative_to(ROOT)}:{line}: {name} ({LAYER_NAMES[layer(name)]}) "
        f"imports {target} ({LAYER_NAMES[layer(target)]})"
        for name, targets in graph.items()
        for target, line in targets
        if layer(target) > layer(name)
    ]


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(import_graph()) == []


def test_the_checks_and_the_model_never_import_the_engine_fixes_or_front_ends() -> None:
    graph = import_graph()
    below = [n for n in graph if n.startswith(("mplint.checks", "mplint.semantic"))]
    assert "mplint.checks.base" in below and "mplint.semantic" in below
    wrong = [
        f"{name} imports {target} (line {line})"
        for name in below
        for target, line in graph[name]
        if target in FORBIDDEN_BELOW_ENGINE or target == "mplint"
    ]
    assert wrong == []


def rule_modules() -> set[str]:
    """The checks' modules that hold one rule each (their family package imports them)."""
    from mplint.checks import REGISTRY

    return {c.run.__module__ for c in REGISTRY} - {"mplint.checks.third_party"}


def test_a_rule_module_is_imported_only_by_its_family_package() -> None:
    """A rule's module is a leaf: what two rules share lives in a module of the family named
    for what it answers, never in one rule's module that another rule imports."""
    graph = import_graph()
    rules = rule_modules()
    assert "mplint.checks.lifecycle.process_never_joined" in rules
    wrong = [
        f"{name} imports {target} (line {line})"
        for name, targets in graph.items()
        for target, line in targets
        if target in rules and name != target.rsplit(".", 1)[0]
    ]
    assert wrong == []


MAX_LINES = 800


def test_no_module_of_the_checks_or_the_model_is_longer_than_800_lines() -> None:
    long = [
        f"{name}: {lines} lines"
        for name in module_names()
        if name.startswith(("mplint.checks", "mplint.semantic"))
        and (lines := len(module_path(name).read_text().splitlines())) > MAX_LINES
    ]
    assert long == []


def test_nothing_imports_a_module_through_the_package_init() -> None:
    """``from mplint import flow`` runs the package init again from inside itself when
    the init is still loading; ``from mplint.flow import ...`` does not."""
    modules = set(module_names())
    found = [
        f"{name}:{node.lineno}: from mplint import {alias.name}"
        for name in sorted(modules)
        for node in ast.walk(ast.parse(module_path(name).read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "mplint" and node.level == 0
        for alias in node.names
        if f"mplint.{alias.name}" in modules
    ]
    assert found == []


def test_the_layering_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The oracle itself: an engine-level import inside a check's function is found."""
    source = "def f():\n    from mplint.fixes import apply_fixes\n"
    found = list(imports(source, {"mplint.fixes", "mplint.engine"}))
    assert found == [("mplint.fixes", 2)]
    graph = {"mplint.checks.sync": [("mplint.fixes", 2)], "mplint.fixes": []}
    assert [line.split(": ", 1)[1] for line in upward_imports(graph)] == [
        "mplint.checks.sync (checks) imports mplint.fixes (fix applier)"
    ]


# Each module is imported first, as the entry point into the package, with every module
# of the package (but not the libraries) forgotten in between. A cycle of top-level
# imports fails this way from one of its members, whichever order the package itself uses.
_IMPORT_EACH = textwrap.dedent(
    """
    import importlib, json, sys, traceback

    package, names = sys.argv[1], sys.argv[2:]
    failures = {}
    for name in names:
        for loaded in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[loaded]
        try:
            importlib.import_module(name)
        except Exception:
            failures[name] = traceback.format_exc(limit=-3)
    print(json.dumps(failures))
    """
)


def import_each_first(package: str, names: list[str], path: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(path)}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, package, *names],
        capture_output=True,
        text=True,
        env=env,
        cwd=path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_module_imports_as_the_first_module_of_the_package() -> None:
    names = [n for n in module_names() if n != "mplint.__main__"]
    assert import_each_first("mplint", names, ROOT) == {}


def test_a_cycle_of_top_level_imports_fails_the_import_check(tmp_path: Path) -> None:
    """The oracle itself, on a package whose two modules import each other's names."""
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic.b import B\nA = 1\n")
    (package / "b.py").write_text("from cyclic.a import A\nB = 2\n")
    failures = import_each_first("cyclic", ["cyclic.a", "cyclic.b"], tmp_path)
    assert set(failures) == {"cyclic.a", "cyclic.b"}
    assert "circular import" in failures["cyclic.a"]


@pytest.mark.parametrize("entry", ["mplint.checks", "mplint.semantic"])
def test_loading_the_checks_or_the_model_loads_no_engine(entry: str) -> None:
    script = (
        "import importlib, json, pkgutil, sys\n"
        f"package = importlib.import_module({entry!r})\n"
        "for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('mplint'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert f"{entry}.base" in loaded or entry == "mplint.semantic"
    assert [m for m in loaded if m in FORBIDDEN_BELOW_ENGINE] == []
