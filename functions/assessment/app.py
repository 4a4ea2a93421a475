"""AssessmentFunction: applications with evidence, reviews with review items (assessment.md),
under the system, issuer and program prefixes.

Handlers are thin: resolve the URL's container, badge, application and review, call one domain
function (`badgekit.domain.assessment`), shape the response.
"""

from __future__ import annotations

from functools import partial

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import assessment, places, render
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope
from badgekit.store.badges import BadgeRecord

router = Router()

# Registers a handler under the three container prefixes (README §1).
at_every_level = partial(api.at_every_level, router)

APPLICATIONS = "/badges/<badgeSlug>/applications"
APPLICATION = f"{APPLICATIONS}/<applicationSlug>"
REVIEWS = f"{APPLICATION}/reviews"
REVIEW = f"{REVIEWS}/<reviewSlug>"


def place_and_badge(params: dict[str, str]) -> tuple[places.Place, BadgeRecord]:
    return resolve.badge(current(), params)


def resolve_application(
    params: dict[str, str],
) -> tuple[places.Place, BadgeRecord, assessment.ApplicationRecord]:
    application_slug = param(params.pop("applicationSlug"))
    place, badge = place_and_badge(params)
    return place, badge, assessment.get_application(badge, application_slug)


def resolve_review(
    params: dict[str, str],
) -> tuple[places.Place, BadgeRecord, assessment.ApplicationRecord, assessment.ReviewRecord]:
    review_slug = param(params.pop("reviewSlug"))
    place, badge, application = resolve_application(params)
    return place, badge, application, assessment.get_review(application, review_slug)


def renderer_of(place: places.Place) -> render.Renderer:
    return render.Renderer(place, current().base_url)


def _list(place: places.Place, badge: BadgeRecord | None) -> Response[str]:
    request = current()
    states = assessment.processed_filter(request.query.get("processed"))
    email = request.first("email") or None
    page = request.page()
    rows, total = assessment.list_applications(place, badge, states, email, page)
    renderer = renderer_of(place)
    items = [renderer.application_json(application, owner) for application, owner in rows]
    return respond(envelope("applications", items, total, page))


# --- applications ----------------------------------------------------------------------------


@at_every_level("GET", "/applications")
def list_container_applications(**params: str) -> Response[str]:
    return _list(resolve.resolve(current(), **params), None)


@at_every_level("GET", APPLICATIONS)
def list_badge_applications(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    return _list(place, badge)


@at_every_level("POST", APPLICATIONS)
def create_application(**params: str) -> Response[str]:
    place, badge = place_and_badge(params)
    application = assessment.create_application(badge, current().body)
    body = {
        "status": "created",
        "application": renderer_of(place).application_json(application, badge),
    }
    return respond(body, 201)


@at_every_level("GET", APPLICATION)
def get_application(**params: str) -> Response[str]:
    place, badge, application = resolve_application(params)
    return respond({"application": renderer_of(place).application_json(application, badge)})


@at_every_level("PUT", APPLICATION)
def update_application(**params: str) -> Response[str]:
    place, badge, application = resolve_application(params)
    updated = assessment.update_application(application, current().body)
    body = {"status": "updated", "application": renderer_of(place).application_json(updated, badge)}
    return respond(body)


@at_every_level("DELETE", APPLICATION)
def delete_application(**params: str) -> Response[str]:
    place, badge, application = resolve_application(params)
    described = renderer_of(place).application_json(application, badge)
    assessment.delete_application(application)
    return respond({"status": "deleted", "application": described})


# --- evidence (extension routes of the official client) -------------------------------------


@at_every_level("GET", f"{APPLICATION}/evidence")
def list_evidence(**params: str) -> Response[str]:
    _, _, application = resolve_application(params)
    return respond({"evidences": render.evidences_json(application)})


@at_every_level("GET", f"{APPLICATION}/evidence/<evidenceSlug>")
def get_evidence(**params: str) -> Response[str]:
    evidence_slug = param(params.pop("evidenceSlug"))
    _, _, application = resolve_application(params)
    return respond({"evidence": assessment.find_evidence(application, evidence_slug)})


# --- reviews ----------------------------------------------------------------------------------


@at_every_level("GET", REVIEWS)
def list_reviews(**params: str) -> Response[str]:
    request = current()
    _, _, application = resolve_application(params)
    page = request.page()
    items, total = assessment.list_reviews(application, page)
    reviews = [render.review_json(review) for review in items]
    return respond(envelope("reviews", reviews, total, page))


@at_every_level("POST", REVIEWS)
def create_review(**params: str) -> Response[str]:
    place, badge, application = resolve_application(params)
    review = assessment.create_review(renderer_of(place), badge, application, current().body)
    return respond({"status": "created", "review": render.review_json(review)}, 201)


@at_every_level("GET", REVIEW)
def get_review(**params: str) -> Response[str]:
    _, _, _, review = resolve_review(params)
    return respond({"review": render.review_json(review)})


@at_every_level("PUT", REVIEW)
def update_review(**params: str) -> Response[str]:
    place, badge, application, review = resolve_review(params)
    updated = assessment.update_review(
        renderer_of(place), badge, application, review, current().body
    )
    return respond({"status": "updated", "review": render.review_json(updated)})


@at_every_level("DELETE", REVIEW)
def delete_review(**params: str) -> Response[str]:
    _, _, _, review = resolve_review(params)
    assessment.delete_review(review)
    described = render.review_json(review)
    # The original answered under `badge`; both keys carry the same review (divergences B14).
    return respond({"status": "deleted", "review": described, "badge": described})


lambda_handler = api.build_handler([router])
