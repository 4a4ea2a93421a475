"""Every JSON document the API returns or publishes: the API's representations (systems,
issuers, programs, consumers, badges, claim codes, instances, applications, evidence, reviews,
milestones, webhooks, deliveries), the webhook event payloads (webhooks.md §3) and the public
Open Badges documents (issuing.md "Public documents": hosted assertions, badge classes and
issuer organisations / profiles, each in Open Badges 1.0 and 2.0) and the Open Badges 3.0
credential of each award (docs/open-badges.md).

Names: `<thing>_json` renders one thing, `<action>_payload` an event's payload, `<thing>_url`
an absolute URL. A document that nests badges (or the issuers and programs a badge belongs to)
is rendered by a `Renderer`, the one per-request cache; every other document is a plain
function of its item.

Rendering reads nothing but, through `Renderer`, a system's containers (at most one Query per
renderer); the callers read everything else."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast, overload
from urllib.parse import quote

from badgekit import timestamps
from badgekit.domain.images import image_url
from badgekit.domain.places import Place
from badgekit.store import containers as container_store

# Record types only annotate: a function that renders badges does not import the webhook,
# assessment or issuing store modules for them.
if TYPE_CHECKING:
    from badgekit.store.assessment import ApplicationRecord, EvidenceRecord, ReviewRecord
    from badgekit.store.badges import AlignmentRecord, BadgeRecord, CriterionRecord
    from badgekit.store.codes import CodeRecord
    from badgekit.store.consumers import ConsumerRecord
    from badgekit.store.containers import (
        ContainerRecord,
        IssuerRecord,
        OwnedRecord,
        ProgramRecord,
        SystemRecord,
    )
    from badgekit.store.instances import AssertionRecord, InstanceRecord
    from badgekit.store.milestones import MilestoneRecord
    from badgekit.store.webhooks import DeliveryRecord, WebhookRecord

Document = dict[str, Any]


class Renderer:
    """The documents of one request that nest badges: each badge is rendered once (with
    `milestones: []`), and the issuers / programs nested in badges are the URL's own
    containers or, deeper ones (a program badge listed at system level), those the request read
    ahead (`store.prefetch`, checked by id) or else one strongly consistent Query of the
    system's containers.

    `badges` holds badges by id for documents that name badges by id (milestones); the caller
    looks them up (`milestones.need`)."""

    def __init__(
        self, place: Place, base_url: str, badges: Mapping[int, BadgeRecord] | None = None
    ) -> None:
        self.place = place
        self.base_url = base_url
        self.badges: dict[int, BadgeRecord] = dict(badges or {})
        self._owners: dict[tuple[str, int], OwnedRecord] | None = None
        self._badges_json: dict[int, dict[str, Any]] = {}
        self._absent: set[tuple[str, int]] = set()  # read by `read_owners` and not found
        # The nested system, issuer and program objects, the same in every badge rendered
        # (shared, never changed: documents are only encoded).
        self._nested: dict[tuple[str, int], dict[str, Any]] = {}
        for item in (place.issuer, place.program):
            if item is not None:
                self._known(item)

    # --- issuers and programs by id, for the nested `issuer` / `program` objects of badges

    def _known(self, item: OwnedRecord) -> None:
        if self._owners is None:
            self._owners = {}
        self._owners[(item["entity"], item["id"])] = item

    @overload
    def owner(self, kind: Literal["issuer"], entity_id: int | None) -> IssuerRecord | None: ...
    @overload
    def owner(self, kind: Literal["program"], entity_id: int | None) -> ProgramRecord | None: ...
    def owner(self, kind: str, entity_id: int | None) -> OwnedRecord | None:
        if entity_id is None:
            return None
        key = (kind, entity_id)
        if key in self._absent:
            return None
        if self._owners is None or key not in self._owners:
            # Read ahead by this request (where the directory last saw it, same id), else the
            # Query of the system's containers.
            system_id = self.place.system["id"]
            known = container_store.owner_by_id(system_id, kind, entity_id)
            for item in [known] if known else container_store.owned_by(system_id):
                self._known(item)
        assert self._owners is not None
        return self._owners.get(key)

    def read_owners(self, badges: Sequence[BadgeRecord]) -> None:
        """Read at once the issuers and programs `badges` (of this system) nest and this
        renderer does not know yet (`container_store.owners`: those read ahead with the
        badges, else by id), not one by one nor every container of the system."""
        wanted: dict[tuple[str, int], None] = {}
        for badge in badges:
            for kind, owner_id in (
                ("issuer", badge.get("issuerId")),
                ("program", badge.get("programId")),
            ):
                if owner_id is not None and (
                    self._owners is None or (kind, owner_id) not in self._owners
                ):
                    wanted[(kind, owner_id)] = None
        if not wanted:
            return
        found = container_store.owners(self.place.system["id"], wanted)
        for item in found.values():
            self._known(item)
        self._absent.update(pair for pair in wanted if pair not in found)

    def badges_json(self, badges: Sequence[BadgeRecord]) -> list[dict[str, Any]]:
        """The Badge representations of a list's badges (`read_owners` first)."""
        self.read_owners(badges)
        return [self.badge_json(badge) for badge in badges]

    # --- badges (badges.md) ------------------------------------------------------------------

    def badge_json(
        self, badge: BadgeRecord, milestones: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The Badge representation (badges.md), keys in the spec's order. Without
        `milestones` (`milestones: []`) a badge is rendered once per renderer."""
        if milestones is not None:
            return self._badge_json(badge, milestones)
        badge_id = badge["id"]
        if badge_id not in self._badges_json:
            self._badges_json[badge_id] = self._badge_json(badge, [])
        return self._badges_json[badge_id]

    def _badge_json(self, badge: BadgeRecord, milestones: list[dict[str, Any]]) -> dict[str, Any]:
        system = self.place.system
        base_url = self.base_url
        body: dict[str, Any] = {
            "id": badge["id"],
            "slug": badge["slug"],
            "name": badge["name"],
            "strapline": badge.get("strapline"),
            "earnerDescription": badge["earnerDescription"],
            "consumerDescription": badge["consumerDescription"],
            "issuerUrl": badge.get("issuerUrl"),
            "rubricUrl": badge.get("rubricUrl"),
            "timeValue": badge.get("timeValue"),
            "timeUnits": badge.get("timeUnits"),
            "limit": badge.get("limit"),
            "unique": bool(badge.get("unique", False)),
            "created": timestamps.to_iso(badge.get("created")),
            "imageUrl": image_url(badge, base_url),
            "type": badge.get("type", ""),
            "archived": bool(badge.get("archived", False)),
            "system": self._nested_json("system", system),
        }
        issuer = self.owner("issuer", badge.get("issuerId"))
        if issuer is not None:
            body["issuer"] = self._nested_json("issuer", issuer)
        program = self.owner("program", badge.get("programId"))
        if program is not None:
            body["program"] = self._nested_json("program", program)
        body.update(
            {
                "criteriaUrl": badge["criteriaUrl"],
                "criteria": [_criterion_json(c) for c in badge.get("criteria", [])],
                "alignments": [_alignment_json(a) for a in badge.get("alignments", [])],
                "evidenceType": badge.get("evidenceType"),
                "categories": list(badge.get("categories", [])),
                "tags": [{"id": t["id"], "value": t["value"]} for t in badge.get("tags", [])],
                "milestones": milestones or [],
            }
        )
        return body

    def _nested_json(self, kind: str, item: ContainerRecord) -> dict[str, Any]:
        """The system (`_nested_system_json`), issuer (`issuer_json` without programs) or
        program (`program_json`) nested in a badge, rendered once per renderer."""
        key = (kind, item["id"])
        nested = self._nested.get(key)
        if nested is None:
            if kind == "system":
                nested = _nested_system_json(cast("SystemRecord", item), self.base_url)
            elif kind == "issuer":
                nested = issuer_json(cast("IssuerRecord", item), [], self.base_url)
            else:
                nested = program_json(item, self.base_url)
            self._nested[key] = nested
        return nested

    def class_url(self, badge: BadgeRecord) -> str:
        """Absolute URL of the public badge class, under the badge's own container (issuing.md)."""
        return f"{self.organisation_url(badge)}/badges/{badge['slug']}"

    def organisation_url(self, badge: BadgeRecord) -> str:
        """Absolute URL of the issuer-organisation document of the badge's own container."""
        return profile_url(self.badge_place(badge), self.base_url)

    def badge_place(self, badge: BadgeRecord) -> Place:
        """The badge's own container: its system, and its issuer and program if it has them."""
        issuer = self.owner("issuer", badge.get("issuerId"))
        program = self.owner("program", badge.get("programId")) if issuer is not None else None
        return Place(self.place.system, issuer, program)

    # --- instances (issuing.md) and their events (webhooks.md §3.1-3.2) -----------------------

    def instance_json(self, instance: InstanceRecord, badge: BadgeRecord) -> Document:
        """The Instance representation (issuing.md), keys in the spec's order."""
        return {
            "slug": instance["slug"],
            "email": instance["email"],
            "expires": timestamps.to_iso(instance.get("expires")),
            "issuedOn": timestamps.to_iso(instance.get("issuedOn")),
            "claimCode": instance.get("claimCode"),
            "assertionUrl": assertion_url(instance["slug"], self.base_url),
            "badge": self.badge_json(badge),
        }

    def award_payload(
        self, instance: InstanceRecord, badge: BadgeRecord, comment: str | None
    ) -> Document:
        """webhooks.md §3.1, key order included."""
        return {
            "action": "award",
            "uid": instance["slug"],
            "badge": self.badge_json(badge),
            "email": instance["email"],
            "assertionUrl": assertion_url(instance["slug"], self.base_url),
            "issuedOn": timestamps.to_seconds(instance.get("issuedOn")),
            "comment": comment,
            # Added to the spec's payload (docs/api/webhooks.md): the award's OB 3.0 credential.
            "credentialUrl": credential_url(instance["slug"], self.base_url),
        }

    def revoke_payload(self, instance: InstanceRecord, badge: BadgeRecord) -> Document:
        """webhooks.md §3.2."""
        return {
            "action": "revoke",
            "uid": instance["slug"],
            "badge": self.badge_json(badge),
            "email": instance["email"],
        }

    # --- assessment (assessment.md) and the review event (webhooks.md §3.3) -------------------

    def application_json(self, application: ApplicationRecord, badge: BadgeRecord) -> Document:
        return {
            "id": application["id"],
            "slug": application["slug"],
            "learner": application["learner"],
            "created": timestamps.to_iso(application.get("created")),
            "assignedTo": application.get("assignedTo"),
            "assignedExpiration": timestamps.to_iso(application.get("assignedExpiration")),
            "badge": self.badge_json(badge),
            "processed": timestamps.to_iso(application.get("processed")),
            "evidence": evidences_json(application),
        }

    def review_payload(
        self,
        badge: BadgeRecord,
        application: ApplicationRecord,
        review: ReviewRecord,
        approved: bool,
    ) -> dict[str, Any]:
        """The `review` webhook payload (webhooks.md §3.3), keys in the spec's order."""
        return {
            "action": "review",
            "application": self.application_json(application, badge),
            "review": review_json(review),
            "approved": approved,
        }

    # --- milestones (milestones.md) -----------------------------------------------------------

    def _badge_by_id(self, badge_id: int) -> dict[str, Any] | None:
        item = self.badges.get(badge_id)
        if item is None:
            return None  # deleted meanwhile: its cascade is removing the reference
        return self.badge_json(item)

    def milestone_json(self, item: MilestoneRecord) -> dict[str, Any]:
        """The Milestone representation (milestones.md), keys in the spec's order; its badges
        are those of `badges`."""
        supports = (self._badge_by_id(b) for b in item.get("supportBadgeIds", []))
        return {
            "id": item["id"],
            "action": item.get("action", "issue"),
            "numberRequired": item["numberRequired"],
            "primaryBadge": self._badge_by_id(item["primaryBadgeId"]),
            "supportBadges": [b for b in supports if b is not None],
        }

    # --- Open Badges 1.0 (issuing.md "Public documents") --------------------------------------

    def badge_class_json(self, badge: BadgeRecord) -> dict[str, Any]:
        """BadgeClass: the badge as Open Badges 1.0 publishes it (no tags, no ids)."""
        return {
            "name": badge["name"],
            "description": badge["consumerDescription"],
            "image": image_url(badge, self.base_url),
            "criteria": badge["criteriaUrl"],
            "alignment": [
                {"name": a["name"], "url": a["url"], "description": a.get("description", "")}
                for a in badge.get("alignments", [])
            ],
            "issuer": self.organisation_url(badge),
        }

    # --- Open Badges 3.0 (docs/open-badges.md "OB 3.0 credentials") -----------------------------

    def credential_json(self, item: AssertionRecord, badge: BadgeRecord) -> Document:
        """The award as an Open Badges 3.0 `OpenBadgeCredential` (unsigned; OB 3.0.3 data
        model): the hosted assertion's record (salted email hash included), the badge as its
        `achievement` and the badge's own container as the issuer `Profile` (the issuer
        profile URL, with the keys of `organisation_json`)."""
        place = self.badge_place(badge)
        profile: Document = {
            "id": profile_url(place, self.base_url),
            "type": ["Profile"],
            **organisation_json(place),
        }
        salt = item["salt"]
        document: Document = {
            "@context": [VC2_CONTEXT, OB3_CONTEXT],
            "id": credential_url(item["slug"], self.base_url),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": badge["name"],
            "issuer": profile,
            "validFrom": timestamps.to_iso(item.get("issuedOn")),
        }
        expires = timestamps.to_iso(item.get("expires"))
        if expires is not None:
            document["validUntil"] = expires
        document["credentialSubject"] = {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": recipient_hash(item["email"], salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": self.achievement_json(badge),
        }
        document["credentialStatus"] = {
            "id": credential_status_url(self.place.system["slug"], self.base_url),
            "type": CREDENTIAL_STATUS_TYPE,
        }
        return document

    def achievement_json(self, badge: BadgeRecord) -> Document:
        """The badge class as an OB 3.0 `Achievement`: its `id` is the badge class URL."""
        criteria: Document = {"id": badge["criteriaUrl"]}
        narrative = criteria_narrative(badge.get("criteria", []))
        if narrative:
            criteria["narrative"] = narrative
        achievement: Document = {
            "id": self.class_url(badge),
            "type": ["Achievement"],
            "name": badge["name"],
            "description": badge["consumerDescription"],
            "criteria": criteria,
        }
        image = image_url(badge, self.base_url)
        if image:
            achievement["image"] = {"id": image, "type": "Image"}
        alignments = [_alignment_v3_json(a) for a in badge.get("alignments", [])]
        if alignments:
            achievement["alignment"] = alignments
        tags = [t["value"] for t in badge.get("tags", [])]
        if tags:
            achievement["tag"] = tags
        return achievement

    # --- Open Badges 2.0 (docs/api/openbadges.md): with `Accept` preferring JSON-LD ------------

    def badge_class_v2_json(self, badge: BadgeRecord) -> dict[str, Any]:
        """BadgeClass as Open Badges 2.0 publishes it: `id` is the badge's own class URL (where
        assertions point), `issuer` its container's profile URL (`profile_v2_json`)."""
        document: dict[str, Any] = {
            "@context": OB2_CONTEXT,
            "type": "BadgeClass",
            "id": self.class_url(badge),
            "name": badge["name"],
            "description": badge["consumerDescription"],
        }
        image = image_url(badge, self.base_url)
        if image:
            document["image"] = image
        document["criteria"] = _criteria_v2_json(badge)
        document["issuer"] = self.organisation_url(badge)
        document["alignment"] = [_alignment_v2_json(a) for a in badge.get("alignments", [])]
        document["tags"] = [t["value"] for t in badge.get("tags", [])]
        return document


def _criteria_v2_json(badge: BadgeRecord) -> str | dict[str, str]:
    """The criteria URL as an IRI; with the badge's criteria, a Criteria object whose narrative
    lists them (Markdown, as Open Badges 2.0 reads `narrative`)."""
    criteria = badge.get("criteria", [])
    if not criteria:
        return badge["criteriaUrl"]
    return {"id": badge["criteriaUrl"], "narrative": "\n".join(map(_criterion_line, criteria))}


def _alignment_v2_json(alignment: AlignmentRecord) -> dict[str, str]:
    document = {"targetName": alignment["name"], "targetUrl": alignment["url"]}
    if alignment.get("description"):
        document["targetDescription"] = alignment["description"]
    return document


# --- systems, issuers, programs (systems.md, issuers.md, programs.md) ---------------------------


def program_json(item: ContainerRecord, base_url: str) -> dict[str, Any]:
    """The shape the three levels share (a program's whole representation)."""
    return {
        "id": item["id"],
        "slug": item["slug"],
        "url": item["url"],
        "name": item["name"],
        "description": item.get("description"),
        "email": item.get("email"),
        "imageUrl": image_url(item, base_url),
    }


def issuer_json(item: IssuerRecord, programs: Sequence[ProgramRecord], base_url: str) -> Document:
    ordered = sorted(programs, key=lambda p: p["id"])
    return {
        **program_json(item, base_url),
        "programs": [program_json(p, base_url) for p in ordered],
    }


def system_json(item: SystemRecord, containers: Sequence[OwnedRecord], base_url: str) -> Document:
    """A System with every issuer (ascending id), each with its programs."""
    issuers = sorted((c for c in containers if c["entity"] == "issuer"), key=lambda i: i["id"])
    programs = programs_by_issuer(containers)
    return {
        **program_json(item, base_url),
        "issuers": [issuer_json(i, programs[i["id"]], base_url) for i in issuers],
    }


def programs_by_issuer(containers: Sequence[OwnedRecord]) -> dict[int, list[ProgramRecord]]:
    """A system's programs grouped by issuer id, for `issuer_json`."""
    grouped: dict[int, list[ProgramRecord]] = defaultdict(list)
    for item in containers:
        if item["entity"] == "program":
            grouped[item["issuerId"]].append(item)
    return grouped


def consumer_json(item: ConsumerRecord, *, with_secret: bool = False) -> Document:
    body: dict[str, Any] = {"apiKey": item["apiKey"]}
    if with_secret:
        body["apiSecret"] = item["apiSecret"]
    body["description"] = item.get("description")
    body["created"] = timestamps.to_iso(item.get("created"))
    return body


# --- inside a badge (badges.md) -----------------------------------------------------------------


def _nested_system_json(system: SystemRecord, base_url: str) -> dict[str, Any]:
    """Inside a badge the system keeps the original's shape: no `description`, `issuers: []`."""
    shown = program_json(system, base_url)
    del shown["description"]
    return {**shown, "issuers": []}


def _criterion_json(criterion: CriterionRecord) -> dict[str, Any]:
    return {
        "id": criterion["id"],
        "description": criterion.get("description", ""),
        "required": bool(criterion.get("required", False)),
        "note": criterion.get("note", ""),
    }


def _alignment_json(alignment: AlignmentRecord) -> dict[str, Any]:
    return {
        "id": alignment["id"],
        "name": alignment["name"],
        "url": alignment["url"],
        "description": alignment.get("description", ""),
    }


# --- claim codes (claim-codes.md) ---------------------------------------------------------------


def code_json(item: CodeRecord) -> dict[str, Any]:
    """The ClaimCode representation, keys in the spec's order."""
    return {
        "id": item["id"],
        "code": item["code"],
        "claimed": bool(item.get("claimed", False)),
        "email": item.get("email"),
        "multiuse": bool(item.get("multiuse", False)),
    }


# --- instances (issuing.md) ---------------------------------------------------------------------


def assertion_url(slug: str, base_url: str) -> str:
    return f"{base_url}{assertion_path(slug)}"


def assertion_path(slug: str) -> str:
    return f"/public/assertions/{quote(slug, safe='')}"


# --- assessment (assessment.md) -----------------------------------------------------------------


def evidence_json(evidence: EvidenceRecord) -> dict[str, Any]:
    return {
        "slug": evidence["slug"],
        "url": evidence.get("url"),
        "mediaType": evidence.get("mediaType"),
        "reflection": evidence.get("reflection"),
    }


def evidences_json(application: ApplicationRecord) -> list[dict[str, Any]]:
    """An application's evidence, in its order."""
    return [evidence_json(e) for e in application.get("evidence", [])]


def review_json(review: ReviewRecord) -> dict[str, Any]:
    return {
        "id": review["id"],
        "slug": review["slug"],
        "author": review["author"],
        "comment": review.get("comment"),
        "reviewItems": [
            {
                "criterionId": item["criterionId"],
                "satisfied": bool(item.get("satisfied", False)),
                "comment": item.get("comment"),
            }
            for item in review.get("reviewItems", [])
        ],
    }


# --- webhooks and their delivery log (webhooks.md §1, §4) ---------------------------------------


def webhook_json(item: WebhookRecord) -> Document:
    """The Webhook representation: never the secret."""
    return {"id": item["id"], "url": item["url"], "disabled": bool(item.get("disabled"))}


def delivery_json(item: DeliveryRecord) -> Document:
    next_at = item.get("nextAttemptAt")
    return {
        "id": item["id"],
        "eventId": item["eventId"],
        "action": item["action"],
        "status": item["status"],
        "attempts": item.get("attempts", 0),
        "lastStatusCode": item.get("lastStatusCode"),
        "lastError": item.get("lastError"),
        "nextAttemptAt": timestamps.to_iso(next_at),
        "created": timestamps.to_iso(item.get("created")),
        "updated": timestamps.to_iso(item.get("updated")),
    }


# --- Open Badges documents (issuing.md "Public documents") --------------------------------------

ORGANISATION_KEYS = ("name", "url", "description", "email")
OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def organisation_json(place: Place) -> dict[str, str]:
    """IssuerOrganization: each key from the most specific container that has a value for it
    (program, then issuer, then system); keys no container has are omitted."""
    document: dict[str, str] = {}
    for key in ORGANISATION_KEYS:
        for container in reversed(place.parents()):
            value = container.get(key)
            if value:
                document[key] = str(value)
                break
    return document


def profile_url(place: Place, base_url: str) -> str:
    """Absolute URL of a container's public profile (its issuer-organisation document; the
    `issuer` of its badge classes and OB 3.0 credentials)."""
    url = f"{base_url}/public/systems/{place.system['slug']}"
    if place.issuer is not None:
        url += f"/issuers/{place.issuer['slug']}"
        if place.program is not None:
            url += f"/programs/{place.program['slug']}"
    return url


def profile_v2_json(
    place: Place, base_url: str, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Open Badges 2.0 Issuer Profile of a container: `id` its profile URL, each of `name`,
    `url`, `description`, `email` and `image` (an IRI) from the most specific container that
    has one, as `organisation_json` does. `extra` keys (e.g. the profile's keys and revocation
    list of signed assertions) follow."""
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": profile_url(place, base_url),
        **organisation_json(place),
    }
    for container in reversed(place.parents()):
        image = image_url(container, base_url)
        if image:
            document["image"] = image
            break
    document.update(extra or {})
    return document


def recipient_hash(email: str, salt: str = "") -> str:
    """`sha256$` + lowercase hex SHA-256 of the email (+ salt), as Open Badges hashes it."""
    return "sha256$" + hashlib.sha256((email + salt).encode()).hexdigest()


def revoked_assertion_json(url: str, linked_data: bool) -> dict[str, Any]:
    """The body of a revoked instance's `410`, in either format."""
    if linked_data:
        return {"@context": OB2_CONTEXT, "id": url, "type": "Assertion", "revoked": True}
    return {"revoked": True}


def assertion_json(item: AssertionRecord, url: str, badge_url: str) -> dict[str, Any]:
    """Open Badges 1.0 hosted Assertion (unsalted email hash), exactly the spec's document."""
    # Stored values render whatever they are (README §6 "Range"): clamped, or null if garbage.
    issued_on = timestamps.to_seconds(item.get("issuedOn"))
    expires = timestamps.to_seconds(item.get("expires"))
    document: dict[str, Any] = {
        "uid": item["slug"],
        "recipient": {
            "identity": recipient_hash(item["email"]),
            "type": "email",
            "hashed": True,
        },
        "badge": badge_url,
        "verify": {"url": url, "type": "hosted"},
        "issuedOn": issued_on,
    }
    if expires is not None:
        document["expires"] = expires
    return document


def assertion_v2_json(item: AssertionRecord, url: str, badge_url: str) -> dict[str, Any]:
    """Open Badges 2.0 Assertion (hosted verification, salted email hash)."""
    issued_on = timestamps.to_seconds(item.get("issuedOn"))
    expires = timestamps.to_seconds(item.get("expires"))
    salt = item["salt"]
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": recipient_hash(item["email"], salt),
        },
        "badge": badge_url,
        "verification": {"type": "hosted"},
        "issuedOn": timestamps.to_iso(issued_on),
    }
    if expires is not None:
        document["expires"] = timestamps.to_iso(expires)
    return document


# --- Open Badges 3.0 credentials (docs/open-badges.md "OB 3.0 credentials") ---------------------

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_STATUS_TYPE = "1EdTechRevocationList"


def credential_url(slug: str, base_url: str) -> str:
    """The award's OB 3.0 credential: its `id`, and where it is served."""
    return f"{base_url}/public/credentials/{quote(slug, safe='')}"


def credential_status_url(system_slug: str, base_url: str) -> str:
    """The system's `1EdTechRevocationList` status document (revoked credential ids)."""
    return f"{base_url}/public/systems/{quote(system_slug, safe='')}/credentials/status"


def criteria_narrative(criteria: Sequence[CriterionRecord]) -> str | None:
    """The badge's criteria as a Markdown list (`criteria.narrative`), or None without any."""
    return "\n".join(_criterion_line(c) for c in criteria if c.get("description")) or None


def _criterion_line(criterion: CriterionRecord) -> str:
    """A criterion as a Markdown list item, `(optional)` after one that is not required."""
    return f"- {criterion.get('description', '')}" + (
        "" if criterion.get("required") else " (optional)"
    )


def _alignment_v3_json(alignment: AlignmentRecord) -> Document:
    return {"type": ["Alignment"], **_alignment_v2_json(alignment)}


def revoked_credential_json(url: str) -> Document:
    """The body of a revoked award's credential `410` (as the OB 2.0 tombstone)."""
    return {
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "revoked": True,
    }
