"""Apps depend one way: the import graph of conference_admin has no cycle.

The graph is built statically (ast) from every `import` and `from ... import` in the package,
including imports inside functions and under TYPE_CHECKING, resolved to the most specific
first-party module. Two rules:

- between apps (an app is a package directly under conference_admin/; the top-level modules
  such as conference_admin.cache are "core" and may import no app), there is no cycle;
- inside conference_admin/live (live/roster included), no module reaches itself again.

Template-tag libraries are found by name, not imported: the filters every app's pages use
are `{% load pages %}` (conference_admin/pagetags.py), owned by no app.

`scripts/import-graph` prints the app graph this test checks.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "conference_admin"
CORE = "core"
# The project's composition root: it wires every app together and nothing imports it.
ROOT_MODULES = {f"{PACKAGE}.{name}" for name in ("urls", "asgi", "wsgi", "settings")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found[_module_name(path)] = path
    return found


def _resolve(name: str, known: Iterable[str]) -> str | None:
    """The most specific first-party module `name` names (a package, or a module in it)."""
    known = set(known)
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names = [f"{stem}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] != PACKAGE:
                continue
            target = _resolve(name, known)
            if target and target != module:
                targets.add(target)
    return targets


def module_graph() -> dict[str, set[str]]:
    """Every first-party module -> the first-party modules it imports."""
    paths = _modules()
    known = set(paths)
    return {module: _imported(module, path, known) for module, path in paths.items()}


def app_of(module: str) -> str | None:
    """The app a module belongs to; CORE for top-level modules; None for the project root."""
    if module in ROOT_MODULES or module == PACKAGE:
        return None
    parts = module.split(".")
    if len(parts) == 2 and (ROOT / PACKAGE / f"{parts[1]}.py").exists():
        return CORE
    return parts[1]


def app_graph(graph: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """App -> the apps it imports (core included), from the module graph."""
    graph = module_graph() if graph is None else graph
    apps: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        source_app = app_of(source)
        if source_app is None:
            continue
        apps[source_app]
        for target in targets:
            target_app = app_of(target)
            if target_app is not None and target_app != source_app:
                apps[source_app].add(target_app)
    return dict(apps)


def app_graph_text(apps: dict[str, set[str]] | None = None) -> str:
    apps = app_graph() if apps is None else apps
    return "\n".join(f"{app} -> {', '.join(sorted(apps[app])) or '(nothing)'}" for app in sorted(apps))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _edges_within(graph: dict[str, set[str]], members: list[str]) -> str:
    return "\n".join(f"  {source} -> {target}" for source in members for target in sorted(graph[source] & set(members)))


def test_the_graph_sees_every_kind_of_import():
    graph = module_graph()
    # A module-level absolute import, a relative one and a function-level one are all seen.
    assert "conference_admin.live.roster.store" in graph["conference_admin.live.roster.transitions"]
    assert "conference_admin.live.roster.model" in graph["conference_admin.live.roster.store"]
    assert "conference_admin.twilio.errors" in graph["conference_admin.twilio.client"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_core_modules_import_no_app():
    apps = app_graph()
    assert apps[CORE] == set(), "core imports " + ", ".join(sorted(apps[CORE])) + "\n\n" + app_graph_text(apps)


def test_apps_depend_one_way():
    apps = app_graph()
    found = cycles(apps)
    assert not found, (
        "apps import each other in a cycle: "
        + "; ".join(" <-> ".join(component) for component in found)
        + "\n\nthe app graph:\n"
        + app_graph_text(apps)
    )


def test_live_modules_depend_one_way():
    graph = module_graph()
    live = {
        module: {target for target in targets if target.startswith(f"{PACKAGE}.live.")}
        for module, targets in graph.items()
        if module.startswith(f"{PACKAGE}.live.")
    }
    found = cycles(live)
    assert not found, "modules of live/ import each other in a cycle:\n" + "\n\n".join(
        _edges_within(live, component) for component in found
    )
