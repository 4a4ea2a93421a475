"""The shared package's layers (docs/architecture.md): imports point down only, from http/ to
domain/ to store/ to the root modules, and no module imports itself back through others."""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import cycles, layer_of, package_graph, upward_imports

LAYER_ROOT = Path(__file__).resolve().parents[3] / "layers" / "common"


def test_every_module_is_in_a_layer():
    graph = package_graph(LAYER_ROOT)
    layers = {layer_of(module) for module in graph}
    assert layers == {"root", "store", "domain", "http"}
    assert "badgekit.domain.badges" in graph
    assert "badgekit.store.keys" in graph["badgekit.domain.badges"]


def test_no_import_points_up():
    assert upward_imports(package_graph(LAYER_ROOT)) == []


def test_no_import_cycle():
    assert cycles(package_graph(LAYER_ROOT)) == []


def test_the_checks_see_what_they_forbid():
    graph = {
        "badgekit.errors": set(),
        "badgekit.store.db": {"badgekit.errors", "badgekit.domain.badges"},
        "badgekit.domain.badges": {"badgekit.store.db", "badgekit.http.api"},
        "badgekit.http.api": {"badgekit.domain.badges"},
    }
    assert upward_imports(graph) == [
        "badgekit.domain.badges -> badgekit.http.api",
        "badgekit.store.db -> badgekit.domain.badges",
    ]
    assert cycles(graph) == [
        ["badgekit.domain.badges", "badgekit.http.api", "badgekit.store.db"],
    ]
