"""PublicFunction: the unauthenticated documents under /public (auth.md §1).

The public badge list (badges.md), hosted assertions, Open Badges 1.0 badge classes and issuer
organisations (issuing.md "Public documents"; Open Badges 2.0 with `Accept:
application/ld+json`), the Open Badges 3.0 credential of each award, the signed assertions, the
keys that verify them and the revocation lists (docs/open-badges.md), stored images (README §10)
and baked award images (docs/api/openbadges.md). Reads only, but for the signing key's public
half, recorded the first time a process uses a key.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit import jsonutil
from badgekit.domain import badges, credentials_signing, images, public, render, revocations
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope

public_images = Router()
documents = Router()

SYSTEM = "/public/systems/<systemSlug>"
ISSUER = f"{SYSTEM}/issuers/<issuerSlug>"
PROGRAM = f"{ISSUER}/programs/<programSlug>"
# The documents' form follows `Accept` (Open Badges 1.0 or 2.0, JSON or a JWT): caches keep
# them apart.
VARY = {"Vary": "Accept"}


@public_images.get("/public/images/<imageSlug>")
def get_image(imageSlug: str) -> Response[str] | Response[bytes]:
    image = images.load(param(imageSlug))
    if isinstance(image, images.RemoteImage):
        return respond({"location": image.url}, 301, {"Location": image.url})
    # A bytes body is returned base64-encoded with isBase64Encoded=true (Powertools does it);
    # API Gateway decodes it because the API's binary media types are */*.
    content_type, headers = images.delivery(image)
    return Response(status_code=200, content_type=content_type, body=image.data, headers=headers)


@documents.get("/public/badges")
def list_public_badges() -> Response[str]:
    request = current()
    states = badges.archived_filter(request.query.get("archived"))
    page = request.page()
    locations, total = public.badge_locations(states, page, request.base_url)
    return respond(envelope("badgelist", locations, total, page))


@documents.get(SYSTEM)
@documents.get(ISSUER)
@documents.get(PROGRAM)
def issuer_organisation(**params: str) -> Response[str]:
    request = current()
    place = resolve.resolve(request, **params)
    if public.wants_linked_data(request.header("accept")):
        return linked_data(public.profile_v2(place, request.base_url))
    return respond(render.organisation_json(place), headers=VARY)


@documents.get(f"{SYSTEM}/badges/<badgeSlug>")
@documents.get(f"{ISSUER}/badges/<badgeSlug>")
@documents.get(f"{PROGRAM}/badges/<badgeSlug>")
def badge_class(**params: str) -> Response[str]:
    request = current()
    place, badge = resolve.badge(request, params)
    renderer = render.Renderer(place, request.base_url)
    if public.wants_linked_data(request.header("accept")):
        return linked_data(renderer.badge_class_v2_json(badge))
    return respond(renderer.badge_class_json(badge), headers=VARY)


def linked_data(document: dict[str, object], status: int = 200) -> Response[str]:
    return Response(
        status_code=status,
        content_type=public.LINKED_DATA,
        body=jsonutil.dumps(document),
        headers=VARY,
    )


@documents.get("/public/assertions/<instanceSlug>")
def hosted_assertion(instanceSlug: str) -> Response[str]:
    request = current()
    resolve.prefetch_path(request)  # the assertion with its badge and system: one round trip
    if public.wants_jwt(request.header("accept")):
        status, signed = public.signed_assertion(param(instanceSlug), request.base_url)
        if isinstance(signed, str):
            return Response(status_code=status, content_type=public.JWT, body=signed, headers=VARY)
        return linked_data(signed, status)
    as_linked_data = public.wants_linked_data(request.header("accept"))
    status, document = public.assertion(param(instanceSlug), request.base_url, as_linked_data)
    return Response(
        status_code=status,
        content_type=public.LINKED_DATA if as_linked_data else api.JSON,
        body=jsonutil.dumps(document),
        headers=VARY,
    )


@documents.get("/public/credentials/<instanceSlug>")
def credential(instanceSlug: str) -> Response[str]:
    request = current()
    resolve.prefetch_path(request)  # as the hosted assertion: one round trip when warm
    jwt_type = public.credential_jwt_type(request.header("accept"))
    status, document, system_slug = public.credential(param(instanceSlug), request.base_url)
    if jwt_type is not None and system_slug is not None:
        token = public.signed_credential(system_slug, document)
        return Response(200, jwt_type, token, headers=VARY)
    return Response(
        status_code=status,
        content_type=public.CREDENTIAL,
        body=jsonutil.dumps(document),
        headers=VARY,
    )


@documents.get("/public/assertions/<instanceSlug>/image")
def baked_image(instanceSlug: str) -> Response[str] | Response[bytes]:
    request = current()
    resolve.prefetch_path(request)
    status, baked = public.baked_image(param(instanceSlug), request.base_url)
    if not isinstance(baked, public.BakedImage):
        return respond(baked, status)
    # The same protections as the stored image (README §10), but not cached for long: a
    # revocation turns this URL into a 410.
    return Response(
        status_code=200,
        content_type=baked.mimetype,
        body=baked.data,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": images.IMAGE_CSP,
            "Cache-Control": "no-cache",
        },
    )


@documents.get(f"{SYSTEM}/keys/<keyId>")
@documents.get(f"{ISSUER}/keys/<keyId>")
@documents.get(f"{PROGRAM}/keys/<keyId>")
def cryptographic_key(keyId: str, **params: str) -> Response[str]:
    request = current()
    place = resolve.resolve(request, **params)
    key = credentials_signing.cryptographic_key_json(place, request.base_url, param(keyId))
    return linked_data(key)


@documents.get("/public/keys")
def signing_keys() -> Response[str]:
    return respond(credentials_signing.jwks_json())


@documents.get("/public/keys/<keyId>")
def signing_key(keyId: str) -> Response[str]:
    return respond(credentials_signing.jwk_json(param(keyId)))


@documents.get(f"{SYSTEM}/revocations")
def revocation_list(systemSlug: str) -> Response[str]:
    request = current()
    place = resolve.resolve(request, systemSlug)
    return linked_data(revocations.revocation_list_json(place, request.base_url))


@documents.get(f"{SYSTEM}/credentials/status")
def credential_status(systemSlug: str) -> Response[str]:
    request = current()
    place = resolve.resolve(request, systemSlug)
    return respond(revocations.credential_status_json(place, request.base_url))


lambda_handler = api.build_handler([documents, public_images])
