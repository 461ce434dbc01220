"""The import graph of the package reads top down: no cycle, and the layers hold.

The graph is built from the source with :mod:`ast`, so that it sees every import the
code can run: module-level and function-level, relative and absolute, and
``importlib.import_module("arcalls.x")`` with a literal name. Two kinds of import are
left out, each because it cannot make modules depend on each other:

- an import under ``if TYPE_CHECKING:`` (never run);
- a dunder read from a package, such as ``from . import __version__`` (the package's
  metadata, not the modules it re-exports).

The package ``arcalls`` itself (its ``__init__``) is the public facade on top: it
imports every module, so a module that imported a re-exported name through it would
close a cycle, which the test finds.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

PACKAGE = "arcalls"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# The loaders and the schema: they read and check the files, and know no analysis.
BASE = {
    "arcalls._calls",
    "arcalls._checks",
    "arcalls._excel",
    "arcalls._export",
    "arcalls._keys",
    "arcalls._memory",
    "arcalls._parse",
    "arcalls._plan_rules",
    "arcalls._presets",
    "arcalls._progress",
    "arcalls._text",
    "arcalls.datasets",
    "arcalls.errors",
    "arcalls.io",
    "arcalls.schema",
}

# The analyses: functions over the tables. They may use the base and each other, never
# the outputs drawn from them nor the command line.
ANALYSES = {
    "arcalls._accounts",
    "arcalls.aging",
    "arcalls.calllist",
    "arcalls.currency",
    "arcalls.features",
    "arcalls.late_charges",
    "arcalls.ledger",
    "arcalls.plans",
    "arcalls.promises",
    "arcalls.ranking",
    "arcalls.recovery",
    "arcalls.statements",
}

# Never imported by an analysis.
ABOVE_ANALYSES = ("arcalls.cli", "arcalls.report", "arcalls.worksheet")

# Imports that break the layers today, in files another change owns; each is named
# with the reason, and the test fails when it is gone so that the entry goes too.
# (Empty: io.load_calls now reads the payment-plan input rules from arcalls._plan_rules.)
KNOWN_LAYER_BREAKS: set[tuple[str, str]] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:``."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skipped.update(id(n) for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, dict[str, str]]:
    """``{module: {imported module: "file:line"}}`` over the package's own modules."""
    modules = _modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, str]] = {}
    for module, (path, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_nodes(tree)
        edges: dict[str, str] = {}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in modules:
                        names.append(full)
                    elif not (alias.name.startswith("__") and alias.name.endswith("__")):
                        names.append(source)
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                target = owner(name)
                if target is not None and target != module and target.startswith(PACKAGE):
                    where = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
                    edges.setdefault(target, where)
        graph[module] = edges
    return graph


def strongly_connected(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """Tarjan's components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, {}):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_through(graph: dict[str, dict[str, str]], component: list[str]) -> list[str]:
    """A shortest cycle through the component's first module, as modules."""
    start, members = component[0], set(component)
    came_from = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt == start:
                path = [node]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if nxt in members and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def describe_cycles(graph: dict[str, dict[str, str]]) -> str:
    lines = []
    for component in strongly_connected(graph):
        cycle = _cycle_through(graph, component)
        lines.append(f"import cycle among {len(component)} modules: {', '.join(component)}")
        lines.append("  for example " + " -> ".join(cycle) + ":")
        lines.extend(
            f"    {a} imports {b} at {graph[a][b]}" for a, b in zip(cycle, cycle[1:], strict=False)
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_graph_sees_module_and_function_level_imports(graph):
    # Module level, relative: calllist imports the errors at the top.
    assert "arcalls.errors" in graph["arcalls.calllist"]
    # Function level: the report imports the call list inside build_report.
    assert "arcalls.calllist" in graph["arcalls.report"]
    # Through a subpackage: the command line's call-list command.
    assert "arcalls.calllist" in graph["arcalls.cli._cmd_call_list"]
    assert set(BASE | ANALYSES) <= set(graph), set(BASE | ANALYSES) - set(graph)


def test_cycles_are_found_and_named():
    made_up = {
        "a": {"b": "a.py:1"},
        "b": {"c": "b.py:2"},
        "c": {"a": "c.py:3"},
        "d": {"a": "d.py:4"},
    }
    assert strongly_connected(made_up) == [["a", "b", "c"]]
    text = describe_cycles(made_up)
    assert "a -> b -> c -> a" in text
    assert "c imports a at c.py:3" in text
    assert strongly_connected({"a": {"b": ""}, "b": {}}) == []


def test_no_import_cycle(graph):
    assert not strongly_connected(graph), "\n" + describe_cycles(graph)


def test_loaders_and_schema_import_no_analysis(graph):
    breaks = {
        (module, target)
        for module in BASE
        for target in graph.get(module, {})
        if target in ANALYSES or target.startswith(ABOVE_ANALYSES)
    }
    unexpected = breaks - KNOWN_LAYER_BREAKS
    assert not unexpected, "\n".join(
        f"{m} (a loader) imports {t} at {graph[m][t]}" for m, t in sorted(unexpected)
    )
    assert KNOWN_LAYER_BREAKS <= breaks, (
        f"fixed, so drop from KNOWN_LAYER_BREAKS: {sorted(KNOWN_LAYER_BREAKS - breaks)}"
    )


def test_analyses_never_import_cli_report_or_worksheet(graph):
    bad = [
        f"{module} imports {target} at {where}"
        for module in sorted(ANALYSES)
        for target, where in graph.get(module, {}).items()
        if target == "arcalls" or target.startswith(ABOVE_ANALYSES)
    ]
    assert not bad, "\n".join(bad)


def test_the_call_list_and_its_workbook_point_one_way(graph):
    # The layout of the list (columns, headers, entry columns, sheets) is below both the
    # list and the worksheet that reads a filled-in list back: worksheet -> calllist ->
    # listbook, and worksheet -> listbook.
    assert "arcalls.listbook" in graph["arcalls.calllist"]
    assert "arcalls.listbook" in graph["arcalls.worksheet"]
    assert "arcalls.calllist" in graph["arcalls.worksheet"]
    assert not {"arcalls.calllist", "arcalls.worksheet"} & set(graph["arcalls.listbook"])
    assert "arcalls.worksheet" not in graph["arcalls.calllist"]
    # The plans take the money picture from _accounts, not from the call list.
    assert "arcalls._accounts" in graph["arcalls.plans"]
    assert "arcalls.calllist" not in graph["arcalls.plans"]
    assert graph["arcalls._accounts"].keys() <= BASE | {"arcalls.ledger"}


def test_the_plan_input_rules_are_below_the_loader_and_the_plans(graph):
    # io.load_calls and the plans' judging both read the plan fields' rules from one low
    # module, which imports no analysis: the loader never climbs to arcalls.plans.
    assert "arcalls._plan_rules" in graph["arcalls.io"]
    assert "arcalls._plan_rules" in graph["arcalls.plans"]
    assert "arcalls.plans" not in graph["arcalls.io"]
    assert graph["arcalls._plan_rules"].keys() <= BASE
