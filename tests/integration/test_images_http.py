"""Images over HTTP (spec README §10): uploads stored in the local stack's S3, served publicly.

The multipart upload is signed like any POST: the JWT body hash covers the exact multipart bytes,
which must reach the function byte-exact (binary media types) for both the hash and the image.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from tests.integration.conftest import StackProcess
from tests.support.client import ApiClient

PUBLIC_IMAGE = re.compile(r"^(http://127\.0\.0\.1:\d+)/public/images/([0-9a-f]{32})$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_ish(size: int) -> bytes:
    """PNG signature followed by random bytes (every byte value, incl. CR/LF and NUL)."""
    return PNG_SIGNATURE + os.urandom(size - len(PNG_SIGNATURE))


def multipart(
    fields: dict[str, str], image: bytes, mimetype: str = "image/png"
) -> tuple[bytes, str]:
    boundary = f"----badgekit{uuid.uuid4().hex}"
    parts = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="badge.png"\r\nContent-Type: {mimetype}\r\n\r\n'
        ).encode()
        + image
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def slug_of(image_url: str, stack: StackProcess) -> str:
    match = PUBLIC_IMAGE.match(image_url)
    assert match, image_url
    assert match.group(1) == stack.base_url
    return match.group(2)


def public(stack: StackProcess) -> ApiClient:
    return ApiClient(stack.base_url)


def test_multipart_upload_of_more_than_2_mib_is_served_byte_exact(
    api: ApiClient, stack: StackProcess, unique: Callable[..., str]
) -> None:
    image = png_ish(2 * 1024 * 1024 + 12345)
    slug = unique("img")
    body, content_type = multipart(
        {"slug": slug, "name": "Images", "url": "http://example.org"}, image
    )
    created = api.post("/systems", body=body, content_type=content_type)
    assert created.status_code == 201, created.text
    image_slug = slug_of(created.json()["system"]["imageUrl"], stack)

    served = public(stack).get(f"/public/images/{image_slug}", sign=False)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == image

    # The system keeps pointing at it.
    again = api.get(f"/systems/{slug}")
    assert again.json()["system"]["imageUrl"] == created.json()["system"]["imageUrl"]


def test_data_uri_upload(api: ApiClient, stack: StackProcess, unique: Callable[..., str]) -> None:
    image = png_ish(4096)
    data_uri = "data:image/png;base64," + base64.b64encode(image).decode()
    slug = unique("img")
    created = api.post(
        "/systems",
        json={"slug": slug, "name": "Inline", "url": "http://example.org", "image": data_uri},
    )
    assert created.status_code == 201, created.text
    image_slug = slug_of(created.json()["system"]["imageUrl"], stack)
    served = public(stack).get(f"/public/images/{image_slug}", sign=False)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.content == image


def test_update_replaces_the_image_and_round_trips_unchanged(
    api: ApiClient, stack: StackProcess, unique: Callable[..., str]
) -> None:
    slug = unique("img")
    first = "data:image/gif;base64," + base64.b64encode(b"GIF89a-first").decode()
    created = api.post(
        "/systems",
        json={"slug": slug, "name": "Swap", "url": "http://example.org", "image": first},
    )
    assert created.status_code == 201, created.text
    system = created.json()["system"]
    # Sending the current imageUrl back changes nothing.
    same = api.put(f"/systems/{slug}", json={"imageUrl": system["imageUrl"], "name": "Swapped"})
    assert same.status_code == 200, same.text
    assert same.json()["system"]["imageUrl"] == system["imageUrl"]

    second = "data:image/gif;base64," + base64.b64encode(b"GIF89a-second").decode()
    updated = api.put(f"/systems/{slug}", json={"image": second})
    assert updated.status_code == 200, updated.text
    new_url = updated.json()["system"]["imageUrl"]
    assert new_url != system["imageUrl"]
    served = public(stack).get(f"/public/images/{slug_of(new_url, stack)}", sign=False)
    assert served.content == b"GIF89a-second"


def test_remote_image_redirects(stack: StackProcess) -> None:
    # Remote URLs given to the API stay on their owner; an IMAGE item with a `url` (e.g. migrated
    # from the original's images table) is what /public/images redirects for.
    image_slug = uuid.uuid4().hex
    url = "https://images.example.org/badge.png"
    table: Any = boto3.resource(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",  # the stack's embedded moto server accepts any
        aws_secret_access_key="testing",
    ).Table(stack.table_name)
    table.put_item(
        Item={
            "PK": f"IMAGE#{image_slug}",
            "SK": "IMAGE",
            "entity": "image",
            "id": 999999,
            "slug": image_slug,
            "url": url,
            "created": 0,
        }
    )
    response = public(stack).get(f"/public/images/{image_slug}", sign=False)
    assert response.status_code == 301
    assert response.headers["Location"] == url
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"location": url}


def test_unknown_image_is_404_json(stack: StackProcess) -> None:
    response = public(stack).get("/public/images/0123456789abcdef0123456789abcdef", sign=False)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {
        "code": "ResourceNotFound",
        "message": "Could not find image field: `slug`, value: `0123456789abcdef0123456789abcdef`",
    }


def test_image_route_answers_405_for_other_methods(stack: StackProcess) -> None:
    response = public(stack).request("DELETE", "/public/images/abc", sign=False)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.json()["code"] == "MethodNotAllowedError"


def test_invalid_upload_mimetype_is_a_validation_error(
    api: ApiClient, unique: Callable[..., str]
) -> None:
    body, content_type = multipart(
        {"slug": unique("img"), "name": "Bad", "url": "http://example.org"},
        b"not an image",
        mimetype="image/png!",
    )
    response = api.post("/systems", body=body, content_type=content_type)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == [{"message": "Invalid characters", "field": "image"}]


def test_stored_svg_is_served_inert_and_html_is_refused(
    api: ApiClient, stack: StackProcess, unique: Callable[..., str]
) -> None:
    # README §10: an SVG may hold <script>; the headers keep it from running on the API's origin.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
    fields = {"slug": unique("img"), "name": "Svg", "url": "http://example.org"}
    body, content_type = multipart(fields, svg, mimetype="image/svg+xml")
    created = api.post("/systems", body=body, content_type=content_type)
    assert created.status_code == 201, created.text
    assert created.headers["X-Content-Type-Options"] == "nosniff"
    image_slug = slug_of(created.json()["system"]["imageUrl"], stack)
    served = public(stack).get(f"/public/images/{image_slug}", sign=False)
    assert (served.status_code, served.content) == (200, svg)
    assert served.headers["Content-Type"] == "image/svg+xml"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Content-Disposition" not in served.headers

    html = b"<!DOCTYPE html><html><script>alert(document.domain)</script></html>"
    body, content_type = multipart({**fields, "slug": unique("img")}, html, mimetype="text/html")
    refused = api.post("/systems", body=body, content_type=content_type)
    assert refused.status_code == 400, refused.text
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert refused.json() == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [{"message": "Unsupported image type", "field": "image"}],
    }
    missing = public(stack).get("/no/such/path", sign=False)
    assert (missing.status_code, missing.headers["X-Content-Type-Options"]) == (404, "nosniff")
