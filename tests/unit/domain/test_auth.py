"""Request verification against spec auth.md, including its worked examples (§8)."""

from __future__ import annotations

import hashlib
import hmac
import json

import jwt
import pytest

from badgekit import signing
from badgekit.errors import NotAuthorized
from badgekit.http import auth

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


class JtiStore:
    """In-memory stand-in for the table's used-jti items (same contract as replay.consume)."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str, int, int]] = []

    def __call__(self, key: str, jti: str, expires_at: int, now: int) -> bool:
        self.calls.append((key, jti, expires_at, now))
        if self.used.get((key, jti), now) > now:
            return False
        self.used[(key, jti)] = expires_at
        return True


def verify(
    token: str | None,
    method: str = "GET",
    path: str = "/systems",
    query: dict[str, list[str]] | None = None,
    body: bytes = b"",
    now: int = NOW,
    header: str | None = None,
    keys=lookup_key,
    policy: auth.TokenPolicy = auth.STRICT,
    store: JtiStore | None = None,
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
    return auth.authenticate(
        request,
        keys,
        lookup_system,
        now,
        policy=policy,
        consume_jti=store if store is not None else JtiStore(),
    )


def rejected(message_start: str, **kwargs) -> None:
    with pytest.raises(NotAuthorized) as caught:
        verify(**kwargs)
    assert caught.value.status == 403
    assert caught.value.body()["code"] == "NotAuthorized"
    assert caught.value.message.startswith(message_start), caught.value.message


def sign(claims: dict, secret: str = MASTER, algorithm: str = "HS256") -> str:
    """A token of `claims`; without an `exp` claim it gets one a minute ahead (valid under
    strict). Use `sign_payload` for a payload without `exp`."""
    return jwt.encode({"exp": NOW + 60, **claims}, secret, algorithm=algorithm)


def sign_payload(payload: str, secret: str = MASTER) -> str:
    """An HS256 token whose payload is exactly `payload` (JSON text as sent, e.g. `NaN`)."""
    header = signing.b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
    body = signing.b64url_encode(payload.encode())
    mac = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{signing.b64url_encode(mac)}"


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
    # The worked example has no exp: strict stops it at step 8, legacy at the signature.
    rejected("Invalid token signature", token=ALG_NONE, policy=auth.LEGACY)
    rejected("Missing JWT claim: exp", token=ALG_NONE)
    header = signing.b64url_encode(b'{"typ":"JWT","alg":"none"}')
    payload = signing.b64url_encode(
        json.dumps({"key": "master", "exp": NOW + 60, "method": "GET", "path": "/systems"}).encode()
    )
    rejected("Invalid token signature", token=f"{header}.{payload}.")


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


def test_legacy_expiry_rules():
    base = {"key": "master", "method": "GET", "path": "/systems"}
    for exp in (None, 0, "soon", NOW + 1, str(NOW + 1), 1_700_000_000_000):
        assert verify(sign({**base, "exp": exp}), policy=auth.LEGACY).is_master, exp
    assert verify(sign_payload(json.dumps(base)), policy=auth.LEGACY).is_master  # no exp
    rejected(
        "Token is expired (token expiry: 1699999999",
        token=sign({**base, "exp": NOW - 1}),
        policy=auth.LEGACY,
    )
    rejected("Token is expired", token=sign({**base, "exp": str(NOW)}), policy=auth.LEGACY)


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
        json.dumps({"key": "master", "exp": NOW + 60, "method": "GET", "path": "/systems"}).encode()
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


# --- token policy (auth.md §3.1): exp under strict, legacy unchanged ----------------------------

GET = '"key":"master","method":"GET","path":"/systems"'


def get_with_exp(exp_json: str) -> str:
    """A GET /systems token whose `exp` is the JSON text `exp_json` exactly as sent ("" = none)."""
    return sign_payload("{" + GET + (f',"exp":{exp_json}' if exp_json else "") + "}")


def test_node_client_token_passes_under_strict():
    """badgekit-api-client: exp = Date.now() + 60000 (ms), body.alg "SHA256"."""
    body = b'{"slug":"node","name":"Node","url":"http://example.org"}'
    claims = {
        "key": "master",
        "exp": NOW * 1000 + 60_000,
        "method": "POST",
        "path": "/systems",
        "body": {"alg": "SHA256", "hash": hashlib.sha256(body).hexdigest()},
    }
    assert verify(sign(claims), method="POST", body=body).is_master
    # Read as milliseconds: 60 s after the ms reading, so it expires then.
    rejected(
        f"Token is expired (token expiry: {NOW * 1000 + 60_000}, server time: {NOW + 60}",
        token=sign(claims),
        method="POST",
        body=body,
        now=NOW + 60,
    )


def test_python_client_token_passes_under_strict():
    """The official Python client: exp = int(time.time()) + 60000 (seconds, 16.7 h ahead)."""
    assert verify(sign({"key": "master", "exp": NOW + 60_000, "method": "GET", "path": "/systems"}))


@pytest.mark.parametrize(
    ("exp_json", "message"),
    [
        ("", "Missing JWT claim: exp"),  # absent
        ("0", "Missing JWT claim: exp"),
        ("0.0", "Missing JWT claim: exp"),
        ("null", "Missing JWT claim: exp"),
        ('"abc"', "Missing JWT claim: exp"),
        ('""', "Missing JWT claim: exp"),
        ('"0"', "Missing JWT claim: exp"),
        ("NaN", "Invalid JWT claim: exp"),
        ("Infinity", "Invalid JWT claim: exp"),
        ("-Infinity", "Invalid JWT claim: exp"),
        ("1e400", "Invalid JWT claim: exp"),  # overflows to inf when parsed
        ("true", "Invalid JWT claim: exp"),
        ("false", "Invalid JWT claim: exp"),
        ("{}", "Invalid JWT claim: exp"),
        ('{"t":1700000060}', "Invalid JWT claim: exp"),
        ("[]", "Invalid JWT claim: exp"),
        ("[1700000060]", "Invalid JWT claim: exp"),
        ("1e308", "Token lifetime exceeds 86400 seconds"),  # finite: 13+ digits, as ms
        ("1700086401", "Token lifetime exceeds 86400 seconds"),
        ("1700086401000", "Token lifetime exceeds 86400 seconds"),  # ms
        ('"1700086401"', "Token lifetime exceeds 86400 seconds"),
        ("1700000000", "Token is expired (token expiry: 1700000000, server time: 1700000000"),
        ("-1", "Token is expired (token expiry: -1, server time: 1700000000"),
        (
            "1699999999000",
            "Token is expired (token expiry: 1699999999000, server time: 1700000000",
        ),
        # 1700000000999 ms is 1700000000 s rounded down: not after now.
        (
            "1700000000999",
            "Token is expired (token expiry: 1700000000999, server time: 1700000000",
        ),
        ('"1700000000"', "Token is expired (token expiry: 1700000000, server time: 1700000000"),
    ],
)
def test_strict_exp_rules(exp_json, message):
    with pytest.raises(NotAuthorized) as caught:
        verify(get_with_exp(exp_json))
    assert caught.value.status == 403
    assert caught.value.body() == {"code": "NotAuthorized", "message": message}


@pytest.mark.parametrize(
    "exp_json",
    ["1700000001", "1700000000.5", "1700086400", '"1700000060"', "1700000001000", "1700086400999"],
)
def test_strict_accepts_an_exp_within_the_lifetime(exp_json):
    assert verify(get_with_exp(exp_json)).is_master


@pytest.mark.parametrize(
    "exp_json",
    [
        "",
        "0",
        "null",
        '"abc"',
        "NaN",
        "Infinity",
        "1e400",
        "1e308",
        "true",
        "{}",
        "[]",
        "1700086401",
        "1699999999000",  # compared as seconds: far in the future
        "1700000000000",
    ],
)
def test_legacy_never_expires_what_strict_refuses(exp_json):
    assert verify(get_with_exp(exp_json), policy=auth.LEGACY).is_master


def test_legacy_still_expires_a_past_exp_in_seconds():
    rejected(
        "Token is expired (token expiry: 1699999999, server time: 1700000000",
        token=get_with_exp("1699999999"),
        policy=auth.LEGACY,
    )


def test_configured_max_lifetime():
    policy = auth.TokenPolicy(strict=True, max_lifetime=60)
    assert verify(get_with_exp("1700000060"), policy=policy).is_master
    with pytest.raises(NotAuthorized) as caught:
        verify(get_with_exp("1700000061"), policy=policy)
    assert caught.value.body() == {
        "code": "NotAuthorized",
        "message": "Token lifetime exceeds 60 seconds",
    }


def test_exp_is_checked_at_step_8_before_body_key_and_signature():
    claims = {"key": "nobody", "exp": None, "method": "POST", "path": "/systems"}
    rejected("Missing JWT claim: exp", token=sign(claims, "wrong"), method="POST", body=b"{}")
    rejected(
        "Missing JWT claim: body", token=sign(claims), method="POST", body=b"{}", policy=auth.LEGACY
    )


# --- jti: single-use tokens under strict (auth.md §3.1, step 18) --------------------------------


def with_jti(jti, key: str = "master", secret: str = MASTER, **extra) -> str:
    path = "/systems/chicago" if key != "master" else "/systems"
    return sign({"key": key, "method": "GET", "path": path, "jti": jti, **extra}, secret)


def test_jti_is_accepted_once():
    store = JtiStore()
    token = with_jti("abc-123")
    assert verify(token, store=store).is_master
    with pytest.raises(NotAuthorized) as caught:
        verify(token, store=store)
    assert caught.value.status == 403
    assert caught.value.body() == {"code": "NotAuthorized", "message": "Token already used"}
    # Another token (other exp) with the same key and jti is refused too, before expiry.
    rejected("Token already used", token=with_jti("abc-123", exp=NOW + 3600), store=store)
    assert store.calls[0] == ("master", "abc-123", NOW + 60, NOW)


def test_jti_is_per_key():
    store = JtiStore()
    assert verify(with_jti("shared"), store=store).is_master
    consumer = with_jti("shared", key="chicago-frontend", secret="example-consumer-secret")
    assert verify(consumer, path="/systems/chicago", store=store).system_id == CHICAGO_ID
    rejected("Token already used", token=consumer, path="/systems/chicago", store=store)


def test_jti_is_remembered_until_the_tokens_exp_in_seconds():
    store = JtiStore()
    assert verify(with_jti("ms", exp=NOW * 1000 + 60_500), store=store)
    assert store.calls == [("master", "ms", NOW + 60, NOW)]  # ms, rounded down
    assert verify(with_jti("frac", exp=NOW + 10.5), store=store)
    assert store.calls[-1] == ("master", "frac", NOW + 11, NOW)  # never shorter than the token
    # Once that token has expired, the jti may be used again.
    assert verify(with_jti("ms", exp=NOW + 200), now=NOW + 60, store=store)


def test_forged_token_with_a_jti_does_not_use_it_up():
    store = JtiStore()
    rejected("Invalid token signature", token=with_jti("victim", secret="forged"), store=store)
    rejected(
        "Could not find consumer for API key",
        token=with_jti("victim", key="nobody"),
        path="/systems/chicago",
        store=store,
    )
    assert store.calls == []
    assert verify(with_jti("victim"), store=store).is_master
    # A rejected request never consumes either (e.g. a body mismatch).
    claims = {"key": "master", "method": "POST", "path": "/systems", "jti": "post-1"}
    claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(b"{}").hexdigest()}
    rejected(
        "Computed hash does not match", token=sign(claims), method="POST", body=b"[]", store=store
    )
    assert verify(sign(claims), method="POST", body=b"{}", store=store).is_master


@pytest.mark.parametrize("jti", ["", "x" * 129, 123, 1.5, True, None, [], ["a"], {}, {"a": "b"}])
def test_jti_of_another_type_or_length_is_invalid(jti):
    store = JtiStore()
    with pytest.raises(NotAuthorized) as caught:
        verify(with_jti(jti), store=store)
    assert caught.value.body() == {"code": "NotAuthorized", "message": "Invalid JWT claim: jti"}
    assert store.calls == []


@pytest.mark.parametrize("jti", ["x", "x" * 128, "ü" * 128, "0", " "])
def test_jti_of_1_to_128_characters_is_accepted(jti):
    store = JtiStore()
    assert verify(with_jti(jti), store=store).is_master
    assert [call[1] for call in store.calls] == [jti]


def test_legacy_ignores_jti():
    store = JtiStore()
    token = with_jti("again")
    assert verify(token, policy=auth.LEGACY, store=store).is_master
    assert verify(token, policy=auth.LEGACY, store=store).is_master
    assert verify(with_jti(123), policy=auth.LEGACY, store=store).is_master
    assert verify(with_jti("x" * 129), policy=auth.LEGACY, store=store).is_master
    assert store.calls == []


def test_tokens_without_jti_never_touch_the_store():
    store = JtiStore()
    token = sign({"key": "master", "method": "GET", "path": "/systems"})
    assert verify(token, store=store).is_master
    assert verify(token, store=store).is_master  # replayable by design: no jti
    assert store.calls == []


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "strict"),
        ("", "strict"),
        ("strict", "strict"),
        ("legacy", "legacy"),
        (" legacy ", "legacy"),
        ("LEGACY", "strict"),
        ("lax", "strict"),
        ("none", "strict"),
    ],
)
def test_token_policy_setting_fails_safe(monkeypatch, value, expected):
    from badgekit import config

    if value is None:
        monkeypatch.delenv("TOKEN_POLICY", raising=False)
    else:
        monkeypatch.setenv("TOKEN_POLICY", value)
    monkeypatch.delenv("TOKEN_MAX_LIFETIME", raising=False)
    assert config.token_policy() == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 86400),
        ("", 86400),
        ("3600", 3600),
        (" 60 ", 60),
        ("1", 1),
        ("0", 86400),
        ("-5", 86400),
        ("1.5", 86400),
        ("abc", 86400),
        ("1e3", 86400),
    ],
)
def test_token_max_lifetime_setting_falls_back_to_the_default(monkeypatch, value, expected):
    from badgekit import config

    if value is None:
        monkeypatch.delenv("TOKEN_MAX_LIFETIME", raising=False)
    else:
        monkeypatch.setenv("TOKEN_MAX_LIFETIME", value)
    monkeypatch.delenv("TOKEN_POLICY", raising=False)
    assert config.token_max_lifetime() == expected
