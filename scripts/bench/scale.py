"""The sections at scale: lists of 1,000 systems and issuers, 200 badges, a badge's codes,
instances and applications and a system's milestones, each collection seeded in bulk through
the domain functions; then a bulk award at its limit of 1,000 emails.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any
from unittest import mock

from badgekit.domain import assessment, badges, codes, containers, instances, milestones
from badgekit.domain.inputs import Body
from badgekit.domain.places import Place
from badgekit.store.badges import BadgeRecord
from local.inprocess import Api
from scripts.bench.harness import (
    Result,
    Scenario,
    bulk_writes,
    expect,
    fixed,
    fresh_table,
    master_client,
    measure_all,
    one_rollback_copy,
    phase,
    with_note,
)
from scripts.bench.scenarios import (
    BADGE_SHOWN,
    HOLDER,
    PAGE_SIZE,
    PROCESSED,
    PUBLIC_PAGE_BOUND,
    SYSTEM,
    SYSTEM_PATH,
    badge_body,
    call,
    email_of,
    escaped,
    list_bound,
    named,
)

SCALE = 1_000
PAGES = (1, 10, SCALE // PAGE_SIZE)
WHOLE_ITERATIONS = 1  # unpaginated lists of 1,000: seconds per request under moto

BADGE_SCALE = 200
BADGE_ISSUERS, PROGRAMS_PER_ISSUER = 5, 2
ARCHIVED_EVERY = 10  # every 10th badge of the scale fixture is archived
BADGE_PAGES = (1, 9, 10)  # 9: the last full page of the active badges, 10: past their end


# --- lists at scale -------------------------------------------------------------------------------


def body_of(slug: str) -> Body:
    return Body(named(slug))


def seed_issuers(programs_every: int) -> None:
    """System `scale` with SCALE issuers, every `programs_every`-th with one program.

    Seeded through the domain functions, the items the API would write, without the JWT and
    event overhead per item (see `bulk_writes` for moto's transactions).
    """
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        issuers = containers.issuer_level(system)
        for n in range(1, SCALE + 1):
            issuer = containers.create(issuers, body_of(f"issuer-{n}"))
            if n % programs_every == 0:
                containers.create(containers.program_level(system, issuer), body_of("program"))


SYSTEMS_WITH_ISSUERS = 10  # every 10th system of the systems fixture has an issuer and a program


def seed_systems() -> None:
    with bulk_writes():
        for n in range(1, SCALE + 1):
            system = containers.create(containers.system_level(), body_of(f"system-{n}"))
            if n % SYSTEMS_WITH_ISSUERS == 0:
                issuer = containers.create(containers.issuer_level(system), body_of("issuer"))
                containers.create(containers.program_level(system, issuer), body_of("program"))


def page_of(shown: str, path: str, page: int) -> tuple[str, str]:
    query = f"?page={page}&count={PAGE_SIZE}"
    return shown + query, path + query


def scale_get(
    master: Api, shown: str, path: str, listed: int | None, *, iterations: int | None = None
) -> Scenario:
    """A read at scale, without warm-up runs (each costs seconds): by then the function, the
    clients of the fan-out pool (see `verify_meter`) and moto are all warm."""
    return Scenario(
        "GET",
        shown,
        fixed(path),
        master,
        "master",
        listed=listed,
        iterations=iterations,
        warmup=0,
    )


def container_bound(depth: int, listed: int) -> int:
    """Most calls a list of containers may make: resolve the prefix, the list's Query, its
    BatchGetItem chunks of 100 and one Query of what they embed (GSI3, or the system's
    programs), whatever the collection."""
    return depth + 1 + math.ceil(listed / 100) + 1


def delete_bound(depth: int, embeds: int) -> int:
    """Most calls a container DELETE may make, whatever the container holds: resolve the path
    (one read per level), the Queries of what the response embeds (a system's issuers and
    programs), one BatchGetItem (the container's own list totals) and one transaction; the
    purge runs afterwards, from the table's stream (domain/cascade.py)."""
    return depth + 1 + embeds + 2


def issuer_scale_scenarios(master: Api) -> list[Scenario]:
    """Pages 1, 10 and the last one, the whole list, the system that embeds every issuer, and
    deleting that system."""
    shown, path = "/systems/{s}/issuers", "/systems/scale/issuers"

    def bounded(scenario: Scenario, listed: int) -> Scenario:
        return replace(scenario, max_calls=container_bound(1, listed))

    return [
        *(
            bounded(scale_get(master, *page_of(shown, path, page), PAGE_SIZE), PAGE_SIZE)
            for page in PAGES
        ),
        bounded(scale_get(master, shown, path, SCALE, iterations=WHOLE_ITERATIONS), SCALE),
        scale_get(master, "/systems/{s}", "/systems/scale", SCALE, iterations=WHOLE_ITERATIONS),
        # Last: it removes the fixture. The request does a constant number of calls; the
        # subtree is purged afterwards (not measured here).
        Scenario(
            "DELETE",
            "/systems/{s}",
            fixed("/systems/scale"),
            master,
            "master",
            listed=SCALE,
            iterations=1,
            warmup=0,
            max_calls=delete_bound(0, 1),
        ),
    ]


def system_scale_scenarios(master: Api) -> list[Scenario]:
    """Pages 1, 10 and the last one, and once the whole list (every system embeds its
    issuers and programs: one GSI3 Query for the page's, or the whole list's, systems)."""
    shown = path = "/systems"
    return [
        *(
            replace(
                scale_get(master, *page_of(shown, path, page), PAGE_SIZE),
                max_calls=container_bound(0, PAGE_SIZE),
            )
            for page in PAGES
        ),
        replace(
            scale_get(master, shown, path, SCALE, iterations=1), max_calls=container_bound(0, SCALE)
        ),
    ]


def measure_seeded(
    seeding: str,
    seed: Callable[[], None],
    name: str,
    scenarios: Sequence[Scenario],
    collection: str,
    iterations: int,
) -> list[Result]:
    """On a table of their own: seed it (untimed), then measure the scenarios, each noted with
    the `collection` they read."""
    with fresh_table() as meter:
        with phase(seeding):
            seed()
        with phase(name):
            noted = [with_note(scenario, collection) for scenario in scenarios]
            return measure_all(noted, meter, iterations)


def measure_scale(scale_iterations: int) -> list[Result]:
    master = master_client()
    programs_every = 5
    return [
        *measure_seeded(
            f"seeding {SCALE} issuers",
            lambda: seed_issuers(programs_every),
            "issuers at scale",
            issuer_scale_scenarios(master),
            f"{SCALE:,} issuers, {SCALE // programs_every} programs",
            scale_iterations,
        ),
        *measure_seeded(
            f"seeding {SCALE} systems",
            seed_systems,
            "systems at scale",
            system_scale_scenarios(master),
            f"{SCALE:,} systems, {SCALE // SYSTEMS_WITH_ISSUERS} with an issuer and a program",
            scale_iterations,
        ),
    ]


def scale_badge_body(n: int) -> Body:
    """Badge n of the scale fixture: 3 criteria, 2 alignments, 3 categories, 3 tags."""
    return Body(
        {
            "slug": f"badge-{n}",
            "name": f"Badge {n}",
            "strapline": f"Badge number {n} of the benchmark",
            "earnerDescription": f"What the earner of badge {n} did",
            "consumerDescription": f"What badge {n} tells whoever looks at it",
            "criteriaUrl": f"http://example.org/criteria/{n}",
            "imageUrl": f"http://example.org/badges/{n}.png",
            "unique": True,
            "archived": n % ARCHIVED_EVERY == 0,
            "criteria": [
                {"description": f"Criterion {c}", "required": c == 1, "note": f"Note {c}"}
                for c in range(1, 4)
            ],
            "alignments": [
                {"name": f"Standard {a}", "url": f"http://example.org/standards/{a}"}
                for a in range(1, 3)
            ],
            "categories": ["Science", "Coding", f"Group {n % 7}"],
            "tags": ["benchmark", f"tag-{n % 11}", f"badge-{n}"],
        }
    )


DOOMED_PROGRAM = (2, 1)  # issuer-2/p-1, deleted by the last scenario at scale


def program_badges(program: tuple[int, int]) -> int:
    """Badges of program `p-{m}` of `issuer-{n}` in the scale fixture (see `seed_badges`)."""
    issuer, number = program
    index = (issuer - 1) * PROGRAMS_PER_ISSUER + (number - 1)
    count = BADGE_ISSUERS * PROGRAMS_PER_ISSUER
    return sum(1 for n in range(1, BADGE_SCALE + 1) if n % 3 == 2 and n % count == index)


def badge_scale_levels() -> dict[str, int]:
    """How many badges of the scale fixture each level holds (badge n: level n % 3)."""
    levels = ("system", "issuer", "program")
    return {
        level: sum(1 for n in range(1, BADGE_SCALE + 1) if n % 3 == i)
        for i, level in enumerate(levels)
    }


def seed_badges() -> None:
    """System `scale` with BADGE_ISSUERS issuers of PROGRAMS_PER_ISSUER programs each and
    BADGE_SCALE badges spread over the system, its issuers and programs (every
    ARCHIVED_EVERY-th archived), through the domain functions in bulk (see `bulk_writes`)."""
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        issuers: list[Place] = []
        programs: list[Place] = []
        for n in range(1, BADGE_ISSUERS + 1):
            issuer = containers.create(containers.issuer_level(system), body_of(f"issuer-{n}"))
            issuers.append(Place(system, issuer))
            for m in range(1, PROGRAMS_PER_ISSUER + 1):
                level = containers.program_level(system, issuer)
                programs.append(Place(system, issuer, containers.create(level, body_of(f"p-{m}"))))
        for n in range(1, BADGE_SCALE + 1):
            places = ([Place(system)], issuers, programs)[n % 3]
            badges.create(places[n % len(places)], scale_badge_body(n))


def badge_scale_scenarios(master: Api) -> list[Scenario]:
    """The system's badge list whole and by page (default and `archived=any`), the public list,
    and deleting the system (its badges one by one)."""
    shown, path = "/systems/{s}/badges", "/systems/scale/badges"
    active = BADGE_SCALE - BADGE_SCALE // ARCHIVED_EVERY

    def on_page(total: int, page: int) -> int:
        return max(0, min(PAGE_SIZE, total - (page - 1) * PAGE_SIZE))

    def listing(shown: str, path: str, listed: int, lists: int, **kw: Any) -> Scenario:
        return replace(
            scale_get(master, shown, path, listed, **kw), max_calls=list_bound(1, lists, listed)
        )

    last = BADGE_PAGES[-1]
    any_query = f"?archived=any&page={last}&count={PAGE_SIZE}"
    public_pages = [f"/public/badges?page={page}&count={PAGE_SIZE}" for page in BADGE_PAGES[:2]]
    return [
        listing(shown, path, active, 1),
        *(listing(*page_of(shown, path, p), on_page(active, p), 1) for p in BADGE_PAGES),
        listing(shown + any_query, path + any_query, on_page(BADGE_SCALE, last), 2),
        *(
            replace(
                scale_get(master, page, page, PAGE_SIZE), auth="none", max_calls=PUBLIC_PAGE_BOUND
            )
            for page in public_pages
        ),
        # Last: it changes the fixture. A constant number of calls whatever the program
        # holds; its badges are purged afterwards (not measured here).
        Scenario(
            "DELETE",
            "/systems/{s}/issuers/{i}/programs/{p}",
            fixed(f"/systems/scale/issuers/issuer-{DOOMED_PROGRAM[0]}/programs/p-1"),
            master,
            "master",
            iterations=1,
            warmup=0,
            note=f"the program holds {program_badges(DOOMED_PROGRAM)} badges",
            max_calls=delete_bound(2, 0),
        ),
    ]


def measure_badge_scale(scale_iterations: int) -> list[Result]:
    levels = badge_scale_levels()
    archived = BADGE_SCALE // ARCHIVED_EVERY
    note = (
        f"{BADGE_SCALE} badges ({archived} archived; {levels['system']}/{levels['issuer']}/"
        f"{levels['program']} at system/issuer/program level), {BADGE_ISSUERS} issuers, "
        f"{BADGE_ISSUERS * PROGRAMS_PER_ISSUER} programs"
    )
    return measure_seeded(
        f"seeding {BADGE_SCALE} badges",
        seed_badges,
        "badges at scale",
        badge_scale_scenarios(master_client()),
        note,
        scale_iterations,
    )


# --- claim codes, instances and applications at scale ---------------------------------------------

ISSUING_BADGES = 20  # system-level badges of the `scale` system
CODE_SCALE = 1_000  # claim codes of badge-1
SPREAD_CODES = 1_000  # more claim codes, spread over badges 2 to ISSUING_BADGES
CODE_PAGES = (1, 10, (CODE_SCALE + SPREAD_CODES) // PAGE_SIZE)  # of the system's code list
INSTANCE_SCALE = 500  # instances of badge-2
HELD_BADGES = 5  # badges 3 to 7, held by HOLDER
APPLICATIONS_PER_BADGE = 50  # of every badge; every other round of 20 processed
APPLICATIONS_PER_LEARNER = 10  # consecutive applications, so for 10 different badges
SUPPORTS_PER_MILESTONE = 3  # milestone n: badge n, supported by the next 3 badges
APPLICATION_PAGES = (1, 5, 25)  # 25: the last page of the processed ones
SCALE_LEARNER = "learner-7@example.org"


def seed_issuing_scale() -> None:
    """System `scale` with ISSUING_BADGES badges and one milestone per badge; CODE_SCALE codes
    of badge-1 (every 10th multi-use), INSTANCE_SCALE instances of badge-2, HOLDER holding
    HELD_BADGES badges, and APPLICATIONS_PER_BADGE applications of every badge with one evidence
    item each. Through the domain functions in bulk (see `bulk_writes`), in three passes: a
    pass reads or updates only what earlier passes wrote (the milestones look their badges up,
    the processed flips update applications), and the milestones' look-ups come while the
    table is small (every moto Query visits the whole table)."""
    base_url = os.environ["PUBLIC_BASE_URL"]
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("scale"))
        place = Place(system)
        made = [badges.create(place, scale_badge_body(n)) for n in range(1, ISSUING_BADGES + 1)]
    processed: list[assessment.ApplicationRecord] = []
    with bulk_writes():
        for n, badge in enumerate(made):
            supports = [made[(n + k) % len(made)] for k in range(1, SUPPORTS_PER_MILESTONE + 1)]
            fields = {
                "primaryBadgeId": badge["id"],
                "numberRequired": 2,
                "supportBadges": [int(support["id"]) for support in supports],
            }
            milestones.create(system, fields)
        for n in range(1, CODE_SCALE + 1):
            codes.create(made[0], Body({"code": f"code-{n:04d}", "multiuse": n % 10 == 0}))
        for n in range(SPREAD_CODES):
            codes.create(made[1 + n % (ISSUING_BADGES - 1)], Body({"code": f"spread-{n:04d}"}))
        earners = instances.Target.of(place, made[1], base_url)
        for n in range(1, INSTANCE_SCALE + 1):
            instances.award(earners, {"email": email_of("earner", n)})
        for badge in made[2 : 2 + HELD_BADGES]:
            instances.award(instances.Target.of(place, badge, base_url), {"email": HOLDER})
        for n in range(APPLICATIONS_PER_BADGE * ISSUING_BADGES):
            body = {
                "learner": email_of("learner", n // APPLICATIONS_PER_LEARNER),
                "evidence": [{"url": f"http://example.org/work/{n}", "mediaType": "link"}],
            }
            application = assessment.create_application(made[n % ISSUING_BADGES], Body(body))
            if (n // ISSUING_BADGES) % 2 == 0:
                processed.append(application)
    with bulk_writes():
        for application in processed:
            assessment.update_application(application, Body({"processed": PROCESSED}))


def processed_count() -> int:
    rounds = APPLICATIONS_PER_BADGE
    return sum(1 for r in range(rounds) if r % 2 == 0) * ISSUING_BADGES


def issuing_scale_scenarios(master: Api) -> list[Scenario]:
    """Badge-1's codes (pages, one code, the lookup by code, the system's code list), badge-2's
    instances (pages, one instance), HOLDER's instances, the system's applications (processed
    filter by page, email filter), one badge's applications and the system's milestones."""
    system, system_shown = "/systems/scale", "/systems/{s}"
    coded, awarded = f"{system}/badges/badge-1", f"{system}/badges/badge-2"
    badge_shown = f"{system_shown}/badges/{{b}}"
    per_badge = list_bound(1, 1, PAGE_SIZE)

    def bounded(shown: str, path: str, listed: int | None, bound: int | None) -> Scenario:
        return replace(scale_get(master, shown, path, listed), max_calls=bound)

    def applications_of(state: str, page: int) -> tuple[str, str]:
        query = f"?processed={state}&page={page}&count={PAGE_SIZE}"
        return f"{system_shown}/applications{query}", f"{system}/applications{query}"

    # Resolve, one Query per state of the system's own lists (two for `any`), one
    # BatchGetItem of the page with its badges' list entries, one of the badges: whatever the
    # number of applications and badges.
    applications_bound = {"true": 1 + 1 + 1 + 1, "any": 1 + 2 + 1 + 1}
    return [
        *(
            bounded(*page_of(f"{badge_shown}/codes", f"{coded}/codes", page), PAGE_SIZE, per_badge)
            for page in PAGES[:2]
        ),
        bounded(f"{badge_shown}/codes/{{code}}", f"{coded}/codes/code-0500", None, 2),
        bounded(f"{system_shown}/codes/{{code}}", f"{system}/codes/code-0500", None, None),
        # Resolve, the container's code list, the page's codes with their badges' list entries
        # (2 per badge), the badges: whatever the number of codes and badges.
        *(
            bounded(*page_of(f"{system_shown}/codes", f"{system}/codes", page), PAGE_SIZE, 4)
            for page in CODE_PAGES
        ),
        *(
            bounded(
                *page_of(f"{badge_shown}/instances", f"{awarded}/instances", page),
                PAGE_SIZE,
                per_badge,
            )
            for page in PAGES[:2]
        ),
        bounded(
            f"{badge_shown}/instances/{{email}}",
            f"{awarded}/instances/{escaped(email_of('earner', 250))}",
            None,
            2,
        ),
        bounded(
            f"{system_shown}/instances/{{email}}",
            f"{system}/instances/{escaped(HOLDER)}",
            HELD_BADGES,
            None,
        ),
        *(
            bounded(*applications_of(state, page), PAGE_SIZE, applications_bound[state])
            for state in ("true", "any")
            for page in APPLICATION_PAGES
        ),
        bounded(
            f"{system_shown}/applications?email={{email}}",
            f"{system}/applications?email={escaped(SCALE_LEARNER)}",
            APPLICATIONS_PER_LEARNER,
            4,
        ),
        bounded(
            *page_of(f"{badge_shown}/applications", f"{system}/badges/badge-3/applications", 1),
            PAGE_SIZE,
            1 + 2 + 1,
        ),
        bounded(*page_of(f"{system_shown}/milestones", f"{system}/milestones", 1), PAGE_SIZE, None),
    ]


MILESTONE_SCALE = 1_000  # milestones of the system `milestones`
MILESTONE_BADGES = 20  # its system-level badges, each the primary of every 20th milestone
MILESTONE_PAGES = (1, 10)
# Resolve (with the list's Query made ahead, concurrently), the list's Query (the header and
# the milestones up to the end of the page), one BatchGetItem of the badges the page names:
# whatever the number of milestones.
MILESTONE_LIST_BOUND = 3


def seed_milestone_scale() -> None:
    """System `milestones` with MILESTONE_BADGES badges and MILESTONE_SCALE milestones (primary
    badge n % MILESTONE_BADGES, the next SUPPORTS_PER_MILESTONE badges as support), through
    `milestones.create` in bulk (see `bulk_writes`): the badges first, then the milestones,
    which look them up: as the badges just created (unchanged since), not with a GSI1 Query
    each (every moto Query visits the whole table: quadratic in the milestones written)."""
    with bulk_writes():
        system = containers.create(containers.system_level(), body_of("milestones"))
        place = Place(system)
        made = [badges.create(place, scale_badge_body(n)) for n in range(1, MILESTONE_BADGES + 1)]
    by_id = {int(badge["id"]): badge for badge in made}

    def known(badge_ids: Iterable[int]) -> dict[int, BadgeRecord]:
        return {badge_id: by_id[badge_id] for badge_id in badge_ids if badge_id in by_id}

    with bulk_writes(), mock.patch.object(badges, "indexed_by_id", known):
        for n in range(MILESTONE_SCALE):
            primary = n % len(made)
            supports = [
                made[(primary + k) % len(made)] for k in range(1, SUPPORTS_PER_MILESTONE + 1)
            ]
            fields = {
                "primaryBadgeId": made[primary]["id"],
                "numberRequired": 2,
                "supportBadges": [int(support["id"]) for support in supports],
            }
            milestones.create(system, fields)
    badges.indexed_by_id(by_id)  # as the look-ups would have: the directory learns the badges


def milestone_scale_scenarios(master: Api) -> list[Scenario]:
    """Pages of the system's milestone list, near its start and further in."""
    system, shown = "/systems/milestones", "/systems/{s}"
    listing = (f"{shown}/milestones", f"{system}/milestones")
    return [
        replace(
            scale_get(master, *page_of(*listing, page), PAGE_SIZE), max_calls=MILESTONE_LIST_BOUND
        )
        for page in MILESTONE_PAGES
    ]


def measure_issuing_scale(scale_iterations: int) -> list[Result]:
    note = (
        f"{ISSUING_BADGES} badges; badge-1: {CODE_SCALE:,} codes, {SPREAD_CODES:,} more over "
        f"badges 2-{ISSUING_BADGES}; badge-2: {INSTANCE_SCALE} "
        f"instances; {HELD_BADGES} badges held by one email; "
        f"{APPLICATIONS_PER_BADGE * ISSUING_BADGES} applications "
        f"({APPLICATIONS_PER_BADGE} per badge, {processed_count()} processed); "
        f"{ISSUING_BADGES} milestones ({SUPPORTS_PER_MILESTONE} support badges each)"
    )
    master = master_client()
    return [
        *measure_seeded(
            "seeding claim codes, instances and applications",
            seed_issuing_scale,
            "claim codes, instances and applications at scale",
            issuing_scale_scenarios(master),
            note,
            scale_iterations,
        ),
        *measure_seeded(
            f"seeding {MILESTONE_SCALE} milestones",
            seed_milestone_scale,
            "milestones at scale",
            milestone_scale_scenarios(master),
            f"{MILESTONE_SCALE:,} milestones of one system ({MILESTONE_BADGES} badges)",
            scale_iterations,
        ),
    ]


# --- a bulk award at the limit --------------------------------------------------------------------

BULK_LIMIT = 1_000  # instances.MAX_BULK_EMAILS
BULK_BADGE = "bulk-badge"


def bulk_scenarios(master: Api) -> list[Scenario]:
    """The bulk award at its limit: 1,000 new emails, the same request again (a client retrying
    after a timeout: every email now holds the badge), and 1,001 emails (refused before any
    read). One run each, in this order, on a table of their own."""
    shown = f"{BADGE_SHOWN}/instances/bulk"
    path = f"{SYSTEM_PATH}/badges/{BULK_BADGE}/instances/bulk"
    emails = [email_of("limit", n) for n in range(BULK_LIMIT)]
    once = {"iterations": 1, "warmup": 0}
    return [
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": emails, "comment": "Well done"},
            status=201,
            listed=BULK_LIMIT,
            note=f"{BULK_LIMIT:,} new emails",
            **once,
        ),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": emails},
            status=201,
            listed=0,
            note=f"the same {BULK_LIMIT:,} again (a retry: all held)",
            **once,
        ),
        call(
            master,
            "POST",
            shown,
            path,
            body=lambda _: {"emails": [*emails, email_of("limit", BULK_LIMIT)]},
            status=400,
            note=f"{BULK_LIMIT + 1:,} emails",
            **once,
        ),
    ]


def measure_bulk() -> list[Result]:
    master = master_client()
    with fresh_table() as meter, one_rollback_copy():
        expect(master.post("/systems", named(SYSTEM)), 201)
        expect(master.post(f"{SYSTEM_PATH}/badges", badge_body(BULK_BADGE)), 201)
        with phase(f"bulk award of {BULK_LIMIT:,} emails"):
            return measure_all(bulk_scenarios(master), meter, 1)
