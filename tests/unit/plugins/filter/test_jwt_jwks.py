"""Unit tests of the jwt_jwks filter (the key set of [api_auth] trusted_jwks_url, docs/operations.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import jwt_jwks as jwks_module
from ansible_collections.airflow_deploy.cluster.plugins.filter.jwt_jwks import jwt_jwks

CURRENT, NEXT, OLD = "c" * 40, "n" * 40, "o" * 40


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs512_token(secret: str, kid: str) -> str:
    """A token as PyJWT signs it with a shared secret (what Airflow's JWTGenerator does)."""
    header = b64url(json.dumps({"alg": "HS512", "kid": kid, "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": "admin"}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha512).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def verifies(jwks: dict[str, Any], token: str) -> bool:
    """What a JWKS-based validator does: find the key by the token's kid, check the HMAC with it."""
    header, payload, signature = token.split(".")
    kid = json.loads(b64url_decode(header))["kid"]
    keys = [key for key in jwks["keys"] if key["kid"] == kid]
    if len(keys) != 1:
        return False
    expected = hmac.new(b64url_decode(keys[0]["k"]), f"{header}.{payload}".encode(), hashlib.sha512).digest()
    return hmac.compare_digest(expected, b64url_decode(signature))


def test_the_signing_key_comes_first_and_holds_the_secret() -> None:
    keys = jwt_jwks(CURRENT)["keys"]
    assert [key["kid"] for key in keys][1:] == ["not-used"]
    assert all((key["kty"], key["alg"], key["use"]) == ("oct", "HS512", "sig") for key in keys)
    assert b64url_decode(keys[0]["k"]) == CURRENT.encode()
    # RFC 7638: the SHA-256 of the required members in lexical order, without whitespace.
    canonical = json.dumps({"k": keys[0]["k"], "kty": "oct"}, separators=(",", ":"))
    assert keys[0]["kid"] == b64url(hashlib.sha256(canonical.encode()).digest())
    assert CURRENT not in json.dumps(keys[0]["kid"])


def test_tokens_of_every_accepted_secret_verify_and_others_do_not() -> None:
    jwks = jwt_jwks(CURRENT, [OLD])
    kid = {secret: jwt_jwks(secret)["keys"][0]["kid"] for secret in (CURRENT, NEXT, OLD)}
    assert len(set(kid.values())) == 3
    assert verifies(jwks, hs512_token(CURRENT, kid[CURRENT]))
    assert verifies(jwks, hs512_token(OLD, kid[OLD]))
    # A token of a host that signs without jwt_kid (before the key set existed).
    assert verifies(jwks, hs512_token(CURRENT, "not-used"))
    assert not verifies(jwks, hs512_token(NEXT, kid[NEXT]))
    assert not verifies(jwks, hs512_token(NEXT, kid[CURRENT]))


def test_the_two_steps_of_a_rotation_overlap() -> None:
    """Step 1 (sign CURRENT, accept NEXT) and step 2 (sign NEXT, accept CURRENT) accept each other's tokens."""
    step1, step2 = jwt_jwks(CURRENT, [NEXT]), jwt_jwks(NEXT, [CURRENT])
    for signer in (step1, step2):
        token = hs512_token(CURRENT if signer is step1 else NEXT, signer["keys"][0]["kid"])
        assert verifies(step1, token) and verifies(step2, token)


def test_repeats_and_the_current_secret_in_accepted_are_left_out() -> None:
    keys = jwt_jwks(CURRENT, [OLD, CURRENT, OLD])["keys"]
    assert len(keys) == 3 and len({key["kid"] for key in keys}) == 3


@pytest.mark.parametrize(("secret", "accepted"), [("", []), (None, []), (CURRENT, OLD), (CURRENT, [""]), (CURRENT, [1])])
def test_bad_arguments_are_refused(secret: Any, accepted: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="jwt_jwks"):
        jwt_jwks(secret, accepted)


def test_the_filter_is_registered_under_its_file_name() -> None:
    assert jwks_module.FilterModule().filters() == {"jwt_jwks": jwt_jwks}
