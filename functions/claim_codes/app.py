"""ClaimCodesFunction: claim codes under the system, issuer and program prefixes (claim-codes.md).

Handlers are thin: resolve the URL's container (and badge), call one domain function in
`badgekit.domain.codes`, shape the response.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import codes, places, render
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope
from badgekit.store.badges import BadgeRecord
from badgekit.store.codes import CodeRecord

router = Router()

# Registers a handler under the three container prefixes (README §1).
at_every_level = partial(api.at_every_level, router)


def place_and_badge(params: dict[str, str]) -> tuple[places.Place, BadgeRecord]:
    return resolve.badge(current(), params)


def shaped(place: places.Place, badge: BadgeRecord) -> dict[str, Any]:
    return render.Renderer(place, current().base_url).badge_json(badge)


def with_badge(
    place: places.Place, badge: BadgeRecord, status: str | None, code: CodeRecord
) -> dict[str, Any]:
    body: dict[str, Any] = {} if status is None else {"status": status}
    body["claimCode"] = render.code_json(code)
    body["badge"] = shaped(place, badge)
    return body


# --- container level ----------------------------------------------------------------------------


@at_every_level("GET", "/codes")
def list_all_codes(**params: str) -> Response[str]:
    request = current()
    place = resolve.resolve(request, **params)
    page = request.page()
    pairs, total = codes.list_all(place, page)
    items = [
        {**render.code_json(code), "badge": {"id": badge["id"], "slug": badge["slug"]}}
        for code, badge in pairs
    ]
    return respond(envelope("claimCodes", items, total, page))


@at_every_level("GET", "/codes/<code>")
def find_badge_by_code(**params: str) -> Response[str]:
    code = param(params.pop("code"))
    place = resolve.resolve(current(), **params)
    item, badge = codes.lookup(place, code)
    return respond({"badge": {**shaped(place, badge), "claimed": codes.used_up(item)}})


# --- badge level --------------------------------------------------------------------------------


@at_every_level("GET", "/badges/<badgeSlug>/codes")
def list_codes(**params: str) -> Response[str]:
    request = current()
    place, badge = place_and_badge(params)
    page = request.page()
    items, total = codes.list_codes(badge, page)
    body = envelope("claimCodes", [render.code_json(item) for item in items], total, page)
    shaped_body = {"claimCodes": body["claimCodes"], "badge": shaped(place, badge)}
    if "pageData" in body:
        shaped_body["pageData"] = body["pageData"]
    return respond(shaped_body)


@at_every_level("POST", "/badges/<badgeSlug>/codes")
def create_code(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    item = codes.create(badge, current().body)
    return respond(with_badge(place, badge, "created", item), 201)


@at_every_level("POST", "/badges/<badgeSlug>/codes/random")
def create_random_code(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    item = codes.create_random(badge, current().body)
    return respond(with_badge(place, badge, "created", item), 201)


@at_every_level("GET", "/badges/<badgeSlug>/codes/<code>")
def get_code(**params: str) -> Response[str]:
    code = param(params["code"])
    place, badge = place_and_badge(params)
    item = codes.get(badge, code)
    return respond({"badge": shaped(place, badge), "claimCode": render.code_json(item)})


@at_every_level("PUT", "/badges/<badgeSlug>/codes/<code>")
def update_code(**params: str) -> Response[str]:
    code = param(params["code"])
    place, badge = place_and_badge(params)
    item = codes.update(badge, code, current().body)
    return respond(with_badge(place, badge, "updated", item))


@at_every_level("DELETE", "/badges/<badgeSlug>/codes/<code>")
def delete_code(**params: str) -> Response[str]:
    code = param(params["code"])
    place, badge = place_and_badge(params)
    item = codes.delete(badge, code)
    return respond(with_badge(place, badge, "deleted", item))


@at_every_level("POST", "/badges/<badgeSlug>/codes/<code>/claim")
def claim_code(**params: str) -> Response[str]:
    code = param(params["code"])
    place, badge = place_and_badge(params)
    item = codes.claim(badge, code, current().body)
    return respond(with_badge(place, badge, "updated", item))


lambda_handler = api.build_handler([router])
