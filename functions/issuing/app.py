"""IssuingFunction: badge instances under the system, issuer and program prefixes (issuing.md).

Handlers are thin: resolve the URL's container (and badge), call one domain function in
`badgekit.domain.instances`, shape the response. `GET`/`PUT`/`DELETE …/instances/bulk` match the
`{email}` routes, so `bulk` is taken as an email there (README §13 route-shadowing note).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import instances, render
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import ApiRequest, current, param
from badgekit.http.pagination import envelope
from badgekit.store.instances import InstanceRecord

router = Router()

# Registers a handler under the three container prefixes (README §1).
at_every_level = partial(api.at_every_level, router)


def target_of(params: dict[str, str], request: ApiRequest | None = None) -> instances.Target:
    """The URL's container and its badge (system and badge in one BatchGetItem)."""
    request = request or current()
    place, badge = resolve.badge(request, params)
    return instances.Target.of(place, badge, request.base_url)


def shaped(target: instances.Target, instance: InstanceRecord) -> dict[str, Any]:
    return target.renderer.instance_json(instance, target.badge)


@at_every_level("POST", "/badges/<badgeSlug>/instances")
def award(**params: str) -> Response[str]:
    request = current()
    parsed = instances.award_input(request.fields)
    if parsed is not None:
        # The new instance's id is reserved while the path resolves (one round trip).
        resolving = partial(target_of, params, request)
        target, instance_id = resolve.with_new_id(resolving, instances.ENTITY)
        created = instances.award(target, parsed, instance_id)
    else:
        target = target_of(params)  # its 404 before the body's 400
        created = instances.award(target, request.fields)
    body = {"status": "created", "instance": shaped(target, created)}
    location = render.assertion_path(created["slug"])
    return respond(body, 201, {"Location": location})


@at_every_level("POST", "/badges/<badgeSlug>/instances/bulk")
def award_bulk(**params: str) -> Response[str]:
    request = current()
    target = target_of(params)
    created = instances.award_bulk(target, request.fields)
    return respond({"status": "created", "instances": [shaped(target, i) for i in created]}, 201)


@at_every_level("GET", "/badges/<badgeSlug>/instances")
def list_instances(**params: str) -> Response[str]:
    request = current()
    target = target_of(params)
    page = request.page()
    items, total = instances.list_for_badge(target.badge, page)
    return respond(envelope("instances", [shaped(target, i) for i in items], total, page))


def _email(params: dict[str, str]) -> str:
    return param(params["email"])


@at_every_level("GET", "/badges/<badgeSlug>/instances/<email>")
def get_instance(**params: str) -> Response[str]:
    email = _email(params)
    target = target_of(params)
    instance = instances.get(target.badge, email)
    return respond({"instance": shaped(target, instance)})


@at_every_level("PUT", "/badges/<badgeSlug>/instances/<email>")
def update_instance(**params: str) -> Response[str]:
    request = current()
    email = _email(params)
    target = target_of(params)
    updated = instances.update(target.badge, email, request.fields)
    return respond({"status": "updated", "instance": shaped(target, updated)})


@at_every_level("DELETE", "/badges/<badgeSlug>/instances/<email>")
def revoke_instance(**params: str) -> Response[str]:
    email = _email(params)
    target = target_of(params)
    revoked = instances.revoke(target, email)
    # No `status` key (issuing.md, as in the original).
    return respond({"instance": shaped(target, revoked)})


@at_every_level("GET", "/instances/<email>")
def list_earner_instances(**params: str) -> Response[str]:
    request = current()
    email = _email(params)
    del params["email"]
    place = resolve.resolve(request, **params)
    page = request.page()
    items, total = instances.list_for_earner(place, email, page)
    renderer = render.Renderer(place, request.base_url)
    pairs = instances.with_badges(items)
    listed = [renderer.instance_json(item, badge) for item, badge in pairs]
    return respond(envelope("instances", listed, total, page))


lambda_handler = api.build_handler([router])
