"""The API reference page in a real browser: headless Chromium (Debian's `chromium`, installed by
.ci/run) driven by Playwright, against this process's local stack.

The page lists every operation of the document it is served (whatever that document holds), and a
create and a read made through its "Try it out" / "Execute" buttons are signed in the browser
with the key and secret typed into the page: `201`, then `200`. Everything the page loads comes
from the stack's own origin, the Content-Security-Policy is never violated, and the secret never
leaves the page.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    expect,
    sync_playwright,
)

from badgekit import signing
from tests.integration.conftest import StackProcess
from tests.support.client import ApiClient

CHROMIUM = Path("/usr/bin/chromium")
DOCS_ASSETS = Path(__file__).resolve().parents[2] / "functions" / "docs" / "vendor"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# An upper bound for the page to react (a loaded CI machine parses Swagger UI's 1.8 MB bundle
# slowly), never a timing assertion.
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One headless Chromium with a fresh profile (--user-data-dir) for this module."""
    if not (DOCS_ASSETS / ".installed").exists():
        pytest.fail("functions/docs/vendor/ is missing: run `make docs-assets`", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; "
            ".ci/run does it)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


class Watched:
    """What a page did: every request it made and every error it reported."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[Request] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":  # a Content-Security-Policy violation is one
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def docs(browser: BrowserContext, stack: StackProcess) -> Iterator[Watched]:
    """A new tab on the stack's /docs, with the document's operations rendered."""
    page = browser.new_page()
    watched = Watched(page)
    try:
        page.goto(f"{stack.base_url}/docs")
        expect(page.locator("#swagger-ui .opblock").first).to_be_visible(timeout=WAIT_MS)
        yield watched
    finally:
        page.close()


def served_operations(stack: StackProcess) -> set[tuple[str, str]]:
    reply = requests.get(f"{stack.base_url}/openapi.json", timeout=10)
    assert reply.status_code == 200
    document = reply.json()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def listed_operations(page: Page) -> set[tuple[str, str]]:
    listed = page.evaluate(
        """() => [...document.querySelectorAll('#swagger-ui .opblock')].map(block => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').getAttribute('data-path'),
        ])"""
    )
    return {(method.strip().upper(), path) for method, path in listed}


def operation(page: Page, method: str, path: str) -> Any:
    """The operation's block (expanded, "Try it out" pressed); the first one when its tags list
    it more than once."""
    block = (
        page.locator(f".opblock.opblock-{method.lower()}")
        .filter(has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
        .first
    )
    expect(block).to_be_visible()
    block.locator(".opblock-summary").first.click()
    block.locator("button.try-out__btn").click()
    return block


def execute(block: Any) -> tuple[str, str]:
    """Press Execute; the status and the body the page shows."""
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text(re.compile(r"\s*\d{3}"), timeout=WAIT_MS)
    shown = block.locator(".live-responses-table .response .response-col_description").first
    return status.inner_text().strip()[:3], shown.inner_text()


def sign_in(page: Page, key: str, secret: str) -> None:
    page.fill("#signing-key", key)
    page.fill("#signing-secret", secret)
    page.click("#signing-apply")
    expect(page.locator("#signing-status")).to_have_text(
        f"Signing every request as \u201c{key}\u201d."
    )


def test_the_page_lists_every_operation_of_the_served_document(
    docs: Watched, stack: StackProcess
) -> None:
    expected = served_operations(stack)
    assert expected, "the document has operations"
    page = docs.page
    page.wait_for_function(
        "n => document.querySelectorAll('#swagger-ui .opblock').length >= n",
        arg=len(expected),
        timeout=WAIT_MS,
    )
    assert listed_operations(page) == expected
    assert docs.errors == []
    assert {request.url.split("?")[0] for request in docs.requests} >= {
        f"{stack.base_url}/docs",
        f"{stack.base_url}/openapi.json",
        f"{stack.base_url}/docs/swagger-ui-bundle.js",
        f"{stack.base_url}/docs/badgekit-docs.js",
    }
    assert all(request.url.startswith(f"{stack.base_url}/") for request in docs.requests)


def test_create_and_read_signed_in_the_browser(
    docs: Watched, stack: StackProcess, api: ApiClient, unique: Callable[..., str]
) -> None:
    page = docs.page
    slug = unique("sys")
    sign_in(page, "master", stack.master_secret)

    create = operation(page, "POST", "/systems")
    content_type = create.locator(".opblock-section-request-body select")
    if content_type.count():
        content_type.first.select_option("application/json")
    body = {"slug": slug, "name": "From the docs page", "url": "https://example.org/docs"}
    create.locator("textarea.body-param__text").fill(json.dumps(body))
    status, shown = execute(create)
    assert status == "201", shown
    assert f'"slug": "{slug}"' in shown

    read = operation(page, "GET", "/systems/{systemSlug}")
    read.locator('tr[data-param-name="systemSlug"] input').fill(slug)
    status, shown = execute(read)
    assert status == "200", shown
    assert f'"slug": "{slug}"' in shown

    # The system exists for any client, not only in the page.
    assert api.get(f"/systems/{slug}").status_code == 200

    # The two API calls carried the page's tokens, made as the server checks them.
    calls = [r for r in docs.requests if "/systems" in r.url]
    assert [(r.method, r.url) for r in calls] == [
        ("POST", f"{stack.base_url}/systems"),
        ("GET", f"{stack.base_url}/systems/{slug}"),
    ]
    post, get = (claims_of(r.headers["authorization"]) for r in calls)
    raw_body = (calls[0].post_data or "").encode()
    assert json.loads(raw_body) == body
    assert post.keys() == {"key", "method", "path", "exp", "jti", "body"}
    assert (post["key"], post["method"], post["path"]) == ("master", "POST", "/systems")
    assert post["body"] == {"alg": "sha256", "hash": hashlib.sha256(raw_body).hexdigest()}
    assert get.keys() == {"key", "method", "path", "exp", "jti"}
    assert (get["key"], get["method"], get["path"]) == ("master", "GET", f"/systems/{slug}")
    for claims in (post, get):
        assert isinstance(claims["exp"], int)
        assert re.fullmatch(r"[0-9a-f]{32}", claims["jti"])
    assert post["jti"] != get["jti"]

    # The secret stayed in the page: in no URL, header or body of any request it made.
    for request in docs.requests:
        sent = " ".join([request.url, json.dumps(request.headers), request.post_data or ""])
        assert stack.master_secret not in sent, request.url
    assert docs.errors == []


def test_form_and_multipart_bodies_are_signed_over_the_bytes_sent(
    docs: Watched, stack: StackProcess, api: ApiClient, unique: Callable[..., str]
) -> None:
    """What "Try it out" sends for a form or multipart body (a FormData or URLSearchParams): the
    page's signRequest serialises it once and signs those bytes."""
    page = docs.page
    sign_in(page, "master", stack.master_secret)
    slugs = {"multipart": unique("sys"), "form": unique("sys")}
    statuses = page.evaluate(
        """async (slugs) => {
            const send = async (body) => {
                const request = await window.badgekitDocs.signRequest(
                    {url: "/systems", method: "POST", headers: {}, body: body});
                const response = await fetch(request.url, {
                    method: request.method, headers: request.headers, body: request.body});
                return [response.status, await response.text()];
            };
            const multipart = new FormData();
            multipart.append("slug", slugs.multipart);
            multipart.append("name", "Multipart \u00e9");
            multipart.append("url", "https://example.org/m");
            const form = new URLSearchParams(
                {slug: slugs.form, name: "Form \u00e9", url: "https://example.org/f"});
            return {multipart: await send(multipart), form: await send(form)};
        }""",
        slugs,
    )
    for kind, (status, text) in statuses.items():
        assert status == 201, (kind, text)
        reply = api.get(f"/systems/{slugs[kind]}")
        assert reply.status_code == 200
        assert reply.json()["system"]["name"] == f"{kind.capitalize()} \u00e9"
    assert docs.errors == []


def claims_of(authorization: str) -> dict[str, Any]:
    match = re.fullmatch(r'JWT token="(.+)"', authorization)
    assert match, authorization
    token = signing.DecodedToken(match.group(1))
    assert token.header == {"alg": "HS256", "typ": "JWT"}
    claims: dict[str, Any] = json.loads(token.payload_bytes)
    return claims
