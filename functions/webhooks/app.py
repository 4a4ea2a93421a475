"""WebhooksFunction: webhook configuration and the delivery log of a system (webhooks.md §1, §4;
README §13.1 extensions).

Handlers are thin: resolve the system, call one domain function, shape the response.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit.domain import render, webhooks
from badgekit.http import api, resolve
from badgekit.http.api import respond
from badgekit.http.context import current, param
from badgekit.http.pagination import envelope
from badgekit.store.containers import SystemRecord

router = Router()

WEBHOOKS = "/systems/<systemSlug>/webhooks"
WEBHOOK = f"{WEBHOOKS}/<webhookId>"


def the_system(slug: str) -> SystemRecord:
    return resolve.resolve(current(), slug).system


@router.get(WEBHOOKS)
def list_webhooks(systemSlug: str) -> Response[str]:
    request = current()
    page = request.page()
    items, total = webhooks.list_webhooks(the_system(systemSlug), page)
    return respond(envelope("webhooks", [render.webhook_json(i) for i in items], total, page))


@router.post(WEBHOOKS)
def create_webhook(systemSlug: str) -> Response[str]:
    item = webhooks.create(the_system(systemSlug), current().body)
    return respond({"status": "created", "webhook": render.webhook_json(item)}, 201)


@router.delete(WEBHOOK)
def delete_webhook(systemSlug: str, webhookId: str) -> Response[str]:
    item = webhooks.delete(the_system(systemSlug), param(webhookId))
    return respond({"status": "deleted", "webhook": render.webhook_json(item)})


@router.get(f"{WEBHOOK}/deliveries")
def list_deliveries(systemSlug: str, webhookId: str) -> Response[str]:
    request = current()
    webhook = webhooks.get(the_system(systemSlug), param(webhookId))
    page = request.page()
    items, total = webhooks.list_deliveries(webhook, page)
    return respond(envelope("deliveries", [render.delivery_json(i) for i in items], total, page))


@router.post(f"{WEBHOOK}/deliveries/<deliveryId>/redeliver")
def redeliver(systemSlug: str, webhookId: str, deliveryId: str) -> Response[str]:
    webhook, delivery = webhooks.get_with_delivery(
        the_system(systemSlug), param(webhookId), param(deliveryId)
    )
    updated = webhooks.redeliver(webhook, delivery)
    return respond({"delivery": render.delivery_json(updated)}, 202)


lambda_handler = api.build_handler([router])
