"""DocsFunction: `GET /openapi.json`, the Swagger UI page `GET /docs` and its assets, unsigned.

In-process through the template's routes (no AWS call: the function reads only its own files).
The Swagger UI files are the ones `make docs-assets` copied to functions/docs/vendor/.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.events import ProxyResponse
from local.gateway import Gateway
from local.inprocess import Api, gateway
from tests.unit.conftest import TABLE_NAME

DOCS = Path(__file__).resolve().parents[2] / "functions" / "docs"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-16x16.png": "image/png",
    "favicon-32x32.png": "image/png",
    "badgekit-docs.js": "text/javascript; charset=utf-8",
    "badgekit-docs.css": "text/css; charset=utf-8",
}


def require_docs_assets() -> None:
    """Swagger UI's files are installed by `make docs-assets` (`make venv`, `make test`)."""
    if not (DOCS / "vendor" / ".installed").exists():
        pytest.fail("functions/docs/vendor/ is missing: run `make docs-assets`", pytrace=False)


@pytest.fixture(scope="module")
def docs_gateway() -> Gateway:
    require_docs_assets()
    return gateway(TABLE_NAME, functions=("DocsFunction",))


@pytest.fixture
def module(docs_gateway: Gateway) -> ModuleType:
    return docs_gateway.functions["DocsFunction"].module


def get(gw: Gateway, target: str, method: str = "GET", **headers: str) -> ProxyResponse:
    # An Authorization header that would fail every check: these routes never read it.
    headers = {"Authorization": 'JWT token="not.a.token"', **headers}
    return gw.dispatch(Api(secret="x", gw=gw).prepare(method, target, sign=False, headers=headers))


def header(response: ProxyResponse, name: str) -> str | None:
    values = [v for k, v in response.headers if k.lower() == name.lower()]
    return values[-1] if values else None


def body(response: ProxyResponse) -> bytes:
    if header(response, "Content-Encoding") == "gzip":
        return gzip.decompress(response.body)
    return response.body


def error(response: ProxyResponse) -> Any:
    assert header(response, "Content-Type") == "application/json"
    return json.loads(response.body)


def test_openapi_document_is_the_committed_file(docs_gateway: Gateway) -> None:
    response = get(docs_gateway, "/openapi.json")
    assert response.status == 200
    assert header(response, "Content-Type") == "application/json"
    assert body(response) == (DOCS / "openapi.json").read_bytes()
    assert json.loads(body(response))["openapi"].startswith("3.1")
    assert header(response, "Cache-Control") == "no-cache"
    assert header(response, "Content-Security-Policy") == CSP
    assert header(response, "X-Content-Type-Options") == "nosniff"
    assert re.fullmatch(r'"[0-9a-f]{32}"', header(response, "ETag") or "")


def test_compressed_only_for_clients_that_accept_gzip(docs_gateway: Gateway) -> None:
    plain = get(docs_gateway, "/openapi.json")
    assert header(plain, "Content-Encoding") is None
    zipped = get(docs_gateway, "/openapi.json", **{"Accept-Encoding": "gzip, deflate"})
    assert header(zipped, "Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body


def test_docs_page_loads_only_its_own_files(docs_gateway: Gateway) -> None:
    response = get(docs_gateway, "/docs")
    assert response.status == 200
    assert header(response, "Content-Type") == "text/html; charset=utf-8"
    assert header(response, "Content-Security-Policy") == CSP
    assert header(response, "Cache-Control") == "no-cache"
    page = body(response).decode()
    # Relative links (the page also works under a stage prefix), each with its content hash.
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(link.split("?")[0] for link in links) == sorted(
        f"docs/{name}" for name in ASSET_TYPES
    )
    assert all(re.fullmatch(r"docs/[\w.-]+\?v=[0-9a-f]{12}", link) for link in links), links
    # No inline script or style: every <script> has a src, no style attribute, no handlers.
    assert len(re.findall(r"<script\b", page)) == page.count("<script src=") == 2
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"\son\w+=", page)


@pytest.mark.parametrize(("name", "content_type"), sorted(ASSET_TYPES.items()))
def test_every_asset_is_served_with_its_type(
    docs_gateway: Gateway, name: str, content_type: str
) -> None:
    response = get(docs_gateway, f"/docs/{name}?v=0123456789ab")
    assert response.status == 200
    assert header(response, "Content-Type") == content_type
    assert header(response, "Cache-Control") == "public, max-age=86400"
    folder = "static" if name.startswith("badgekit-") else "vendor"
    assert body(response) == (DOCS / folder / name).read_bytes()


def test_the_page_links_the_current_version_of_each_asset(docs_gateway: Gateway) -> None:
    page = body(get(docs_gateway, "/docs")).decode()
    for link in re.findall(r'(?:src|href)="([^"]+)"', page):
        path, version = link.split("?v=")
        etag = header(get(docs_gateway, f"/{path}"), "ETag") or ""
        assert etag.strip('"').startswith(version), link


def test_a_cached_copy_is_revalidated_with_its_etag(docs_gateway: Gateway) -> None:
    for target in ("/openapi.json", "/docs", "/docs/swagger-ui.css", "/docs/favicon-16x16.png"):
        etag = header(get(docs_gateway, target), "ETag") or ""
        again = get(docs_gateway, target, **{"If-None-Match": f'"other", W/{etag}'})
        assert (again.status, again.body, header(again, "ETag")) == (304, b"", etag), target
        assert get(docs_gateway, target, **{"If-None-Match": '"other"'}).status == 200


def test_unknown_assets_are_not_found(docs_gateway: Gateway) -> None:
    for target in ("/docs/index.html", "/docs/swagger-ui-bundle.js.map", "/docs/package.json"):
        response = get(docs_gateway, target)
        assert response.status == 404
        assert error(response) == {
            "code": "ResourceNotFound",
            "message": f"{target} does not exist",
        }


def test_other_methods_are_not_allowed(docs_gateway: Gateway) -> None:
    for target in ("/openapi.json", "/docs", "/docs/badgekit-docs.js"):
        response = get(docs_gateway, target, method="POST")
        assert response.status == 405
        assert header(response, "Allow") == "GET"
        assert error(response) == {
            "code": "MethodNotAllowedError",
            "message": "POST is not allowed",
        }


def test_a_missing_asset_is_a_500_not_a_crash(
    docs_gateway: Gateway, module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if `make docs-assets` (or the build) had not copied Swagger UI's files.
    missing = {
        name: module.Asset(tmp_path, asset.content_type) for name, asset in module.ASSETS.items()
    }
    monkeypatch.setattr(module, "ASSETS", missing)
    for target in ("/docs", "/docs/swagger-ui-bundle.js"):
        response = get(docs_gateway, target)
        assert response.status == 500
        assert error(response) == {"code": "InternalError", "message": "An internal error occurred"}
    monkeypatch.setattr(module, "DOCUMENT", tmp_path / "openapi.json")
    response = get(docs_gateway, "/openapi.json")
    assert response.status == 500
    assert error(response) == {"code": "InternalError", "message": "An internal error occurred"}


def test_the_page_called_with_a_trailing_slash_is_redirected(module: ModuleType) -> None:
    # API Gateway passes the path as called in requestContext.path (the stage prefix included);
    # the handlers see it normalised. "../docs" keeps the stage prefix.
    event = {
        "resource": "/docs",
        "path": "/docs/",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "requestContext": {"path": "/Prod/docs/", "requestId": "r-1", "stage": "Prod"},
        "body": None,
        "isBase64Encoded": False,
    }
    result = module.lambda_handler(event, None)
    assert result["statusCode"] == 301
    assert result["multiValueHeaders"]["Location"] == ["../docs"]
