"""docs/api/ against the repository and the API it describes.

- Every relative link in docs/api/ and the README resolves: the file exists, and a `#fragment`
  names a heading of that file (GitHub's anchor rules: lower case, punctuation dropped, spaces to
  dashes, repeats numbered). Links to http(s) and mailto are not followed; code is skipped.
- Every route is documented: each method and path the functions serve (the route table the
  template tests hold the template to) and each path of the template's Api events appears on a
  page, as a table row (`| `GET` | `{L}/badges` |`) or a code span (`GET /systems/{s}/consumers`);
  and every method + path template the pages give is served.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
API_DOCS = REPO_ROOT / "docs" / "api"
PAGES = [REPO_ROOT / "README.md", *sorted(API_DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+).+?\1", re.DOTALL)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without fenced blocks and inline code (links there are examples, not links)."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup removed, lower case, only word characters,
    spaces and dashes kept, spaces to dashes."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: Counter[str] = Counter()
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = anchor(heading)
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(page: Path) -> list[str]:
    return _LINK.findall(prose(page.read_text(encoding="utf-8")))


def test_the_api_reference_exists_and_the_readme_points_there() -> None:
    assert (API_DOCS / "README.md").is_file()
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert any(target.startswith("docs/api/") for target in links(REPO_ROOT / "README.md"))
    assert "../shared/spec" not in readme


def test_anchor_rules() -> None:
    assert anchor("Keys: master and consumers") == "keys-master-and-consumers"
    assert anchor("GET /public/images/{slug}") == "get-publicimagesslug"
    assert anchor("Open Badges 2.0 assertion") == "open-badges-20-assertion"
    assert anchor("Issuing: awards, instances, revocation") == "issuing-awards-instances-revocation"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif fragment and (file.is_dir() or fragment not in anchors(file)):
            broken.append(f"{target}: no heading #{fragment} in {file.name}")
    assert broken == []


def test_every_page_is_in_the_index() -> None:
    index = set(links(API_DOCS / "README.md"))
    pages = {page.name for page in API_DOCS.glob("*.md")} - {"README.md"}
    assert pages <= {target.partition("#")[0] for target in index}


# --- every route is documented, and only routes that exist -------------------------------------

# `{L}` on the pages: any of the three container prefixes (docs/api/containers.md).
_LEVELS = ("/systems/{}", "/systems/{}/issuers/{}", "/systems/{}/issuers/{}/programs/{}")
_METHODS = r"GET|POST|PUT|DELETE"
# A table row whose first cells are the method(s) and the path template: | `GET`, `PUT` | `/x` |
_ROW = re.compile(rf"^\|\s*((?:`(?:{_METHODS})`(?:,\s*)?)+)\s*\|\s*`([^`]+)`", re.MULTILINE)
# A method and a path in one code span: `GET /systems/{s}/consumers`
_SPAN = re.compile(rf"`({_METHODS}) (/[^`\s]*)`")


# The assets of the API's own reference page (GET /docs) are not API routes.
_PAGE_ASSETS = ("/docs/", "/swagger")


def normalised(path: str) -> list[str]:
    """A path template with every parameter as `{}` (and `{L}` as each prefix), no query."""
    path = re.sub(r"\{[^}]*\}", "{}", path.split("?")[0].replace("{L}", "\0"))
    if "\0" in path:
        return [path.replace("\0", level) for level in _LEVELS]
    return [path]


def documented() -> set[tuple[str, str]]:
    """(method, normalised path) of every route the pages give as a template."""
    routes: set[tuple[str, str]] = set()
    for page in sorted(API_DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for methods, path in _ROW.findall(text):
            for method in re.findall(_METHODS, methods):
                routes.update((method, p) for p in normalised(path))
        for method, path in _SPAN.findall(prose_spans(text)):
            routes.update((method, p) for p in normalised(path))
    return routes


def prose_spans(text: str) -> str:
    """The text without fenced blocks (code spans kept: they are what `_SPAN` reads)."""
    return _FENCE.sub("", text)


def served() -> tuple[set[tuple[str, str]], set[str]]:
    """The routes the functions serve (tests/template/test_transform.py's table, which the
    template tests hold the template to) and every path of the template's Api events."""
    from local.inprocess import TEMPLATE
    from local.template import Resolver, Template
    from tests.template.test_transform import FUNCTION_ROUTES

    routes = {
        (method, p)
        for table in FUNCTION_ROUTES.values()
        for path, methods in table.items()
        if not path.startswith(_PAGE_ASSETS)  # the docs page's own files
        for method in methods
        for p in normalised(path)
    }
    template = Template(TEMPLATE)
    resolver = Resolver(template.data, refs={"Table": "docs"})
    paths = {
        p
        for spec in template.functions(resolver)
        for event in spec.api_events
        if "{proxy+}" not in event.path and not event.path.startswith(_PAGE_ASSETS)
        for p in normalised(event.path)
    }
    return routes, paths


def test_every_route_is_documented() -> None:
    routes, paths = served()
    pages = documented()
    assert sorted(routes - pages) == []
    assert sorted(paths - {path for _, path in pages}) == []


def test_only_routes_that_exist_are_documented() -> None:
    """Every method + path template on the pages is served (concrete example paths, which have
    no parameter, are requests, not templates: the examples' own tests cover those)."""
    routes, _ = served()
    templates = {(method, path) for method, path in documented() if "{}" in path}
    assert sorted(templates - routes) == []


def test_route_extraction() -> None:
    assert normalised("{L}/badges/{b}?x=1") == [
        "/systems/{}/badges/{}",
        "/systems/{}/issuers/{}/badges/{}",
        "/systems/{}/issuers/{}/programs/{}/badges/{}",
    ]
    assert _ROW.findall("| `GET`, `PUT` | `/systems/{s}` | x |") == [
        ("`GET`, `PUT`", "/systems/{s}")
    ]
    assert _SPAN.findall("`POST /systems/{s}/consumers`") == [("POST", "/systems/{s}/consumers")]
