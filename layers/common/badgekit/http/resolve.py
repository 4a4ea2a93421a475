"""Resolving what a URL names (spec README §1): its container, and the badge of badge routes.

Each slug resolves inside the previous one: system, then issuer, then program; the first that
does not resolve is the 404. The system is loaded at most once per request (auth may have
needed it first, for a consumer key's system check).

A GET request first reads its whole path in one round trip (`prefetch`): the consumer of the
token's key (when auth needs it), the system by slug, the issuer, program, badge child (code,
instance, application, review) and the badge's own issuer and program at the keys the directory
guesses from their slugs (`store/directory.py`), plus the Query the route makes next (a system's
containers, a code or an email in the container, milestones), all at once. The resolution below
then reads as before, and finds each item it asks for already read when the guess was right
(`store/prefetch.py`: an item is only ever found under the key built from the ids really read,
so a wrong guess costs the ordinary reads, never a wrong answer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote

from badgekit.domain import badges, containers
from badgekit.domain.places import Place
from badgekit.domain.validation import MILESTONE_ID_DIGITS, WEBHOOK_ID_DIGITS, path_id
from badgekit.errors import InvalidParameter, ResourceNotFound
from badgekit.http.context import ApiRequest, param
from badgekit.http.pagination import parse_page
from badgekit.store import badges as badge_store
from badgekit.store import codes as code_store
from badgekit.store import containers as container_store
from badgekit.store import db, directory, keys, prefetch
from badgekit.store import instances as instance_store
from badgekit.store import milestones as milestone_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import SystemRecord

Key = keys.Key
_PREFETCHED = ("prefetched",)


@dataclass
class Plan:
    """What a GET request reads ahead: item keys (one BatchGetItem) and Queries."""

    keys: list[keys.Key] = field(default_factory=list)
    queries: dict[prefetch.QueryName, prefetch.Runner] = field(default_factory=dict)
    # Keys that only the Queries' results name (a badge list's page): read after them, with
    # `keys` when nothing needs those first (no consumer key to check).
    then: Callable[[], list[Key]] | None = None

    def query(self, planned: prefetch.Planned) -> None:
        name, run = planned
        self.queries[name] = run


def prefetch_path(request: ApiRequest, consumer_key: str | None = None) -> None:
    """Read ahead, in one round trip, what this GET request's path names (and the consumer of
    `consumer_key`); once per request, nothing for other methods. Nothing read here is used
    before authentication has passed: the consumer is auth's own lookup, the system the one of
    its system check, and the rest is read through the resolution after it."""
    if _PREFETCHED in request.memo or not prefetch.active():
        return
    request.memo[_PREFETCHED] = True
    plan = plan_of(request.path, request.query)
    if consumer_key is not None:
        plan.keys.insert(0, keys.consumer(consumer_key))
    if plan.then is not None and consumer_key is None:
        # The Queries first, then the path's items with the page's: 2 round trips as before,
        # one call less (the system comes in the page's BatchGetItem).
        prefetch.read([], plan.queries)
        prefetch.read([*plan.keys, *plan.then()])
        return
    if plan.keys or plan.queries:
        prefetch.read(plan.keys, plan.queries)


def plan_of(path: str, query: Mapping[str, list[str]] | None = None) -> Plan:
    """The reads a path's GET (with its `query` parameters) makes, as far as the directory can
    guess their keys."""
    parts = [unquote(part) for part in path.strip("/").split("/")]
    plan = Plan()
    public = parts[:1] == ["public"]
    if public:
        parts = parts[1:]
        # An assertion, its baked image (`/image`) or its credential: the same reads.
        if (len(parts) == 2 and parts[0] in ("assertions", "credentials") and parts[1]) or (
            len(parts) == 3 and parts[0] == "assertions" and parts[1] and parts[2] == "image"
        ):
            _plan_assertion(plan, parts[1])
            return plan
        if parts == ["badges"]:
            _plan_list(plan, query, lambda state: keys.all_badges_list(state))
            return plan
    if len(parts) < 2 or parts[0] != "systems" or not parts[1]:
        return plan
    plan.keys.append(keys.system(parts[1]))
    system_id = directory.system_id(parts[1])
    rest = parts[2:]
    issuer_id = program_id = None
    level = "system"
    if len(rest) >= 2 and rest[0] == "issuers":
        level, issuer_slug, rest = "issuer", rest[1], rest[2:]
        if system_id is not None:
            plan.keys.append(keys.issuer(system_id, issuer_slug))
            issuer_id = directory.issuer_id(system_id, issuer_slug)
        if len(rest) >= 2 and rest[0] == "programs":
            level, program_slug, rest = "program", rest[1], rest[2:]
            if system_id is not None and issuer_id is not None:
                plan.keys.append(keys.program(system_id, issuer_id, program_slug))
                program_id = directory.program_id(issuer_id, program_slug)
    if len(rest) >= 2 and rest[0] == "badges":  # its keys need no container id
        _plan_badge(plan, rest[1], rest[2:], public)
        return plan
    if system_id is None:
        return plan
    ids = {"system": system_id, "issuer": issuer_id, "program": program_id}
    if not rest:
        if not public:
            _plan_container(plan, level, system_id, issuer_id)
        return plan
    level_id = ids[level]
    if level_id is None:
        return plan  # the container's id is needed for the rest
    if rest == ["badges"] and not public:
        _plan_list(plan, query, lambda state: keys.badges_list(system_id, level, level_id, state))
        return plan
    scope = keys.scope_prefix(system_id, issuer_id, program_id)
    if len(rest) == 2 and rest[0] == "codes":
        plan.query(code_store.matches_query(rest[1], scope))
    elif len(rest) == 2 and rest[0] == "instances":
        plan.query(instance_store.earner_query(rest[1], scope))
    elif rest == ["milestones"]:  # (milestones are routes of systems only)
        page, count = ((query or {}).get(name) for name in ("page", "count"))
        parsed = parse_page(page[0] if page else None, count[0] if count else None)
        plan.query(milestone_store.page_query(system_id, parsed))
    elif len(rest) == 2 and rest[0] == "milestones":
        milestone_id = path_id(rest[1], MILESTONE_ID_DIGITS)
        if milestone_id is not None:
            plan.keys.append(keys.milestone(system_id, milestone_id))
    elif len(rest) == 3 and rest[0] == "webhooks":
        webhook_id = path_id(rest[1], WEBHOOK_ID_DIGITS)  # (a webhook's deliveries)
        if webhook_id is not None:
            plan.keys.append(keys.webhook(system_id, webhook_id))
    return plan


def _plan_list(
    plan: Plan, query: Mapping[str, list[str]] | None, scope: Callable[[bool], keys.ListScope]
) -> None:
    """A badge list's Queries (as `store.badges.page_of` makes them), for the `archived`,
    `page` and `count` parameters; none for an invalid `archived` (the route's 400)."""
    query = query or {}
    try:
        states = badges.archived_filter(query.get("archived"))
    except InvalidParameter:
        return
    page, count = (query.get(name) for name in ("page", "count"))
    parsed = parse_page(page[0] if page else None, count[0] if count else None)
    scopes = [scope(state) for state in states]
    for planned in badge_store.list_queries(scopes, parsed):
        plan.query(planned)
    plan.then = lambda: badge_store.page_keys_ahead(scopes, parsed)


def _plan_container(plan: Plan, level: str, system_id: int, issuer_id: int | None) -> None:
    """GET of a system embeds its issuers and programs, of an issuer its programs."""
    if level == "system":
        plan.query(container_store.owned_query(system_id))
    elif level == "issuer" and issuer_id is not None:
        plan.query(container_store.programs_query(system_id, issuer_id))


def _plan_badge(plan: Plan, slug: str, rest: list[str], public: bool) -> None:
    """A badge by slug, its issuer and program, and the child the rest of the path names."""
    plan.keys.append(keys.badge(slug))
    badge_id = directory.badge_id(slug)
    if badge_id is None:
        return
    plan.keys.extend(directory.badge_keys(badge_id)[1:])  # its issuer and program
    if not rest and not public and directory.may_be_primary(badge_id):
        plan.query(milestone_store.primary_query(badge_id))  # the badge's milestones (M3)
    if len(rest) < 2:
        return
    kind, child = rest[0], rest[1]
    if kind == "codes":
        plan.keys.append(keys.claim_code(badge_id, child))
    elif kind == "instances":
        plan.keys.append(keys.instance(badge_id, child))
    elif kind == "applications":
        plan.keys.append(keys.application(badge_id, child))
        application_id = directory.application_id(badge_id, child)
        if application_id is not None and len(rest) >= 4 and rest[2] == "reviews":
            plan.keys.append(keys.review(badge_id, application_id, rest[3]))


def _plan_assertion(plan: Plan, slug: str) -> None:
    """A hosted assertion, and its badge (with its issuer and program) and system."""
    plan.keys.append(keys.assertion(slug))
    seen = directory.assertion(slug)
    if seen is None:
        return
    badge_id, system_id = seen
    plan.keys.extend(badge_store.keys_by_id([badge_id]))
    system_key = directory.key_of("system", system_id)
    if system_key is not None:
        plan.keys.append(system_key)


# --- resolution ----------------------------------------------------------------------------------


def _memo_key(slug: str) -> tuple[str, str]:
    return ("system", keys.slug_key(slug))


def find_system(request: ApiRequest, slug: str) -> SystemRecord | None:
    memo_key = _memo_key(slug)
    if memo_key not in request.memo:
        prefetch_path(request)
        request.memo[memo_key] = containers.find_system(slug)
    found: SystemRecord | None = request.memo[memo_key]
    return found


def system_id_of(request: ApiRequest, slug: str) -> int | None:
    """For the auth check of consumer keys (auth.md §4 step 16)."""
    system = find_system(request, slug)
    return system["id"] if system else None


def resolve(
    request: ApiRequest,
    systemSlug: str,
    issuerSlug: str | None = None,
    programSlug: str | None = None,
) -> Place:
    """The Place named by (percent-encoded) path parameters, or the first level's 404."""
    slug = param(systemSlug)
    system = find_system(request, slug)
    if system is None:
        raise ResourceNotFound.for_field("system", "slug", slug)
    if issuerSlug is None:
        return Place(system)
    issuer = containers.get_issuer(system, param(issuerSlug))
    if programSlug is None:
        return Place(system, issuer)
    return Place(system, issuer, containers.get_program(system, issuer, param(programSlug)))


CONTAINER_PARAMS = ("systemSlug", "issuerSlug", "programSlug")


def badge(request: ApiRequest, params: Mapping[str, str]) -> tuple[Place, BadgeRecord]:
    """The URL's container and its badge (`badgeSlug`); the system (unless this request has
    already read it) and the badge come in one BatchGetItem. Other path parameters (a code,
    an email, ...) are the caller's."""
    prefetch_path(request)
    slug = param(params["badgeSlug"])
    prefix = {name: value for name, value in params.items() if name in CONTAINER_PARAMS}
    system_slug = param(prefix["systemSlug"])
    memo_key = _memo_key(system_slug)
    known = memo_key in request.memo
    system, found = badges.with_system(slug, None if known else system_slug)
    if not known:
        request.memo[memo_key] = system
    place = resolve(request, **prefix)
    return place, badges.under(place, found, slug)


def with_new_id[T](resolving: Callable[[], T], entity: str) -> tuple[T, int]:
    """`resolving` (the reads that find what a create writes under) and the reservation of the
    new item's id (`db.next_id(entity)`), concurrently (`db.fan_out`): one round trip instead
    of two. For a create whose body already passed validation; an id reserved for a create
    that then fails (a 404 of its path, a conflict) is a gap, as after a failed transaction:
    ids are unique and increasing, never consecutive (data-model.md conventions). `resolving`
    runs on a pool thread: it takes the request explicitly (no `current()`)."""
    jobs: list[Callable[[], Any]] = [resolving, lambda: db.next_id(entity)]
    (found, lost), (new_id, unreserved) = db.fan_out(_settled, jobs)
    # Raised once both calls are done (none outlives the request), the path's error first.
    if lost:
        raise found
    if unreserved:
        raise new_id
    return cast(T, found), int(new_id)


def _settled(job: Callable[[], Any]) -> tuple[Any, bool]:
    """(result, False), or (the exception it raised, True)."""
    try:
        return job(), False
    except Exception as error:  # re-raised by the caller, on the request's thread
        return error, True
