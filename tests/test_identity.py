"""Verified identity from the channel: a signed JWT in ``metadata.identity`` (PyJWT)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kcbot.config import IdentitySettings
from kcbot.identity import Identity, IdentityError, IdentityVerifier

SECRET = "portal-og-kcbot-deler-denne-hemmelighed-på-mindst-32-byte"
CLAIMS = {"cpr": "150390-2468", "name": "Mette Hansen"}


def token(claims: dict | None = None, key: object = SECRET, alg: str = "HS256",
          ttl: int = 300, **extra: object) -> str:
    body = {**CLAIMS, "exp": int(time.time()) + ttl, **extra}
    if claims is not None:
        body = claims
    return jwt.encode(body, key, algorithm=alg)  # type: ignore[arg-type]


def verifier(**settings: object) -> IdentityVerifier:
    return IdentityVerifier(IdentitySettings(**{"secret": SECRET, **settings}))  # type: ignore


def _pem(private: object, path: Path) -> Path:
    public = private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path.write_bytes(public)
    return path


def test_a_valid_hs256_token_gives_name_and_cpr() -> None:
    identity = verifier().verify(token())
    assert identity == Identity("Mette Hansen", "150390-2468")
    assert "2468" not in repr(identity)  # never in a log line


@pytest.mark.parametrize("make", [lambda: rsa.generate_private_key(65537, 2048),
                                  lambda: ec.generate_private_key(ec.SECP256R1())],
                         ids=["RS256", "ES256"])
def test_rs256_and_es256_with_the_portals_public_key(tmp_path: Path, make) -> None:
    private = make()
    alg = "RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256"
    check = verifier(secret=None, public_key=_pem(private, tmp_path / "portal.pem"))
    assert check.verify(token(key=private, alg=alg)).navn == "Mette Hansen"
    # the classic confusion: an HS256 token "signed" with the public key itself
    public_pem = (tmp_path / "portal.pem").read_bytes()
    forged = _unsafe_hs256(public_pem)  # PyJWT itself refuses to make this token
    with pytest.raises(IdentityError, match="ikke signeret på en måde"):
        check.verify(forged)


def _unsafe_hs256(key: bytes) -> str:
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({**CLAIMS, "exp": int(time.time()) + 60}).encode())
    sig = b64(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def _alg_none() -> str:
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({**CLAIMS, 'exp': 9999999999})}."


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: token(ttl=-120), "udløbet"),
        (lambda: token(key="en-anden-hemmelighed-som-portalen-ikke-bruger-32b"), "signatur"),
        (_alg_none, "ikke signeret"),
        (lambda: token({"name": "Mette Hansen", "exp": int(time.time()) + 60}), "'cpr'"),
        (lambda: token({"cpr": "150390-2468", "exp": int(time.time()) + 60}), "'name'"),
        (lambda: token({**CLAIMS}), "'exp'"),
        (lambda: token(cpr="320190-2468"), "CPR-nummer er ikke gyldigt"),
        (lambda: token(cpr="15039024689"), "CPR-nummer er ikke gyldigt"),
        (lambda: token(name=""), "navn"),
        (lambda: "ikke.et.jwt", "JWT"),
        (lambda: 42, "signeret token"),
    ],
    ids=["expired", "wrong-signature", "alg-none", "no-cpr", "no-name", "no-exp", "bad-cpr",
         "eleven-digits", "empty-name", "garbage", "not-a-string"],
)
def test_a_token_that_does_not_verify_is_refused(make, words: str) -> None:
    with pytest.raises(IdentityError, match=words) as error:
        verifier().verify(make())
    assert "2468" not in str(error.value)


def test_audience_and_issuer_are_checked_when_configured() -> None:
    check = verifier(audience="kk-chat", issuer="https://login.kk.example")
    good = token(aud="kk-chat", iss="https://login.kk.example")
    assert check.verify(good).cpr == "150390-2468"
    with pytest.raises(IdentityError, match="ikke udstedt til denne chat"):
        check.verify(token(aud="en-anden-chat", iss="https://login.kk.example"))
    with pytest.raises(IdentityError, match="'aud'"):
        check.verify(token(iss="https://login.kk.example"))
    with pytest.raises(IdentityError, match="udsteder"):
        check.verify(token(aud="kk-chat", iss="https://falsk.example"))


def test_without_a_key_no_identity_is_accepted() -> None:
    with pytest.raises(IdentityError, match="ingen nøgle"):
        IdentityVerifier(IdentitySettings()).verify(token())


@pytest.mark.slow
def test_the_rest_channel_takes_a_verified_identity_and_refuses_a_bad_one(tmp_path: Path) -> None:
    import sqlite3

    from tests.test_rest import post, serve

    db = tmp_path / "rest.sqlite3"
    with serve(tmp_path, db, env={"KCBOT_IDENTITY_SECRET": SECRET,
                                  "KCBOT_CONFIG_DIR": str(tmp_path / "config")}) as server:
        message = "jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg"
        read_back = post(server, {"sender": "web-1", "message": message,
                                  "metadata": {"identity": token()}})
        assert read_back.status == 200 and "Er det rigtigt" in str(read_back.json())
        good = post(server, {"sender": "web-1", "message": "ja",
                             "metadata": {"identity": token()}})
        texts = " ".join(r["text"] for r in good.json())
        assert good.status == 200 and "gyldig grund" in texts
        assert "CPR" not in texts and "navn" not in texts
        for bad in (token(ttl=-120), _alg_none(), "x"):
            refused = post(server, {"sender": "web-2", "message": message,
                                    "metadata": {"identity": bad}})
            assert refused.status == 401 and "identitet" in refused.json()["error"]
    with sqlite3.connect(db) as raw:
        rows = raw.execute("SELECT navn, cpr_maskeret, identitet FROM outbox").fetchall()
        senders = raw.execute("SELECT sender FROM conversations").fetchall()
    assert rows == [("Mette Hansen", "150390-XXXX", "verificeret")]
    assert senders == [("web-1",)]  # a refused token started no conversation
