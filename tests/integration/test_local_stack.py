"""The local stack itself, over HTTP: routing, the platform's own answers, bodies and bootstrap.

These need `functions/containers` (health, 404/405 fallback, systems) but test what the local
stack adds around it: path normalisation before routing, the gateway 413, raw paths and bodies
reaching the function unchanged (the JWT checks depend on that), and `BADGEKIT_SYSTEM`.
"""

from __future__ import annotations

from tests.support.client import MASTER_SECRET, ApiClient

MAX_BODY = 10 * 1024 * 1024


def test_root_and_healthcheck_are_public(api: ApiClient) -> None:
    for path in ("/", "/healthcheck", "/healthcheck?verbose=1"):
        response = api.get(path, sign=False)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["app"] == "BadgeKit API"
        assert isinstance(body["version"], str)


def test_paths_are_normalised_before_routing(api: ApiClient) -> None:
    for path in ("//healthcheck/", "/healthcheck//", "//healthcheck"):
        response = api.get(path, sign=False)
        assert response.status_code == 200, path
        assert response.json()["app"] == "BadgeKit API"


def test_unknown_path_is_resource_not_found(api: ApiClient, unique) -> None:
    path = f"/{unique('nothing')}/here"
    response = api.get(path, sign=False)
    assert response.status_code == 404
    assert response.json() == {"code": "ResourceNotFound", "message": f"{path} does not exist"}


def test_undefined_method_is_405_with_allow(api: ApiClient) -> None:
    response = api.request("PATCH", "/systems", sign=False)
    assert response.status_code == 405
    assert response.json()["code"] == "MethodNotAllowedError"
    assert response.json()["message"] == "PATCH is not allowed"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


def test_body_over_10_mib_is_413(api: ApiClient) -> None:
    response = api.post(
        "/systems", body=b"x" * (MAX_BODY + 1), content_type="application/json", sign=False
    )
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the template's header
    assert response.json() == {
        "code": "RequestEntityTooLargeError",
        "message": f"Request body size exceeds {MAX_BODY}",
    }


def test_body_of_exactly_10_mib_reaches_the_function(api: ApiClient) -> None:
    response = api.post("/systems", body=b"x" * MAX_BODY, content_type="text/plain", sign=False)
    assert response.status_code == 415  # the function's own answer, not the gateway's 413


def test_protected_route_needs_a_token(api: ApiClient) -> None:
    response = api.get("/systems", sign=False)
    assert response.status_code == 403
    assert response.json()["code"] == "NotAuthorized"


def test_signed_body_and_raw_path_reach_the_function(api: ApiClient, unique) -> None:
    slug = unique("sys")
    payload = {"slug": slug, "name": "Stack test", "url": "http://example.org"}
    created = api.post("/systems", json=payload)
    assert created.status_code == 201, created.text
    assert api.post("/systems", json=payload).status_code == 409
    # Signed as sent, with duplicate and trailing slashes: the claim is normalised like the path.
    fetched = api.get(f"//systems/{slug}/")
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["system"]["slug"] == slug


def test_bootstrap_creates_the_configured_system(stack_factory, unique) -> None:
    slug = unique("boot")
    extra = stack_factory(BADGEKIT_SYSTEM=slug, BADGEKIT_SYSTEM_NAME="Boot Strap")
    assert f"system:        {slug} (created)" in extra.output()
    client = ApiClient(extra.base_url, "master", MASTER_SECRET)
    response = client.get(f"/systems/{slug}")
    assert response.status_code == 200, response.text
    assert response.json()["system"]["name"] == "Boot Strap"
    assert response.json()["system"]["url"] == "http://example.org"


def test_sigterm_stops_the_stack_cleanly_after_work(stack_factory) -> None:
    """SIGTERM ends `python -m local` with status 0 after stopping everything it started, also
    after it has served writes (it leaves without the interpreter's slow final clean-up)."""
    extra = stack_factory()
    api = ApiClient(extra.base_url, "master", extra.master_secret)
    body = {"slug": "sigterm", "name": "Sigterm", "url": "http://example.org"}
    assert api.post("/systems", json=body).status_code == 201
    extra.stop()
    assert extra.process.returncode == 0
    assert "Stopping..." in extra.output()
