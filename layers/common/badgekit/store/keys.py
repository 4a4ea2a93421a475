"""Every DynamoDB key of the single table is built here, and only here.

Layout (docs/data-model.md has the full plan, including later entities):

    system           PK SYSTEM#<slug>         SK SYSTEM            (global slug = uniqueness guard)
    issuer           PK SYS#<systemId>        SK CONTAINER#ISSUER#<slug>
    program          PK SYS#<systemId>        SK CONTAINER#PROGRAM#<issuerId>#<slug>
    consumer         PK CONSUMER#<apiKey>     SK CONSUMER          (exact, case-sensitive key)
    image            PK IMAGE#<slug>          SK IMAGE             (bytes in S3: images/<slug>)
    badge            PK BADGE#<slug>          SK BADGE             (children are attributes)
    list header      PK <scope>               SK LIST#<name>#      (attribute `total`)
    list entry       PK <scope>               SK LIST#<name>#<id:012d> (refPK/refSK of the item)
    id counters      PK COUNTER               SK IDS               (one attribute per entity)
    badge children   PK BADGEID#<badgeId>     SK CODE#<code> | INSTANCE#<email> | APP#<slug> | ...
    assertion        PK ASSERTION#<slug>      SK ASSERTION         (global instance slug; tombstone)
    milestone        PK SYS#<systemId>        SK MILESTONE#<id:012d>
    milestone list   PK SYS#<systemId>        SK MILESTONE#        (header: attribute `total`)
    support entry    PK SUPPORT#<badgeId>     SK MILESTONE#<id:012d> (reverse index: M4)
    outbox event     PK EVENT#<eventId>       SK EVENT             (stream -> webhook sender)
    used token id    PK JTI#<sha256(key, jti)> SK JTI              (strict policy; TTL = exp)
    signing key      PK SIGNINGKEY            SK KEY#<kid>         (public half only, by kid)
    revocation       PK SYS#<systemId>        SK REVOCATION#<slug> (the system's revoked awards)

Slugs are case-insensitive (spec README §8): keys hold a normalised copy, items keep the
spelling first given. Items live at slug keys so that one GetItem resolves a path segment;
stored relationships use immutable ids, so renaming is a move of one item.
"""

from __future__ import annotations

import hashlib
import json
import secrets

Key = dict[str, str]

# DynamoDB sort keys are limited to 1024 bytes; a 255-character slug can be 1020 bytes of UTF-8.
_MAX_SLUG_KEY_BYTES = 400


def slug_key(slug: str) -> str:
    """Case-insensitive, bounded-size key form of a slug, code or email."""
    folded = slug.lower()
    if len(folded.encode()) <= _MAX_SLUG_KEY_BYTES:
        return folded
    return "sha256:" + hashlib.sha256(folded.encode()).hexdigest()


SLUG_HEX = 32  # a generated slug's length: badges, applications, reviews, images (README §9)
INSTANCE_SLUG_HEX = 40  # a badge instance's generated slug is longer (README §9)


def new_slug(length: int = SLUG_HEX) -> str:
    """A generated slug: `length` (even) unpredictable lowercase hex characters (README §9)."""
    return secrets.token_hex(length // 2)


def padded(number: int) -> str:
    """Fixed-width ids sort in creation order inside list partitions."""
    return f"{number:012d}"


def system(slug: str) -> Key:
    return {"PK": f"SYSTEM#{slug_key(slug)}", "SK": "SYSTEM"}


def system_partition(system_id: int) -> str:
    return f"SYS#{system_id}"


CONTAINER_PREFIX = "CONTAINER#"
ISSUER_PREFIX = "CONTAINER#ISSUER#"


def issuer(system_id: int, slug: str) -> Key:
    return {"PK": system_partition(system_id), "SK": f"{ISSUER_PREFIX}{slug_key(slug)}"}


def programs_prefix(issuer_id: int) -> str:
    return f"CONTAINER#PROGRAM#{issuer_id}#"


def program(system_id: int, issuer_id: int, slug: str) -> Key:
    return {
        "PK": system_partition(system_id),
        "SK": f"{programs_prefix(issuer_id)}{slug_key(slug)}",
    }


CONTAINER_INDEX = "CONTAINERS"  # GSI3PK of every issuer and program (docs/data-model.md)


def container_index(system_id: int, issuer_id: int, program_id: int | None = None) -> Key:
    """GSI3 attributes of an issuer or a program: one partition holds every container in
    (system, issuer, program) id order (`scope_prefix`), so the containers of consecutive
    systems, or of consecutive issuers of one system, are one range (a page's embeds)."""
    return {"GSI3PK": CONTAINER_INDEX, "GSI3SK": scope_prefix(system_id, issuer_id, program_id)}


def containers_of_systems(first_id: int, last_id: int) -> tuple[str, str]:
    """GSI3SK bounds (BETWEEN) of the issuers and programs of systems `first_id..last_id`."""
    return scope_prefix(first_id), scope_prefix(last_id) + "~"


def containers_of_issuers(system_id: int, first_id: int, last_id: int) -> tuple[str, str]:
    """GSI3SK bounds (BETWEEN) of issuers `first_id..last_id` of a system and their programs."""
    return scope_prefix(system_id, first_id), scope_prefix(system_id, last_id) + "~"


def badge(slug: str) -> Key:
    """Badge slugs are unique across the deployment (spec README §9)."""
    return {"PK": f"BADGE#{slug_key(slug)}", "SK": "BADGE"}


def image(slug: str) -> Key:
    """Image slugs are generated (32 hex) and unique across the deployment (spec README §9)."""
    return {"PK": f"IMAGE#{slug_key(slug)}", "SK": "IMAGE"}


def consumer(api_key: str) -> Key:
    return {"PK": f"CONSUMER#{api_key}", "SK": "CONSUMER"}


def by_id(entity: str, entity_id: int) -> dict[str, str]:
    """GSI1 attributes: any entity by its immutable id."""
    return {"GSI1PK": f"ID#{entity.upper()}#{entity_id}", "GSI1SK": entity.upper()}


def id_counters() -> Key:
    """One item holds every entity type's id counter (one attribute each)."""
    return {"PK": "COUNTER", "SK": "IDS"}


class ListScope:
    """An ordered, paginated collection: a header item with `total` plus one entry per member.

    Entries are tiny (the member's key), so skipping to page N reads N*count small items and
    the page itself is one BatchGetItem; `total` is maintained in the same transaction as the
    member, so it is exact.
    """

    def __init__(self, partition: str, name: str) -> None:
        self.partition = partition
        self.prefix = f"LIST#{name}#"

    def header(self) -> Key:
        return {"PK": self.partition, "SK": self.prefix}

    def entry(self, member_id: int) -> Key:
        return {"PK": self.partition, "SK": f"{self.prefix}{padded(member_id)}"}


def systems_list() -> ListScope:
    return ListScope("SYSTEMS", "SYSTEMS")


def issuers_list(system_id: int) -> ListScope:
    return ListScope(system_partition(system_id), "ISSUERS")


def programs_list(system_id: int, issuer_id: int) -> ListScope:
    return ListScope(system_partition(system_id), f"PROGRAMS#{issuer_id}")


def consumers_list(system_id: int) -> ListScope:
    return ListScope(system_partition(system_id), "CONSUMERS")


def _state(archived: bool) -> str:
    return "ARCHIVED" if archived else "ACTIVE"


def badges_list(system_id: int, level: str, level_id: int, archived: bool) -> ListScope:
    """Badges of a system, issuer or program (and its descendants), active or archived."""
    return ListScope(
        system_partition(system_id), f"BADGES#{level.upper()}#{level_id}#{_state(archived)}"
    )


def all_badges_list(archived: bool) -> ListScope:
    """Every badge of the deployment (`GET /public/badges`)."""
    return ListScope("BADGES", _state(archived))


# --- badge children (claim codes, instances, applications, reviews) -------------------------
# Everything a badge owns lives in one partition keyed by the badge's immutable id, so a badge
# rename never touches them and a badge delete purges one partition. (Not `BADGE#<id>`: that
# would collide with the item of a badge whose slug is a number.)


def badge_partition(badge_id: int) -> str:
    return f"BADGEID#{badge_id}"


def scope_sort_key(
    system_id: int, issuer_id: int | None, program_id: int | None, member_id: int
) -> str:
    """GSI2SK of an item reverse-indexed by container: begins_with(`scope_prefix`) selects a
    system, an issuer (with its programs) or a program."""
    return (
        f"S#{padded(system_id)}#I#{padded(issuer_id or 0)}#P#{padded(program_id or 0)}"
        f"#{padded(member_id)}"
    )


def scope_prefix(
    system_id: int, issuer_id: int | None = None, program_id: int | None = None
) -> str:
    prefix = f"S#{padded(system_id)}#"
    if issuer_id is not None:
        prefix += f"I#{padded(issuer_id)}#"
        if program_id is not None:
            prefix += f"P#{padded(program_id)}#"
    return prefix


def claim_code(badge_id: int, code: str) -> Key:
    """Codes are unique per badge, case-insensitively (claim-codes.md)."""
    return {"PK": badge_partition(badge_id), "SK": f"CODE#{slug_key(code)}"}


def codes_list(badge_id: int) -> ListScope:
    return ListScope(badge_partition(badge_id), "CODES")


def container_codes_list(system_id: int, level: str, level_id: int) -> ListScope:
    """The codes of every badge of a system, issuer or program (and its descendants), in code
    id order (`GET {L}/codes`); a code is in its badge's system's, issuer's and program's."""
    return ListScope(system_partition(system_id), f"CODES#{level.upper()}#{level_id}")


def code_lookup(code: str) -> str:
    """GSI2PK of a claim code: the same code on every badge (C4), with `scope_sort_key`."""
    return f"CODE#{slug_key(code)}"


def instance(badge_id: int, email: str) -> Key:
    """One instance per (badge, email), case-insensitively: the key is the guard (C6)."""
    return {"PK": badge_partition(badge_id), "SK": f"INSTANCE#{slug_key(email)}"}


def instances_list(badge_id: int) -> ListScope:
    return ListScope(badge_partition(badge_id), "INSTANCES")


def assertion(slug: str) -> Key:
    """Instance slugs are unique across the deployment (C5); a revoked one stays as a tombstone."""
    return {"PK": f"ASSERTION#{slug_key(slug)}", "SK": "ASSERTION"}


def revoked_assertion(badge_id: int, slug: str) -> Key:
    """A revoked instance's tombstone reference in its badge's partition (the badge-delete
    cascade finds the tombstone through it)."""
    return {"PK": badge_partition(badge_id), "SK": f"REVOKED#{slug_key(slug)}"}


REVOCATION_PREFIX = "REVOCATION#"


def revocation(system_id: int, slug: str) -> Key:
    """A revoked award in its system's revocation lists (Open Badges 2.0 RevocationList and
    3.0 status list): one Query of the system partition reads them all; a system delete's
    purge removes them with the partition."""
    return {"PK": system_partition(system_id), "SK": f"{REVOCATION_PREFIX}{slug_key(slug)}"}


SIGNING_KEYS_PARTITION = "SIGNINGKEY"
SIGNING_KEY_PREFIX = "KEY#"


def signing_key(kid: str) -> Key:
    """The public half of a signing key, recorded by `kid` when first used (kept after a
    rotation so that what the key signed stays verifiable)."""
    return {"PK": SIGNING_KEYS_PARTITION, "SK": f"{SIGNING_KEY_PREFIX}{kid}"}


def earner_lookup(email: str) -> str:
    """GSI2PK of an instance: every badge an email holds (C8 with `scope_sort_key`, C9)."""
    return f"EARNER#{slug_key(email)}"


def application(badge_id: int, slug: str) -> Key:
    return {"PK": badge_partition(badge_id), "SK": f"APP#{slug_key(slug)}"}


def review(badge_id: int, application_id: int, slug: str) -> Key:
    return {"PK": badge_partition(badge_id), "SK": f"REVIEW#{application_id}#{slug_key(slug)}"}


def reviews_list(badge_id: int, application_id: int) -> ListScope:
    return ListScope(badge_partition(badge_id), f"REVIEWS#{application_id}")


def learner_lookup(email: str) -> str:
    """GSI2PK of an application: one learner's applications (the `email` filter of D1)."""
    return f"LEARNER#{slug_key(email)}"


def _app_state(processed: bool) -> str:
    return "PROCESSED" if processed else "PENDING"


def applications_list(badge_id: int, processed: bool) -> ListScope:
    """A badge's applications in one state (pending / processed); entries are keyed by
    `application_entry`, so they sort by (created, id) as D1 orders them."""
    return ListScope(badge_partition(badge_id), f"APPS#{_app_state(processed)}")


def application_entry(badge_id: int, processed: bool, created: int, application_id: int) -> Key:
    scope = applications_list(badge_id, processed)
    return {
        "PK": scope.partition,
        "SK": f"{scope.prefix}{padded(created)}#{padded(application_id)}",
    }


def container_applications_list(
    system_id: int, level: str, level_id: int, processed: bool
) -> ListScope:
    """The applications of every badge of a system, issuer or program (and its descendants) in
    one state; entries are keyed by `container_application_entry`, so they sort by (badge id,
    created, id) as D1 orders them. An application is in its badge's containers' lists."""
    name = f"APPS#{level.upper()}#{level_id}#{_app_state(processed)}"
    return ListScope(system_partition(system_id), name)


def container_application_entry(
    scope: ListScope, badge_id: int, created: int, application_id: int
) -> Key:
    suffix = f"{padded(badge_id)}#{padded(created)}#{padded(application_id)}"
    return {"PK": scope.partition, "SK": f"{scope.prefix}{suffix}"}


def learner_sort_key(
    system_id: int,
    issuer_id: int | None,
    program_id: int | None,
    badge_id: int,
    created: int,
    application_id: int,
    processed: bool,
) -> str:
    """GSI2SK of an application: `scope_sort_key` (container, badge), then created, id, state,
    so a KEYS_ONLY query answers the `email` filter with order, state and total (D1)."""
    head = scope_sort_key(system_id, issuer_id, program_id, badge_id)
    return f"{head}#{padded(created)}#{padded(application_id)}#{_app_state(processed)}"


def reviews_prefix(application_id: int) -> str:
    """SK prefix of an application's reviews in the badge partition (`review` keys)."""
    return f"REVIEW#{application_id}#"


# --- milestones -------------------------------------------------------------------------------


def milestone(system_id: int, milestone_id: int) -> Key:
    return {"PK": system_partition(system_id), "SK": f"{MILESTONE_PREFIX}{padded(milestone_id)}"}


MILESTONE_PREFIX = "MILESTONE#"


def milestones_header(system_id: int) -> Key:
    """The header of a system's milestone list (its exact `total`): its sort key is the
    milestones' prefix itself, so it sorts first and one Query of the prefix reads the header
    and the milestones up to the end of a page (M1)."""
    return {"PK": system_partition(system_id), "SK": MILESTONE_PREFIX}


def milestone_support(badge_id: int, milestone_id: int) -> Key:
    """Reverse index entry: milestone `milestone_id` lists badge `badge_id` as support (M4)."""
    return {"PK": f"SUPPORT#{badge_id}", "SK": f"{MILESTONE_PREFIX}{padded(milestone_id)}"}


def primary_lookup(badge_id: int) -> str:
    """GSI2PK of a milestone: the milestones whose primary badge is `badge_id` (M3)."""
    return f"PRIMARY#{badge_id}"


def support_partition(badge_id: int) -> str:
    """The partition of `milestone_support` entries: every milestone listing `badge_id` (M4)."""
    return f"SUPPORT#{badge_id}"


# --- outbox events (webhooks.md §4) -----------------------------------------------------------


def event(event_id: str) -> Key:
    return {"PK": f"EVENT#{event_id}", "SK": "EVENT"}


# --- webhooks (configuration, deliveries) -----------------------------------------------------

WEBHOOK_PREFIX = "WEBHOOK#"


def webhook(system_id: int, webhook_id: int) -> Key:
    """A webhook lives in its system's partition (W2): listed by prefix in id order, read by
    (system, id) with one GetItem, purged with the system."""
    return {"PK": system_partition(system_id), "SK": f"{WEBHOOK_PREFIX}{padded(webhook_id)}"}


def webhook_url(system_id: int, url: str) -> Key:
    """Uniqueness guard of `(system, url)`: URLs are compared exactly, keyed by their hash."""
    digest = hashlib.sha256(url.encode()).hexdigest()
    return {"PK": system_partition(system_id), "SK": f"WEBHOOKURL#{digest}"}


def webhook_partition(webhook_id: int) -> str:
    """Everything one webhook's deliveries need: the delivery records and their guards."""
    return f"HOOK#{webhook_id}"


DELIVERY_PREFIX = "DELIVERY#"


def delivery(webhook_id: int, delivery_id: int) -> Key:
    """A delivery record; ids increase, so a reverse Query lists them newest first."""
    return {"PK": webhook_partition(webhook_id), "SK": f"{DELIVERY_PREFIX}{padded(delivery_id)}"}


def delivery_guard(webhook_id: int, event_id: str) -> Key:
    """One per (event, webhook): written with the delivery record, only if absent, so a repeated
    stream record never makes a second delivery. Holds the delivery's id."""
    return {"PK": webhook_partition(webhook_id), "SK": f"EVENTGUARD#{event_id}"}


# --- used token ids (auth.md §3.1, step 18) ---------------------------------------------------


def used_jti(api_key: str, jti: str) -> Key:
    """A `jti` one key has used. Both parts are client input (an API key up to 255 characters,
    a jti up to 128), so the key is their hash: bounded in size, unambiguous (the pair is
    JSON-encoded before hashing), and spread over partitions instead of one hot `master` one."""
    digest = hashlib.sha256(json.dumps([api_key, jti]).encode()).hexdigest()
    return {"PK": f"JTI#{digest}", "SK": "JTI"}


# --- container purges (domain/cascade.py) -----------------------------------------------------


def container_token(entity: str, entity_id: int) -> str:
    """How a list header's (or a system's) `purging` set names a container being purged, and
    how a list entry's `owners` name its member's containers."""
    return f"{entity}#{entity_id}"


def owner_tokens(system_id: int, issuer_id: int | None, program_id: int | None) -> list[str]:
    """The `owners` of a list entry whose member (a badge, or a badge's code or application)
    is at (system, issuer, program)."""
    tokens = [container_token("system", system_id)]
    if issuer_id is not None:
        tokens.append(container_token("issuer", issuer_id))
    if program_id is not None:
        tokens.append(container_token("program", program_id))
    return tokens


def purge_job(entity: str, entity_id: int) -> Key:
    """The purge job of a deleted container (by its immutable id): its INSERT and every
    MODIFY of its cursor reach the purger through the table's stream."""
    return {"PK": f"PURGE#{entity}#{entity_id}", "SK": "PURGE"}


def own_list_prefixes(level: str, level_id: int) -> list[str]:
    """SK prefixes (in its system's partition) of a container's own badge, code and
    application lists (`badges_list`, `container_codes_list`, `container_applications_list`)."""
    name = f"{level.upper()}#{level_id}#"
    return [f"LIST#BADGES#{name}", f"LIST#CODES#{name}", f"LIST#APPS#{name}"]


def purged_scope(sort_key: str, purging: set[str] | frozenset[str]) -> bool:
    """Whether a GSI2 sort key (`scope_sort_key` first) names an issuer or a program in
    `purging` (a system's containers being purged)."""
    if not purging:
        return False
    parts = sort_key.split("#")  # S, system, I, issuer, P, program, ...
    issuer_id, program_id = int(parts[3]), int(parts[5])
    return (issuer_id > 0 and container_token("issuer", issuer_id) in purging) or (
        program_id > 0 and container_token("program", program_id) in purging
    )
