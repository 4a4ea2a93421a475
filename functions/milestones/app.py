"""MilestonesFunction: milestones of a system and their support badges (milestones.md).

Handlers are thin: resolve the system (and the milestone), call one domain function, shape the
response. Auto-award is not here: it runs from the table's stream (functions/milestone_awarder).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import milestones, render
from badgekit.domain.places import Place
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import SystemRecord
from badgekit.store.milestones import MilestoneRecord

router = Router()

MILESTONES = "/systems/<systemSlug>/milestones"
MILESTONE = f"{MILESTONES}/<milestoneId>"


def system_of(system_slug: str) -> SystemRecord:
    return resolve.resolve(current(), system_slug).system


def system_and_milestone(
    system_slug: str, milestone_id: str
) -> tuple[SystemRecord, MilestoneRecord]:
    system = system_of(system_slug)
    return system, milestones.get(system, param(milestone_id))


def shaped(
    system: SystemRecord, item: MilestoneRecord, found: dict[int, BadgeRecord]
) -> dict[str, Any]:
    renderer = render.Renderer(Place(system), current().base_url, found)
    return milestones.need(renderer, [item]).milestone_json(item)


@router.get(MILESTONES)
def list_milestones(systemSlug: str) -> Response[str]:
    request = current()
    system = system_of(systemSlug)
    page = request.page()
    items, total = milestones.list_milestones(system, page)
    renderer = milestones.need(render.Renderer(Place(system), request.base_url), items)
    shaped = [renderer.milestone_json(m) for m in items]
    return respond(envelope("milestones", shaped, total, page))


@router.post(MILESTONES)
def create_milestone(systemSlug: str) -> Response[str]:
    system = system_of(systemSlug)
    item, found = milestones.create(system, current().fields)
    return respond({"status": "created", "milestone": shaped(system, item, found)}, 201)


@router.get(MILESTONE)
def get_milestone(systemSlug: str, milestoneId: str) -> Response[str]:
    system, item = system_and_milestone(systemSlug, milestoneId)
    return respond({"milestone": shaped(system, item, {})})


@router.put(MILESTONE)
def update_milestone(systemSlug: str, milestoneId: str) -> Response[str]:
    system, item = system_and_milestone(systemSlug, milestoneId)
    updated, found = milestones.update(system, item, current().fields)
    return respond({"status": "updated", "milestone": shaped(system, updated, found)})


@router.delete(MILESTONE)
def delete_milestone(systemSlug: str, milestoneId: str) -> Response[str]:
    _, item = system_and_milestone(systemSlug, milestoneId)
    milestones.delete(item)
    return respond({"status": "deleted"})


@router.post(f"{MILESTONE}/add-badge")
def add_badge(systemSlug: str, milestoneId: str) -> Response[str]:
    system, item = system_and_milestone(systemSlug, milestoneId)
    updated, found = milestones.add_badge(system, item, current().fields)
    return respond({"status": "updated", "milestone": shaped(system, updated, found)})


@router.post(f"{MILESTONE}/remove-badge")
def remove_badge(systemSlug: str, milestoneId: str) -> Response[str]:
    system, item = system_and_milestone(systemSlug, milestoneId)
    updated, found = milestones.remove_badge(item, current().fields)
    return respond({"status": "updated", "milestone": shaped(system, updated, found)})


lambda_handler = api.build_handler([router])
