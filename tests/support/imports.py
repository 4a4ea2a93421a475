"""The import graph of the shared package, read from its source (every import statement,
including the ones inside functions), for the layering checks of tests/unit/domain/test_layers.py."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "badgekit"
# The layers, lowest first: a module may import its own layer and the ones below it. The
# modules at the package root (errors, config, timestamps, jsonutil, signing) are the floor.
LAYERS = ("root", "store", "domain", "http")

Graph = dict[str, set[str]]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, known: Iterable[str]) -> set[str]:
    """The package modules one module's source imports (`from badgekit.x import y` counts `y`
    when `badgekit.x.y` is a module, else `badgekit.x`)."""
    modules = set(known)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = []
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                names.append(child if child in modules else node.module)
        else:
            continue
        found.update(n for n in names if n == PACKAGE or n.startswith(PACKAGE + "."))
    return found


def package_graph(root: Path) -> Graph:
    """Module -> the package modules it imports, for every module under root/badgekit."""
    paths = sorted((root / PACKAGE).rglob("*.py"))
    names = {module_name(root, p): p for p in paths}
    return {
        name: imported(ast.parse(path.read_text(encoding="utf-8")), names) - {name}
        for name, path in names.items()
    }


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in LAYERS:
        return parts[1]
    return "root"


def upward_imports(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import of a module from a higher layer (domain -> http, store -> domain, ...)."""
    wrong = []
    for module, targets in graph.items():
        rank = LAYERS.index(layer_of(module))
        for target in sorted(targets):
            if target in graph and target != PACKAGE and LAYERS.index(layer_of(target)) > rank:
                wrong.append(f"{module} -> {target}")
    return sorted(wrong)


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
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
            if target not in graph:
                continue
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
    return found
