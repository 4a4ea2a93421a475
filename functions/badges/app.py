"""BadgesFunction: badge classes under the system, issuer and program prefixes (badges.md).

Handlers are thin: resolve the URL's container, call one domain function, shape the response.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import badges, cascade, milestones, places, render
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current
from badgekit.http.pagination import envelope
from badgekit.store.badges import BadgeRecord

router = Router()

# Registers a handler under the three container prefixes (README §1).
at_every_level = partial(api.at_every_level, router)


def place_of(params: dict[str, str]) -> places.Place:
    return resolve.resolve(current(), **params)


def place_and_badge(params: dict[str, str]) -> tuple[places.Place, BadgeRecord]:
    return resolve.badge(current(), params)


def shaped(place: places.Place, badge: BadgeRecord, **extra: Any) -> dict[str, Any]:
    return render.Renderer(place, current().base_url).badge_json(badge, **extra)


@at_every_level("GET", "/badges")
def list_badges(**params: str) -> Response[str]:
    request = current()
    place = place_of(params)
    states = badges.archived_filter(request.query.get("archived"))
    page = request.page()
    items, total = badges.list_badges(place, states, page)
    renderer = render.Renderer(place, request.base_url)
    return respond(envelope("badges", renderer.badges_json(items), total, page))


@at_every_level("POST", "/badges")
def create_badge(**params: str) -> Response[str]:
    request = current()
    place = place_of(params)
    badge = badges.create(place, request.body)
    location = f"{request.path}/{badge['slug']}"
    body = {"status": "created", "badge": shaped(place, badge)}
    return respond(body, 201, {"Location": location})


@at_every_level("GET", "/badges/<badgeSlug>")
def get_badge(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    listed = milestones.for_badge(badge, place, current().base_url)  # M3
    return respond({"badge": shaped(place, badge, milestones=listed)})


@at_every_level("PUT", "/badges/<badgeSlug>")
def update_badge(**params: str) -> Response[str]:
    request = current()
    place, badge = place_and_badge(params)
    updated = badges.update(place, badge, request.body, request.base_url)
    return respond({"status": "updated", "badge": shaped(place, updated)})


@at_every_level("DELETE", "/badges/<badgeSlug>")
def delete_badge(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    described = shaped(place, badge)
    cascade.delete_badge(badge)
    return respond({"status": "deleted", "badge": described})


lambda_handler = api.build_handler([router])
