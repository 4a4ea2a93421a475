"""Request verification against spec auth.md, including its worked examples (§8)."""

from __future__ import annotations

import hashlib
import json

import jwt
import pytest

from badgekit import auth, signing
from badgekit.errors import NotAuthorized

MASTER = "example-master-secret"
NOW = 1_700_000_000  # the worked tokens are valid at this server time (exp 1700000060)

T1 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6"
    "IlBPU1QiLCJwYXRoIjoiL3N5c3RlbXMiLCJib2R5Ijp7ImFsZyI6InNoYTI1NiIsImhhc2giOiIzNzRiZjI0YWYwMzNj"
    "MTQyNGZmMGY4ZTM0OGU0ZGVhZGE2YTM2YzllZGIzYTY2NmFmOWVhN2FmYTRkOThkYTEyIn19.P83TiDkjL3s0YZJlkngOyj9"
    "LYwX6eCLFLopBKUPk9kk"
)
T1_BODY = b'{"slug":"test-system","name":"Test System","url":"http://example.org"}'
T2 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6Ik"
    "dFVCIsInBhdGgiOiIvc3lzdGVtcy9jaGljYWdvL2JhZGdlcz9hcmNoaXZlZD1hbnkmcGFnZT0xJmNvdW50PTIifQ.jlJUfI"
    "c69wNwlDcy6hVtI7cuA3S4NZvZAQV7nFPo_d8"
)
GET_SYSTEMS = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6Ik"
    "dFVCIsInBhdGgiOiIvc3lzdGVtcyJ9.yHO7-DAIr1DUNfGYTwUWzzP0MSjTfNNp6239ZOQvoWo"
)
GET_SYSTEMS_WRONG_SECRET = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6Ik"
    "dFVCIsInBhdGgiOiIvc3lzdGVtcyJ9.Y60zef5FXMxC2RPEmft6r8baOMnQDq20BLWFNlI2fW4"
)
ALG_NONE = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJrZXkiOiJtYXN0ZXIiLCJtZXRob2QiOiJHRVQiLCJwYXRoIjoiL3N5c3"
    "RlbXMifQ."
)
T3 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJjaGljYWdvLWZyb250ZW5kIiwiZXhwIjoxNzAwMDAwMDYwLC"
    "JtZXRob2QiOiJERUxFVEUiLCJwYXRoIjoiL3N5c3RlbXMvY2hpY2Fnby9iYWRnZXMvY2hpY2Fnby1iYWRnZS9pbnN0YW5j"
    "ZXMvYnJpYW4lNDBleGFtcGxlLm9yZyJ9.pUOpdM5nBKQ4Jq0JBZWIUNnEy6qEG1NDXm2T936kwMk"
)
CHICAGO_ID, PITTSBURGH_ID = 1, 2


def lookup_key(key: str) -> auth.Credentials | None:
    if key == "master":
        return auth.Credentials(MASTER, None)
    if key == "chicago-frontend":
        return auth.Credentials("example-consumer-secret", CHICAGO_ID)
    return None


def lookup_system(slug: str) -> int | None:
    return {"chicago": CHICAGO_ID, "pittsburgh": PITTSBURGH_ID}.get(slug.lower())


def verify(
    token: str | None,
    method: str = "GET",
    path: str = "/systems",
    query: dict[str, list[str]] | None = None,
    body: bytes = b"",
    now: int = NOW,
    header: str | None = None,
    keys=lookup_key,
) -> auth.Principal:
    system = path.split("/")[2] if path.startswith("/systems/") else None
    request = auth.SignedRequest(
        method=method,
        path=path,
        query=query or {},
        body=body,
        authorization=header if header is not None else (f'JWT token="{token}"' if token else None),
        system_slug=system,
    )
    return auth.authenticate(request, keys, lookup_system, now)


def rejected(message_start: str, **kwargs) -> None:
    with pytest.raises(NotAuthorized) as caught:
        verify(**kwargs)
    assert caught.value.status == 403
    assert caught.value.body()["code"] == "NotAuthorized"
    assert caught.value.message.startswith(message_start), caught.value.message


def sign(claims: dict, secret: str = MASTER, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


# --- worked examples (auth.md §8) --------------------------------------------------------------


def test_t1_post_with_json_body_passes():
    principal = verify(T1, method="POST", body=T1_BODY)
    assert principal == auth.Principal("master", None)
    assert principal.is_master


def test_t1_body_hash_matches_the_spec_value():
    assert hashlib.sha256(T1_BODY).hexdigest() == (
        "374bf24af033c1424ff0f8e348e4deada6a36c9edb3a666af9ea7afa4d98da12"
    )


def test_t1_with_an_extra_space_in_the_body_fails_the_hash():
    other = hashlib.sha256(T1_BODY + b" ").hexdigest()
    rejected(
        "Computed hash does not match given hash: "
        f"374bf24af033c1424ff0f8e348e4deada6a36c9edb3a666af9ea7afa4d98da12 != {other}",
        token=T1,
        method="POST",
        body=T1_BODY + b" ",
    )


def test_t1_used_for_put_is_a_method_mismatch():
    rejected(
        '`method` does not match: using "POST" token for "PUT" request',
        token=T1,
        method="PUT",
        body=T1_BODY,
    )


def test_t1_on_another_path_is_a_path_mismatch():
    rejected(
        '`path` does not match: trying to use token for "/systems" on "/systems/other"',
        token=T1,
        method="POST",
        path="/systems/other",
        body=T1_BODY,
    )


def test_t1_after_expiry_is_rejected():
    rejected(
        "Token is expired (token expiry: 1700000060, server time: 1700000060",
        token=T1,
        method="POST",
        body=T1_BODY,
        now=1_700_000_060,
    )


def test_t2_get_with_query_passes_as_a_multimap():
    query = {"archived": ["any"], "page": ["1"], "count": ["2"]}
    assert verify(T2, path="/systems/chicago/badges", query=query).is_master


def test_t2_with_a_different_query_fails():
    rejected(
        "`path` does not match",
        token=T2,
        path="/systems/chicago/badges",
        query={"archived": ["any"]},
    )


def test_t2_with_trailing_slash_before_query_passes():
    query = {"archived": ["any"], "page": ["1"], "count": ["2"]}
    assert verify(T2, path="/systems/chicago/badges/", query=query).is_master


def test_get_systems_token_passes_and_wrong_secret_fails():
    assert verify(GET_SYSTEMS).is_master
    rejected("Invalid token signature", token=GET_SYSTEMS_WRONG_SECRET)


def test_alg_none_is_rejected():
    rejected("Invalid token signature", token=ALG_NONE)


def test_t3_consumer_delete_with_encoded_email_passes():
    path = "/systems/chicago/badges/chicago-badge/instances/brian%40example.org"
    assert verify(T3, method="DELETE", path=path) == auth.Principal("chicago-frontend", CHICAGO_ID)


def test_t3_claims_on_another_system_are_invalid_for_system():
    claims = {
        "key": "chicago-frontend",
        "exp": 1700000060,
        "method": "DELETE",
        "path": "/systems/pittsburgh/badges/b/instances/brian%40example.org",
    }
    token = sign(claims, "example-consumer-secret")
    rejected("Invalid token for system", token=token, method="DELETE", path=claims["path"])


def test_unknown_consumer_key():
    token = sign({"key": "nobody", "method": "GET", "path": "/systems/chicago"})
    rejected("Could not find consumer for API key", token=token, path="/systems/chicago")


# --- every step of the procedure (auth.md §4) --------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer abc",
        "JWT token=abc",
        'jwt token="abc"',
        ' JWT token="abc"',
        'JWT token="abc" x',
    ],
)
def test_step1_header_must_match_exactly(header):
    rejected("Missing valid Authorization header", token=None, header=header or "")


@pytest.mark.parametrize("token", ["abc", "a.b", "a.b.c.d", "!!.e30.", "bnVsbA.e30.", "e30.e30.!!"])
def test_step2_undecodable_tokens(token):
    rejected("Could not decode JWT", token=token)


def test_step3_payload_not_an_object_and_not_json():
    header = signing.b64url_encode(b'{"alg":"HS256"}')
    rejected("Missing JWT payload", token=f"{header}.{signing.b64url_encode(b'[1]')}.")
    rejected("Could not decode JWT", token=f"{header}.{signing.b64url_encode(b'nope')}.")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"key": "master", "path": "/systems"}, "Missing JWT claim: method"),
        ({"key": "master", "method": "", "path": "/systems"}, "Missing JWT claim: method"),
        ({"key": "master", "method": "GET"}, "Missing JWT claim: path"),
        ({"method": "GET", "path": "/systems"}, "Missing JWT claim: key"),
    ],
)
def test_missing_claims(claims, message):
    rejected(message, token=sign(claims))


def test_method_is_case_insensitive():
    assert verify(sign({"key": "master", "method": "get", "path": "/systems"})).is_master


def test_expiry_rules():
    base = {"key": "master", "method": "GET", "path": "/systems"}
    for exp in (None, 0, "soon", NOW + 1, str(NOW + 1), 1_700_000_000_000):
        assert verify(sign({**base, "exp": exp})).is_master, exp
    rejected("Token is expired (token expiry: 1699999999", token=sign({**base, "exp": NOW - 1}))
    rejected("Token is expired", token=sign({**base, "exp": str(NOW)}))


@pytest.mark.parametrize(
    ("body_claim", "message"),
    [
        (None, "Missing JWT claim: body"),
        ({"hash": "x"}, "Missing JWT claim: body.alg"),
        ({"alg": "sha256"}, "Missing JWT claim: body.hash"),
        (
            {"alg": "whirlpool", "hash": "x"},
            "Could not calculate hash, unsupported algorithm: whirlpool",
        ),
    ],
)
def test_body_claim_checks_on_post(body_claim, message):
    claims = {"key": "master", "method": "POST", "path": "/systems"}
    if body_claim is not None:
        claims["body"] = body_claim
    rejected(message, token=sign(claims), method="POST", body=b"{}")


@pytest.mark.parametrize("alg", ["sha256", "SHA256", "sha1", "sha224", "sha384", "sha512", "md5"])
def test_supported_body_hash_algorithms(alg):
    body = b'{"a":1}'
    digest = hashlib.new(alg.lower(), body).hexdigest()
    claims = {
        "key": "master",
        "method": "PUT",
        "path": "/systems",
        "body": {"alg": alg, "hash": digest},
    }
    assert verify(sign(claims), method="PUT", body=body).is_master


def test_uppercase_hex_hash_does_not_match():
    body = b"{}"
    claims = {
        "key": "master",
        "method": "POST",
        "path": "/systems",
        "body": {"alg": "sha256", "hash": hashlib.sha256(body).hexdigest().upper()},
    }
    rejected("Computed hash does not match", token=sign(claims), method="POST", body=body)


def test_empty_body_without_body_claim_is_accepted_but_with_claim_must_hash_empty():
    claims = {"key": "master", "method": "POST", "path": "/systems"}
    assert verify(sign(claims), method="POST", body=b"").is_master
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    good = {**claims, "body": {"alg": "sha256", "hash": empty}}
    assert verify(sign(good), method="POST", body=b"").is_master
    bad = {**claims, "body": {"alg": "sha256", "hash": "0" * 64}}
    rejected("Computed hash does not match", token=sign(bad), method="POST", body=b"")


def test_get_and_delete_never_check_the_body_claim():
    claims = {"key": "master", "method": "DELETE", "path": "/systems/chicago", "body": {"alg": "x"}}
    assert verify(sign(claims), method="DELETE", path="/systems/chicago", body=b"ignored").is_master


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_accepted(algorithm):
    token = sign({"key": "master", "method": "GET", "path": "/systems"}, algorithm=algorithm)
    assert verify(token).is_master


def test_non_hmac_header_algorithms_are_rejected():
    payload = signing.b64url_encode(
        json.dumps({"key": "master", "method": "GET", "path": "/systems"}).encode()
    )
    for alg in ("none", "RS256", "ES256", "hs256", None):
        header = signing.b64url_encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
        # Even an HMAC made with the right secret does not help when the header names another alg.
        mac = signing.b64url_encode(
            __import__("hmac")
            .new(MASTER.encode(), f"{header}.{payload}".encode(), "sha256")
            .digest()
        )
        rejected("Invalid token signature", token=f"{header}.{payload}.{mac}")


def test_master_secret_not_configured_fails_the_signature():
    def no_master(key: str) -> auth.Credentials | None:
        return auth.Credentials(None, None) if key == "master" else None

    rejected("Invalid token signature", token=GET_SYSTEMS, keys=no_master)


def test_consumer_key_cannot_call_routes_without_a_system():
    token = sign(
        {"key": "chicago-frontend", "method": "GET", "path": "/systems"}, "example-consumer-secret"
    )
    rejected("Invalid token for system", token=token)


def test_consumer_system_check_is_case_insensitive_and_checks_signature_last():
    claims = {"key": "chicago-frontend", "method": "GET", "path": "/systems/CHICAGO"}
    assert (
        verify(sign(claims, "example-consumer-secret"), path="/systems/CHICAGO").system_id
        == CHICAGO_ID
    )
    rejected("Invalid token signature", token=sign(claims, "wrong"), path="/systems/CHICAGO")


def test_claim_path_equivalence_decodes_and_normalises():
    claims = {"key": "master", "method": "GET", "path": "/systems//chicago/?a=1&a=2&b=x+y&c="}
    query = {"a": ["1", "2"], "b": ["x y"], "c": [""]}
    assert verify(sign(claims), path="/systems/chicago", query=query).is_master
    rejected(
        "`path` does not match",
        token=sign(claims),
        path="/systems/chicago",
        query={"a": ["2", "1"]},
    )
    rejected(
        "`path` does not match",
        token=sign(claims),
        path="/systems/chicago",
        query={**query, "d": ["1"]},
    )


def test_question_mark_with_nothing_after_equals_no_query():
    claims = {"key": "master", "method": "GET", "path": "/systems?"}
    assert verify(sign(claims)).is_master


def test_our_signer_makes_tokens_pyjwt_accepts():
    claims = signing.request_claims("POST", "/systems", b"{}", exp=NOW + 60)
    token = signing.sign(claims, MASTER)
    decoded = jwt.decode(token, MASTER, algorithms=["HS256"], options={"verify_exp": False})
    assert decoded == claims
    assert verify(token, method="POST", body=b"{}").is_master
