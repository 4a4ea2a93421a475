"""Every DynamoDB key of the single table (badgekit.store.keys; docs/data-model.md): the exact
strings, the case-insensitive slug form (README §8), the bounded size of long slugs, id padding
and the container scope prefixes of GSI2."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from badgekit.store import keys

# --- slugs, padding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("chicago", "chicago"),
        ("CHICAGO", "chicago"),
        ("Brian@Example.ORG", "brian@example.org"),
        ("Ünïcödé", "ünïcödé"),
        ("", ""),
    ],
)
def test_slug_key_folds_case(slug, expected):
    assert keys.slug_key(slug) == expected


def test_slug_key_keeps_slugs_up_to_400_bytes():
    assert keys.slug_key("a" * 400) == "a" * 400
    assert keys.slug_key("é" * 200) == "é" * 200  # 400 bytes of UTF-8


@pytest.mark.parametrize("slug", ["a" * 401, "é" * 201, "X" * 255 * 4])
def test_slug_key_of_a_longer_slug_is_its_hash(slug):
    folded = slug.lower()
    expected = "sha256:" + hashlib.sha256(folded.encode()).hexdigest()
    assert keys.slug_key(slug) == expected
    assert keys.slug_key(slug.upper()) == expected  # still case-insensitive
    assert len(expected) == 71


def test_a_255_character_slug_fits_a_sort_key():
    longest = "\U0001f600" * 255  # 1020 bytes of UTF-8
    assert len(keys.issuer(1, longest)["SK"].encode()) <= 1024
    assert keys.issuer(1, longest)["SK"].startswith("CONTAINER#ISSUER#sha256:")


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "000000000000"), (1, "000000000001"), (42, "000000000042"), (10**12 - 1, "9" * 12)],
)
def test_padded_ids_are_twelve_digits(number, expected):
    assert keys.padded(number) == expected


def test_padded_ids_sort_in_numeric_order():
    numbers = [1, 10, 2, 100, 99, 1000]
    assert sorted(numbers, key=keys.padded) == sorted(numbers)


def test_new_slugs_are_lowercase_hex_of_the_given_length():
    assert keys.SLUG_HEX == 32
    assert keys.INSTANCE_SLUG_HEX == 40
    assert re.fullmatch(r"[0-9a-f]{32}", keys.new_slug())
    assert re.fullmatch(r"[0-9a-f]{40}", keys.new_slug(keys.INSTANCE_SLUG_HEX))
    assert len({keys.new_slug() for _ in range(50)}) == 50


# --- containers, consumers, badges, images ----------------------------------------------------


def test_container_keys():
    assert keys.system("Chicago") == {"PK": "SYSTEM#chicago", "SK": "SYSTEM"}
    assert keys.system_partition(7) == "SYS#7"
    assert keys.issuer(7, "Library") == {"PK": "SYS#7", "SK": "CONTAINER#ISSUER#library"}
    assert keys.programs_prefix(3) == "CONTAINER#PROGRAM#3#"
    assert keys.program(7, 3, "Scratch") == {"PK": "SYS#7", "SK": "CONTAINER#PROGRAM#3#scratch"}
    assert keys.CONTAINER_PREFIX == "CONTAINER#"
    assert keys.ISSUER_PREFIX == "CONTAINER#ISSUER#"


def test_programs_of_two_issuers_never_share_a_key():
    assert keys.program(1, 1, "p") != keys.program(1, 2, "p")
    assert not keys.program(1, 12, "p")["SK"].startswith(keys.programs_prefix(1))


def test_consumer_keys_are_exact_and_case_sensitive():
    assert keys.consumer("Chicago-Frontend") == {
        "PK": "CONSUMER#Chicago-Frontend",
        "SK": "CONSUMER",
    }
    assert keys.consumer("a") != keys.consumer("A")


def test_badge_and_image_keys():
    assert keys.badge("Chicago-Badge") == {"PK": "BADGE#chicago-badge", "SK": "BADGE"}
    assert keys.image("ABCDEF") == {"PK": "IMAGE#abcdef", "SK": "IMAGE"}
    # a badge's children live under its id, never colliding with a badge slugged "12"
    assert keys.badge_partition(12) == "BADGEID#12"
    assert keys.badge("12")["PK"] != keys.badge_partition(12)


def test_by_id_and_counters():
    assert keys.by_id("badge", 5) == {"GSI1PK": "ID#BADGE#5", "GSI1SK": "BADGE"}
    assert keys.by_id("program", 12) == {"GSI1PK": "ID#PROGRAM#12", "GSI1SK": "PROGRAM"}
    assert keys.id_counters() == {"PK": "COUNTER", "SK": "IDS"}


# --- lists ------------------------------------------------------------------------------------


def test_list_scope_header_and_entries():
    scope = keys.ListScope("SYS#1", "ISSUERS")
    assert scope.partition == "SYS#1"
    assert scope.prefix == "LIST#ISSUERS#"
    assert scope.header() == {"PK": "SYS#1", "SK": "LIST#ISSUERS#"}
    assert scope.entry(3) == {"PK": "SYS#1", "SK": "LIST#ISSUERS#000000000003"}


@pytest.mark.parametrize(
    ("scope", "partition", "prefix"),
    [
        (keys.systems_list(), "SYSTEMS", "LIST#SYSTEMS#"),
        (keys.issuers_list(4), "SYS#4", "LIST#ISSUERS#"),
        (keys.programs_list(4, 9), "SYS#4", "LIST#PROGRAMS#9#"),
        (keys.consumers_list(4), "SYS#4", "LIST#CONSUMERS#"),
        (keys.badges_list(4, "system", 4, False), "SYS#4", "LIST#BADGES#SYSTEM#4#ACTIVE#"),
        (keys.badges_list(4, "issuer", 2, True), "SYS#4", "LIST#BADGES#ISSUER#2#ARCHIVED#"),
        (keys.badges_list(4, "Program", 3, False), "SYS#4", "LIST#BADGES#PROGRAM#3#ACTIVE#"),
        (keys.all_badges_list(False), "BADGES", "LIST#ACTIVE#"),
        (keys.all_badges_list(True), "BADGES", "LIST#ARCHIVED#"),
        (keys.codes_list(5), "BADGEID#5", "LIST#CODES#"),
        (keys.instances_list(5), "BADGEID#5", "LIST#INSTANCES#"),
        (keys.reviews_list(5, 8), "BADGEID#5", "LIST#REVIEWS#8#"),
        (keys.applications_list(5, False), "BADGEID#5", "LIST#APPS#PENDING#"),
        (keys.applications_list(5, True), "BADGEID#5", "LIST#APPS#PROCESSED#"),
    ],
)
def test_every_list_scope(scope, partition, prefix):
    assert (scope.partition, scope.prefix) == (partition, prefix)


def test_lists_sharing_a_partition_never_share_a_prefix():
    scopes = [
        keys.issuers_list(1),
        keys.programs_list(1, 1),
        keys.programs_list(1, 11),
        keys.consumers_list(1),
        keys.badges_list(1, "system", 1, False),
        keys.badges_list(1, "system", 1, True),
        keys.badges_list(1, "issuer", 1, False),
    ]
    prefixes = [s.prefix for s in scopes]
    for a in prefixes:
        assert [b for b in prefixes if b.startswith(a)] == [a]


# --- GSI2 scopes (container, then member) ------------------------------------------------------


def test_scope_sort_key_pads_every_part_and_zero_fills_missing_levels():
    assert keys.scope_sort_key(1, None, None, 7) == (
        "S#000000000001#I#000000000000#P#000000000000#000000000007"
    )
    assert keys.scope_sort_key(1, 2, 3, 7) == (
        "S#000000000001#I#000000000002#P#000000000003#000000000007"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((1,), "S#000000000001#"),
        ((1, 2), "S#000000000001#I#000000000002#"),
        ((1, 2, 3), "S#000000000001#I#000000000002#P#000000000003#"),
        ((1, None, 3), "S#000000000001#"),  # a program needs its issuer
    ],
)
def test_scope_prefix(args, expected):
    assert keys.scope_prefix(*args) == expected


def test_scope_prefix_selects_a_container_and_its_descendants_only():
    in_program = keys.scope_sort_key(1, 2, 3, 9)
    in_issuer = keys.scope_sort_key(1, 2, None, 9)
    in_system = keys.scope_sort_key(1, None, None, 9)
    other_issuer = keys.scope_sort_key(1, 20, 3, 9)
    other_system = keys.scope_sort_key(10, 2, 3, 9)
    every = [in_program, in_issuer, in_system, other_issuer, other_system]

    def selected(prefix: str) -> list[str]:
        return [sk for sk in every if sk.startswith(prefix)]

    assert selected(keys.scope_prefix(1)) == [in_program, in_issuer, in_system, other_issuer]
    assert selected(keys.scope_prefix(1, 2)) == [in_program, in_issuer]
    assert selected(keys.scope_prefix(1, 2, 3)) == [in_program]


# --- badge children ---------------------------------------------------------------------------


def test_claim_code_keys_are_case_insensitive_per_badge():
    assert keys.claim_code(5, "Multiple-Use") == {"PK": "BADGEID#5", "SK": "CODE#multiple-use"}
    assert keys.claim_code(5, "ABC") == keys.claim_code(5, "abc")
    assert keys.claim_code(5, "abc") != keys.claim_code(6, "abc")
    assert keys.code_lookup("ABC") == "CODE#abc"


def test_instance_and_assertion_keys():
    assert keys.instance(5, "Brian@Example.org") == {
        "PK": "BADGEID#5",
        "SK": "INSTANCE#brian@example.org",
    }
    assert keys.assertion("AbC") == {"PK": "ASSERTION#abc", "SK": "ASSERTION"}
    assert keys.revoked_assertion(5, "AbC") == {"PK": "BADGEID#5", "SK": "REVOKED#abc"}
    assert keys.earner_lookup("Brian@Example.org") == "EARNER#brian@example.org"


def test_application_and_review_keys():
    assert keys.application(5, "ABC") == {"PK": "BADGEID#5", "SK": "APP#abc"}
    assert keys.review(5, 8, "XYZ") == {"PK": "BADGEID#5", "SK": "REVIEW#8#xyz"}
    assert keys.reviews_prefix(8) == "REVIEW#8#"
    assert keys.review(5, 8, "x")["SK"].startswith(keys.reviews_prefix(8))
    assert not keys.review(5, 80, "x")["SK"].startswith(keys.reviews_prefix(8))
    assert keys.learner_lookup("A@B.co") == "LEARNER#a@b.co"


def test_application_entries_sort_by_created_then_id():
    assert keys.application_entry(5, False, 1700000000, 3) == {
        "PK": "BADGEID#5",
        "SK": "LIST#APPS#PENDING#001700000000#000000000003",
    }
    assert keys.application_entry(5, True, 1, 2)["SK"] == (
        "LIST#APPS#PROCESSED#000000000001#000000000002"
    )
    entries = [(20, 1), (10, 3), (10, 2)]
    ordered = sorted(entries, key=lambda e: keys.application_entry(5, False, *e)["SK"])
    assert ordered == [(10, 2), (10, 3), (20, 1)]


def test_learner_sort_key_is_scope_then_created_id_and_state():
    assert keys.learner_sort_key(1, 2, None, 5, 100, 3, False) == (
        "S#000000000001#I#000000000002#P#000000000000#000000000005"
        "#000000000100#000000000003#PENDING"
    )
    assert keys.learner_sort_key(1, None, None, 5, 100, 3, True).endswith("#PROCESSED")


# --- milestones, events, webhooks, tokens -----------------------------------------------------


def test_milestone_keys():
    assert keys.MILESTONE_PREFIX == "MILESTONE#"
    assert keys.milestone(1, 4) == {"PK": "SYS#1", "SK": "MILESTONE#000000000004"}
    assert keys.milestone_support(9, 4) == {"PK": "SUPPORT#9", "SK": "MILESTONE#000000000004"}
    assert keys.support_partition(9) == "SUPPORT#9"
    assert keys.primary_lookup(9) == "PRIMARY#9"


def test_event_key():
    assert keys.event("evt_1") == {"PK": "EVENT#evt_1", "SK": "EVENT"}


def test_webhook_keys():
    assert keys.WEBHOOK_PREFIX == "WEBHOOK#"
    assert keys.webhook(1, 3) == {"PK": "SYS#1", "SK": "WEBHOOK#000000000003"}
    assert keys.webhook_partition(3) == "HOOK#3"
    assert keys.DELIVERY_PREFIX == "DELIVERY#"
    assert keys.delivery(3, 12) == {"PK": "HOOK#3", "SK": "DELIVERY#000000000012"}
    assert keys.delivery_guard(3, "evt_1") == {"PK": "HOOK#3", "SK": "EVENTGUARD#evt_1"}


def test_webhook_url_guard_compares_urls_exactly():
    url = "https://Hooks.example.org/x"
    digest = hashlib.sha256(url.encode()).hexdigest()
    assert keys.webhook_url(1, url) == {"PK": "SYS#1", "SK": f"WEBHOOKURL#{digest}"}
    assert keys.webhook_url(1, url) != keys.webhook_url(1, url.lower())
    assert keys.webhook_url(1, url) != keys.webhook_url(2, url)


def test_used_jti_key_hashes_the_json_pair():
    digest = hashlib.sha256(json.dumps(["master", "abc"]).encode()).hexdigest()
    assert keys.used_jti("master", "abc") == {"PK": f"JTI#{digest}", "SK": "JTI"}
    # unambiguous: the pair is encoded, not concatenated
    assert keys.used_jti("ab", "c") != keys.used_jti("a", "bc")
    assert keys.used_jti("master", "x") != keys.used_jti("other", "x")
    assert len(keys.used_jti("k" * 255, "j" * 128)["PK"]) == 4 + 64
