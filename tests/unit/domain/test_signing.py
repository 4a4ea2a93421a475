"""Compact JWS signing and body hashes (badgekit.signing), checked against the exact tokens of
the spec's worked examples (auth.md §8, webhooks.md §2): the same helper signs webhook calls
and the local tooling's requests, and verifies API tokens."""

from __future__ import annotations

import hashlib

import pytest

from badgekit import signing

MASTER = "example-master-secret"
T1_BODY = b'{"slug":"test-system","name":"Test System","url":"http://example.org"}'
T1_HASH = "374bf24af033c1424ff0f8e348e4deada6a36c9edb3a666af9ea7afa4d98da12"
T1 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6"
    "IlBPU1QiLCJwYXRoIjoiL3N5c3RlbXMiLCJib2R5Ijp7ImFsZyI6InNoYTI1NiIsImhhc2giOiIzNzRiZjI0YWYwMzNj"
    "MTQyNGZmMGY4ZTM0OGU0ZGVhZGE2YTM2YzllZGIzYTY2NmFmOWVhN2FmYTRkOThkYTEyIn19."
    "P83TiDkjL3s0YZJlkngOyj9LYwX6eCLFLopBKUPk9kk"
)
T2 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6"
    "IkdFVCIsInBhdGgiOiIvc3lzdGVtcy9jaGljYWdvL2JhZGdlcz9hcmNoaXZlZD1hbnkmcGFnZT0xJmNvdW50PTIifQ."
    "jlJUfIc69wNwlDcy6hVtI7cuA3S4NZvZAQV7nFPo_d8"
)
T3 = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJjaGljYWdvLWZyb250ZW5kIiwiZXhwIjoxNzAwMDAwMDYw"
    "LCJtZXRob2QiOiJERUxFVEUiLCJwYXRoIjoiL3N5c3RlbXMvY2hpY2Fnby9iYWRnZXMvY2hpY2Fnby1iYWRnZS9pbnN0"
    "YW5jZXMvYnJpYW4lNDBleGFtcGxlLm9yZyJ9.pUOpdM5nBKQ4Jq0JBZWIUNnEy6qEG1NDXm2T936kwMk"
)
GET_SYSTEMS_WRONG_SECRET = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJtYXN0ZXIiLCJleHAiOjE3MDAwMDAwNjAsIm1ldGhvZCI6"
    "IkdFVCIsInBhdGgiOiIvc3lzdGVtcyJ9.Y60zef5FXMxC2RPEmft6r8baOMnQDq20BLWFNlI2fW4"
)
ALG_NONE = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0."
    "eyJrZXkiOiJtYXN0ZXIiLCJtZXRob2QiOiJHRVQiLCJwYXRoIjoiL3N5c3RlbXMifQ."
)


def test_request_claims_and_sign_reproduce_t1():
    claims = signing.request_claims("post", "/systems", T1_BODY, exp=1700000060)
    assert claims == {
        "key": "master",
        "method": "POST",
        "path": "/systems",
        "exp": 1700000060,
        "body": {"alg": "sha256", "hash": T1_HASH},
    }
    ordered = {k: claims[k] for k in ("key", "exp", "method", "path", "body")}
    assert signing.sign(ordered, MASTER) == T1


def test_sign_reproduces_t2_and_t3():
    t2 = {
        "key": "master",
        "exp": 1700000060,
        "method": "GET",
        "path": "/systems/chicago/badges?archived=any&page=1&count=2",
    }
    assert signing.sign(t2, MASTER) == T2
    t3 = {
        "key": "chicago-frontend",
        "exp": 1700000060,
        "method": "DELETE",
        "path": "/systems/chicago/badges/chicago-badge/instances/brian%40example.org",
    }
    assert signing.sign(t3, "example-consumer-secret") == T3


@pytest.mark.parametrize("method", ["GET", "DELETE", "HEAD", "get"])
def test_request_claims_without_a_body_claim(method):
    claims = signing.request_claims(method, "/systems", b"ignored", key="k")
    assert claims == {"key": "k", "method": method.upper(), "path": "/systems"}


def test_request_claims_hash_an_absent_body_as_empty():
    empty = hashlib.sha256(b"").hexdigest()
    assert signing.request_claims("PUT", "/x", None)["body"] == {"alg": "sha256", "hash": empty}


def test_decoded_token_checks_the_signature():
    decoded = signing.DecodedToken(T1)
    assert decoded.header == {"alg": "HS256", "typ": "JWT"}
    assert decoded.signature_valid(MASTER)
    assert not decoded.signature_valid("wrong")
    assert not signing.DecodedToken(GET_SYSTEMS_WRONG_SECRET).signature_valid(MASTER)


def test_alg_none_never_verifies():
    decoded = signing.DecodedToken(ALG_NONE)
    assert decoded.header == {"typ": "JWT", "alg": "none"}
    assert decoded.signature == b""
    assert not decoded.signature_valid(MASTER)
    assert not decoded.signature_valid("")


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_round_trip(algorithm):
    token = signing.sign({"key": "master"}, MASTER, algorithm)
    decoded = signing.DecodedToken(token)
    assert decoded.header["alg"] == algorithm
    assert decoded.signature_valid(MASTER)
    assert not decoded.signature_valid(MASTER + "x")


def test_a_token_claiming_another_algorithm_is_not_valid():
    header = signing.b64url_encode(b'{"alg":"RS256","typ":"JWT"}')
    payload = signing.b64url_encode(b'{"key":"master"}')
    mac = signing.hmac_digest(MASTER, f"{header}.{payload}".encode())
    token = f"{header}.{payload}.{signing.b64url_encode(mac)}"
    assert not signing.DecodedToken(token).signature_valid(MASTER)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("a.b", "expected three parts"),
        ("a.b.c.d", "expected three parts"),
        ("!!!.e30.", "not base64url"),
        (f"{signing.b64url_encode(b'[1]')}.e30.", "header is not a JSON object"),
        (f"{signing.b64url_encode(b'not json')}.e30.", "header is not a JSON object"),
        ("e30.e3+.", "not base64url"),
    ],
)
def test_undecodable_tokens(token, message):
    with pytest.raises(signing.TokenDecodeError) as raised:
        signing.DecodedToken(token)
    assert str(raised.value) == message


def test_b64url_round_trip_without_padding():
    for data in (b"", b"f", b"fo", b"foo", b"\xff\xfe\xfd"):
        text = signing.b64url_encode(data)
        assert "=" not in text
        assert signing.b64url_decode(text) == data
    assert signing.b64url_encode(b"\xfb\xff") == "-_8"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("sha256", hashlib.sha256(b"abc").hexdigest()),
        ("SHA256", hashlib.sha256(b"abc").hexdigest()),
        ("sha1", hashlib.sha1(b"abc").hexdigest()),
        ("sha512", hashlib.sha512(b"abc").hexdigest()),
        ("md5", hashlib.md5(b"abc").hexdigest()),
    ],
)
def test_body_hash(algorithm, expected):
    assert signing.body_hash(b"abc", algorithm) == expected


def test_body_hash_refuses_unknown_algorithms():
    with pytest.raises(ValueError, match=r"^unsupported hash algorithm: whirlpool$"):
        signing.body_hash(b"abc", "whirlpool")


def test_authorization_header():
    assert signing.authorization_header("a.b.c") == 'JWT token="a.b.c"'
