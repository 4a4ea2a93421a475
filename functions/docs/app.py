"""DocsFunction: the API reference, unsigned (README "API reference").

`GET /openapi.json` is the committed OpenAPI document (openapi.json next to this file);
`GET /docs` a Swagger UI page; `GET /docs/{asset}` its files: Swagger UI's own, from the npm
package pinned in package.json (copied to vendor/ by this folder's Makefile: `make docs-assets`
at the root, or `sam build`), and the page's script (static/badgekit-docs.js), which signs the
page's "try it out" requests in the browser. Everything comes from the API's own origin: the
Content-Security-Policy allows nothing else and no inline script, so the page works offline.

No table, no secret: the function only reads its own files.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.errors import InternalError, ResourceNotFound
from badgekit.http import api
from badgekit.http.context import current
from badgekit.logs import logger

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE / "openapi.json"
STATIC = HERE / "static"  # the page's own files (committed)
VENDOR = HERE / "vendor"  # Swagger UI's files (functions/docs/Makefile; never committed)

# Everything the page loads comes from here ('self'); no inline script or style, no eval, no
# frames, no plugins, no form posts. data: images are the icons inside swagger-ui.css.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
# The document and the page may change with any deployment: always revalidated (ETag).
REVALIDATE = "no-cache"
# Assets are requested with their content hash in the query (`?v=`), so a cached copy is
# never stale for the page that asks for it.
ASSET_CACHE = "public, max-age=86400"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    folder: Path
    content_type: str


ASSETS = {
    "swagger-ui-bundle.js": Asset(VENDOR, JS),
    "swagger-ui.css": Asset(VENDOR, CSS),
    "favicon-16x16.png": Asset(VENDOR, "image/png"),
    "favicon-32x32.png": Asset(VENDOR, "image/png"),
    "badgekit-docs.js": Asset(STATIC, JS),
    "badgekit-docs.css": Asset(STATIC, CSS),
}
_TEXT_TYPES = (JS, CSS, api.JSON)

router = Router()


@dataclass(frozen=True)
class Content:
    data: bytes
    etag: str


@lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int, size: int) -> Content:
    data = path.read_bytes()
    return Content(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"')


def _content(path: Path) -> Content | None:
    """The file's bytes and ETag (read again when the file changes), None when it is missing."""
    try:
        stat = path.stat()
        return _read(path, stat.st_mtime_ns, stat.st_size)
    except OSError:
        return None


def _missing(path: Path) -> Response[str]:
    """A file the function ships is not there: a deployment or set-up fault, said in the log
    (the body is the spec's fixed 500)."""
    reason = f"{path.relative_to(HERE)} is missing (make docs-assets, or sam build)"
    current().failure = reason
    logger.error("Docs file missing", extra={"file": str(path.relative_to(HERE))})
    return api.render_error(InternalError())


def _serve(content: Content, content_type: str, cache: str) -> Response[str] | Response[bytes]:
    headers = {
        "Cache-Control": cache,
        "ETag": content.etag,
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
    }
    if content.etag in _etags(current().header("if-none-match")):
        return Response(status_code=304, content_type=None, body="", headers=headers)
    if content_type in _TEXT_TYPES or content_type.startswith("text/"):
        # Compressed when the client accepts gzip (Powertools: base64 with Content-Encoding).
        return Response(
            status_code=200,
            content_type=content_type,
            body=content.data.decode("utf-8"),
            headers=headers,
            compress=True,
        )
    return Response(status_code=200, content_type=content_type, body=content.data, headers=headers)


def _etags(header: str | None) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()}


@router.get("/openapi.json")
def openapi_document() -> Response[str] | Response[bytes]:
    content = _content(DOCUMENT)
    if content is None:
        return _missing(DOCUMENT)
    return _serve(content, api.JSON, REVALIDATE)


@router.get("/docs")
def docs_page() -> Response[str] | Response[bytes]:
    if _called_with_trailing_slash():  # the page's relative links need ".../docs"
        return Response(
            status_code=301, content_type=None, body="", headers={"Location": "../docs"}
        )
    page = _page()
    if isinstance(page, Path):
        return _missing(page)
    return _serve(page, "text/html; charset=utf-8", REVALIDATE)


@router.get("/docs/<asset>")
def docs_asset(asset: str) -> Response[str] | Response[bytes]:
    found = ASSETS.get(asset)
    if found is None:
        request = current()
        raise ResourceNotFound(f"{request.path} does not exist")
    path = found.folder / asset
    content = _content(path)
    if content is None:
        return _missing(path)
    return _serve(content, found.content_type, ASSET_CACHE)


def _called_with_trailing_slash() -> bool:
    """The path as called (the handlers see it normalised, README §1), from the event's
    requestContext: `/docs/` or `/Prod/docs/`."""
    context = router.current_event.raw_event.get("requestContext") or {}
    called = context.get("path")
    return isinstance(called, str) and len(called) > 1 and called.endswith("/")


def _page() -> Content | Path:
    """The HTML page, each asset linked with its content hash (`?v=`): a new deployment's page
    never runs with an old cached script. A missing asset: its path."""
    versions: dict[str, str] = {}
    for name, asset in ASSETS.items():
        content = _content(asset.folder / name)
        if content is None:
            return asset.folder / name
        versions[name] = html.escape(f"docs/{name}?v={content.etag.strip(chr(34))[:12]}")
    data = PAGE.format(
        **{name.replace("-", "_").replace(".", "_"): v for name, v in versions.items()}
    )
    encoded = data.encode("utf-8")
    return Content(encoded, f'"{hashlib.sha256(encoded).hexdigest()[:32]}"')


# Relative links: the page works at /docs and under a stage prefix (/Prod/docs).
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BadgeKit API reference</title>
<link rel="icon" type="image/png" sizes="32x32" href="{favicon_32x32_png}">
<link rel="icon" type="image/png" sizes="16x16" href="{favicon_16x16_png}">
<link rel="stylesheet" href="{swagger_ui_css}">
<link rel="stylesheet" href="{badgekit_docs_css}">
</head>
<body>
<form id="signing" class="signing" autocomplete="off">
<fieldset>
<legend>Sign requests</legend>
<p>Every &ldquo;Try it out&rdquo; request is signed in this browser with a short-lived,
single-use token (HS256, see the Authentication section of the API reference). The secret
never leaves the page: it is kept in this tab&rsquo;s memory, or in its session storage when
you tick the box.</p>
<label>Key <input id="signing-key" name="key" value="master" spellcheck="false"></label>
<label>Secret <input id="signing-secret" name="secret" type="password" autocomplete="off"
spellcheck="false"></label>
<label class="signing-remember"><input id="signing-remember" type="checkbox">
Keep for this tab</label>
<button id="signing-apply" type="submit">Use</button>
<button id="signing-forget" type="button">Forget</button>
<output id="signing-status" role="status">Not signing: enter a key and its secret.</output>
</fieldset>
</form>
<div id="swagger-ui"></div>
<script src="{swagger_ui_bundle_js}"></script>
<script src="{badgekit_docs_js}"></script>
</body>
</html>
"""

lambda_handler = api.build_handler([router])
