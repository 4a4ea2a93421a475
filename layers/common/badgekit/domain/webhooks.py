"""Webhook configuration and the delivery log (webhooks.md §1, §4; README §13.1 extensions).

A webhook is an item in its system's partition (`keys.webhook`), next to a `(system, url)`
uniqueness guard (`keys.webhook_url`) written in the same transaction. The secret is write-only:
it is stored for signing and never returned, never logged, never echoed in validation details.

URL safety (§1, §4) is decided here, once, for both moments it is checked: when a webhook is
created (scheme, no credentials, and hosts that are IP literals or `localhost`) and when a
delivery is sent (the same, and every address the host name resolves to, the one connected to
being pinned). The deployment relaxes it through the environment:

- `WEBHOOKS_ALLOW_HTTP=true` allows plain `http://` (default: only `https://`);
- `WEBHOOKS_ALLOW_PRIVATE=loopback` allows loopback addresses, `=true` every non-public address
  (private, loopback, link-local, cloud metadata, ...); default: public addresses only.

The local stack sets `WEBHOOKS_ALLOW_HTTP=true` and `WEBHOOKS_ALLOW_PRIVATE=loopback` so that a
receiver on the developer's machine works.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from urllib.parse import urlsplit

from badgekit import timestamps
from badgekit.domain.inputs import Body
from badgekit.domain.validation import (
    INVALID_URL,
    WEBHOOK_ID_DIGITS,
    Report,
    Rule,
    StringField,
    check_fields,
    is_url,
    length,
    path_id,
)
from badgekit.errors import ResourceConflict, ResourceNotFound
from badgekit.store import db, queue
from badgekit.store import webhooks as webhook_store
from badgekit.store.containers import SystemRecord
from badgekit.store.webhooks import DeliveryRecord, WebhookRecord

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DELIVERY_RETENTION_SECONDS = 30 * 24 * 3600  # delivery records expire after 30 days (§4)

_TRUE = ("1", "true", "yes", "on")
_EXPLICIT_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


# --- URL safety policy ------------------------------------------------------------------------


def allow_http() -> bool:
    return os.environ.get("WEBHOOKS_ALLOW_HTTP", "").strip().lower() in _TRUE


def allowed_private() -> str:
    """The non-public addresses allowed: "" (none), "loopback", or "all"."""
    value = os.environ.get("WEBHOOKS_ALLOW_PRIVATE", "").strip().lower()
    if value in _TRUE or value == "all":
        return "all"
    return "loopback" if value == "loopback" else ""


# Never public, whatever the running Python's `is_global` says about them: the ranges the spec
# names (webhooks.md §1) and the transition forms that are not globally meaningful or whose
# embedded IPv4 address depends on the operator. IPv4-mapped (::ffff:0:0/96) and NAT64
# well-known-prefix (64:ff9b::/96) addresses are judged by the IPv4 address they embed instead.
_NEVER_PUBLIC = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier NAT, some clouds' metadata)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible ::a.b.c.d
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): the operator decides where IPv4 sits
        "2001::/32",  # Teredo: an obfuscated IPv4 address inside
        "2002::/16",  # 6to4 (deprecated, RFC 7526): IPv4 address in bits 16-48
        "fc00::/7",  # unique local, AWS metadata fd00:ec2::254
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for: IPv4-mapped or NAT64 well-known prefix."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """Global unicast, outside `_NEVER_PUBLIC`; an IPv4-mapped or NAT64 address is public when
    the IPv4 address it embeds is."""
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return is_public(embedded)
    if any(address in network for network in _NEVER_PUBLIC):
        return False
    return address.is_global and not address.is_multicast


def address_allowed(address: Address) -> bool:
    """Whether the sender may connect to `address` under the deployment's policy.

    Public addresses only by default (`is_public`), which leaves out private, loopback,
    link-local (169.254.0.0/16, where the cloud metadata endpoints live), shared (100.64.0.0/10),
    unique-local IPv6 (fd00:ec2::254), unspecified, multicast and reserved addresses, and every
    IPv6 form embedding one of them. `loopback` adds 127.0.0.0/8, ::1 and the IPv4-mapped
    ::ffff:127.0.0.0/104 (the same host), never a NAT64, 6to4 or IPv4-compatible form of them
    (they route elsewhere); `all` allows everything.
    """
    mode = allowed_private()
    if mode == "all" or is_public(address):
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return mode == "loopback" and address.is_loopback


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


_INET_ATON = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


def literal_address(host: str) -> Address | None:
    """The address a URL host denotes without DNS: an IP literal, or a name that the resolver
    reads as one (the inet_aton forms `127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _INET_ATON.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_names(host: str) -> list[str]:
    """The host as written and as the resolver sees it (IDNA: fullwidth digits, letters and dots
    become ASCII ones, so fullwidth `localhost` is localhost)."""
    names = [host]
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return names
    if ascii_host != host:
        names.append(ascii_host)
    return names


def url_allowed(url: str) -> bool:
    """The configuration-time check (§1): an explicit http(s) scheme the deployment allows, no
    credentials (they would be stored and listed in clear), and a host that is not a refused IP
    literal (or `localhost`). Host names are resolved and checked when sent."""
    if not _EXPLICIT_SCHEME.match(url) or not is_url(url):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if "@" in parts.netloc:  # any userinfo: `user@`, `user:pass@`, even an empty `:@`
        return False
    if parts.scheme.lower() == "http" and not allow_http():
        return False
    for name in host_names(host):
        if _is_localhost(name):
            return allowed_private() in ("loopback", "all")
        address = literal_address(name)
        if address is not None:
            return address_allowed(address)
    return True  # a name: resolved and checked at send time


WEBHOOK_URL = Rule(url_allowed, INVALID_URL)

FIELDS = (
    StringField("url", required=True, rules=(WEBHOOK_URL, length(0, 255))),
    StringField("secret", required=True, rules=(length(1, 255),)),
)


# --- configuration ----------------------------------------------------------------------------


def list_webhooks(system: SystemRecord, page: db.Page | None) -> tuple[list[WebhookRecord], int]:
    """W2: the system's webhooks in ascending id (one Query of the system's partition)."""
    items = webhook_store.of_system(system["id"])
    if page is None:
        return items, len(items)
    return items[page.start : page.start + page.count], len(items)


def enabled_webhooks(system_id: int) -> list[WebhookRecord]:
    """The recipients of an event: every webhook of the system that is not disabled."""
    return webhook_store.enabled(system_id)


def create(system: SystemRecord, body: Body) -> WebhookRecord:
    report = Report()
    values = check_fields(FIELDS, body.fields, report)
    for detail in report.details:
        if detail["field"] == "secret":
            detail.pop("value", None)  # write-only, even in error details
    report.raise_if_any()
    url = str(values["url"])
    webhook: WebhookRecord = {
        "id": db.next_id(webhook_store.ENTITY),
        "systemId": system["id"],
        "url": url,
        "secret": str(values["secret"]),
        "disabled": False,
        "created": timestamps.now(),
    }
    outcome = webhook_store.insert(webhook, system["slug"])
    if outcome == "url taken":
        raise ResourceConflict("webhook with that `url` already exists", {"url": url})
    if outcome == "no system":
        raise ResourceNotFound.for_field("system", "slug", system["slug"])
    return webhook


def parse_id(value: str) -> int | None:
    """A webhook's or delivery's id in a path (`validation.path_id`), else None."""
    return path_id(value, WEBHOOK_ID_DIGITS)


def get(system: SystemRecord, webhook_id: str) -> WebhookRecord:
    """The system's webhook `webhook_id` (path text), or the 404 of §1."""
    number = parse_id(webhook_id)
    item = webhook_store.get(system["id"], number) if number is not None else None
    if item is None:
        raise ResourceNotFound.for_field("webhook", "id", webhook_id)
    return item


def delete(system: SystemRecord, webhook_id: str) -> WebhookRecord:
    """Remove the webhook and its URL guard. Its delivery records are unreachable from then on
    (ids are never reused) and expire with the table's TTL; pending retries find it gone."""
    webhook = get(system, webhook_id)
    if not webhook_store.remove(webhook):
        raise ResourceNotFound.for_field("webhook", "id", webhook_id)
    return webhook


def disable(webhook: WebhookRecord) -> None:
    """410 Gone from the receiver: the webhook stays listed with `disabled: true`."""
    webhook_store.disable(webhook["systemId"], webhook["id"])


# --- delivery log -----------------------------------------------------------------------------


def list_deliveries(
    webhook: WebhookRecord, page: db.Page | None
) -> tuple[list[DeliveryRecord], int]:
    """The webhook's delivery records, newest first, without those past their expiry: one
    Query up to the end of the page, then COUNT Queries for the rest of the total."""
    return webhook_store.deliveries(webhook["id"], page)


def get_with_delivery(
    system: SystemRecord, webhook_id: str, delivery_id: str
) -> tuple[WebhookRecord, DeliveryRecord]:
    """The system's webhook and one of its deliveries (path texts), read in one BatchGetItem;
    the webhook's 404 first, then the delivery's."""
    hook_number, number = parse_id(webhook_id), parse_id(delivery_id)
    webhook, delivery = webhook_store.with_delivery(system["id"], hook_number, number)
    if webhook is None:
        raise ResourceNotFound.for_field("webhook", "id", webhook_id)
    if delivery is None:
        raise ResourceNotFound.for_field("delivery", "id", delivery_id)
    return webhook, delivery


def new_token() -> str:
    """Identifies the one scheduled attempt of a delivery that is current; a queue message
    carrying another token is stale and dropped."""
    return secrets.token_hex(8)


REDELIVERY_DELAY_SECONDS = 1  # lets the record's update land before the message is read


def redeliver(webhook: WebhookRecord, delivery: DeliveryRecord) -> DeliveryRecord:
    """Schedule one more attempt of `delivery` now (§4: same `webhook-id`), superseding any
    scheduled retry; the sender treats it like any attempt (a retryable failure is retried on the
    schedule while attempts remain). Returns the record as updated.

    The queue message is sent before the record is updated: if the update fails, the message is
    stale (its token is not the record's) and is dropped; never the other way round, which could
    leave a pending record with no message."""
    now = timestamps.now()
    token = new_token()
    message = queue.queue_message(
        webhook["systemId"],
        webhook["id"],
        delivery["id"],
        delivery["eventId"],
        token,
        now + REDELIVERY_DELAY_SECONDS,
    )
    queue.enqueue(message, REDELIVERY_DELAY_SECONDS)
    return webhook_store.redeliver(
        webhook["id"], delivery["id"], token, now + REDELIVERY_DELAY_SECONDS, now
    )
