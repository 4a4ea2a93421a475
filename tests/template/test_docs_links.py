"""Every relative link in docs/api/ and the README resolves: the file exists, and a `#fragment`
names a heading of that file (GitHub's anchor rules: lower case, punctuation dropped, spaces to
dashes, repeats numbered). Links to http(s) and mailto are not followed; fenced code is skipped.
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
