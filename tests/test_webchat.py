"""The web chat's server side: the page and its headers, session tokens and the webhook's rules
for them. The page itself is tested in a real browser in ``test_webchat_browser.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from kcbot.channels.webchat import STATIC, SessionTokens, page_csp
from kcbot.config import WebchatSettings
from kcbot.errors import ConfigError
from tests.servers import Server, running
from tests.test_rest import NOW, WEBHOOK, call, post

ORIGIN = "https://www.kommune.test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("webchat")
    env = {"KCBOT_TOKEN": "operatoerens-hemmelighed", "KCBOT_CHAT_ORIGINS": ORIGIN,
           "KCBOT_CONFIG_DIR": str(folder / "config")}
    with running(["-m", "kcbot", "serve", "--db", str(folder / "w.sqlite3"), *NOW], folder,
                 "/health", env=env) as srv:
        yield srv


def session(srv: Server, body: bytes = b"") -> dict:
    response = call(srv, ("POST", "/chat/session", body, {}))[0]
    assert response.status == 200
    return response.json()


def test_the_page_and_its_files_are_served_with_a_strict_policy(server) -> None:
    page, script, style, embed = call(server, *[("GET", path, b"", {}) for path in (
        "/chat/", "/chat/chat.js", "/chat/chat.css", "/chat/embed.js")])
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert b'<html lang="da">' in page.body and b"automatisk chatbot" in page.body
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert f"frame-ancestors 'self' {ORIGIN}" in csp
    assert "require-trusted-types-for 'script'" in csp
    assert b"<script>" not in page.body and b"style=" not in page.body  # nothing inline
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    assert embed.status == 200 and "content-security-policy" not in embed.headers
    for response in (page, script, style, embed):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    redirect = call(server, ("GET", "/chat", b"", {}))[0]
    assert redirect.status == 302 and redirect.headers["location"] == "/chat/"
    assert call(server, ("GET", "/chat/other.js", b"", {}))[0].status == 404


def test_the_page_never_inserts_text_as_html() -> None:
    folder = resources.files("kcbot.channels") / "static" / "chat"
    for name in ("chat.js", "embed.js"):
        source = (folder / name).read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, (name, sink)


def test_a_session_token_lets_the_page_write_as_its_own_sender_only(server) -> None:
    given = session(server)
    assert given["sender"].startswith("web-") and given["origins"] == [ORIGIN]
    assert 3500 < given["expires_in"] <= 3600
    assert "operatoerens" not in json.dumps(given)
    bearer = {"Authorization": f"Bearer {given['token']}"}
    own = post(server, {"sender": given["sender"], "message": "hej"}, bearer)
    assert own.status == 200 and "automatisk" in own.json()[0]["text"]
    other = post(server, {"sender": "someone-else", "message": "hej"}, bearer)
    assert other.status == 401 and other.json()["code"] == "session"
    forged = given["token"][:-2] + ("AA" if not given["token"].endswith("AA") else "BB")
    refused = post(server, {"sender": given["sender"], "message": "hej"},
                   {"Authorization": f"Bearer {forged}"})
    assert refused.status == 401 and "udløbet" in refused.json()["error"]
    assert post(server, {"sender": "x", "message": "hej"}).status == 401  # operator's rules
    operator = post(server, {"sender": "sms-1", "message": "hej"},
                    {"Authorization": "Bearer operatoerens-hemmelighed"})
    assert operator.status == 200


def test_the_pages_answers_carry_the_conversations_language(server) -> None:
    """The page's own words follow the ``sprog`` slot: its answers say it in a header; an
    answer to another client (the operator's token) is unchanged."""
    given = session(server)
    bearer = {"Authorization": f"Bearer {given['token']}"}

    def language(message: str) -> str | None:
        answer = post(server, {"sender": given["sender"], "message": message}, bearer)
        assert answer.status == 200
        return answer.headers.get("x-kcbot-sprog")

    # a one-word greeting is a guess in its own language, and the next clear message decides
    assert language("hi") == "en"
    assert language("jeg har fået et brev fra kommunen") == "da"
    assert language("kan du skrive på engelsk") == "en"  # asked in Danish words
    assert language("ok") == "en"
    assert language("answer in danish") == "da"
    operator = post(server, {"sender": "sms-2", "message": "hello, I am sick today"},
                    {"Authorization": "Bearer operatoerens-hemmelighed"})
    assert operator.status == 200 and "x-kcbot-sprog" not in operator.headers


def test_a_valid_session_is_renewed_for_the_same_sender(server) -> None:
    first = session(server)
    renewed = session(server, json.dumps({"token": first["token"]}).encode())
    assert renewed["sender"] == first["sender"]
    fresh = session(server, json.dumps({"token": "kcs1.web-x.1.forged"}).encode())
    assert fresh["sender"] not in (first["sender"], "web-x")
    assert session(server, b"not json")["sender"].startswith("web-")


@pytest.mark.parametrize("expiry", ["9" * 5000, "\u00b2", "\u0661\u0662", "0" * 40 + "1"],
                         ids=["5000-digits", "superscript-two", "arabic-digits", "zero-padded"])
def test_a_session_token_with_an_odd_expiry_is_refused_without_an_error(server,
                                                                         expiry: str) -> None:
    """A token whose expiry is not a plain number (too many digits for Python's int(), a
    superscript digit) was a 503 with a traceback in the log, from both endpoints."""
    token = f"kcs1.web-x.{expiry}.AAAA"
    renewed = session(server, json.dumps({"token": token}).encode())
    assert renewed["sender"].startswith("web-") and renewed["sender"] != "web-x"
    refused = post(server, {"sender": "web-x", "message": "hej"},
                   {"Authorization": f"Bearer {token}"})
    assert refused.status == 401 and refused.json()["code"] == "session"
    assert "Traceback" not in server.log.read_text(errors="replace")


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b'{"token": "\\ud83d"}',
                                  b"\xff\xfe", b'"token"', b"null"],
                         ids=["nested-5000", "lone-surrogate", "not-utf8", "a-string", "null"])
def test_a_malformed_session_request_gets_a_new_session(server, body: bytes) -> None:
    """The page's session endpoint reads its body like the webhook does: JSON nested 5,000
    deep was a 503 with a RecursionError traceback."""
    assert session(server, body)["sender"].startswith("web-")
    assert "Traceback" not in server.log.read_text(errors="replace")


def test_session_tokens_expire_and_are_bound_to_their_key() -> None:
    now = [1_000_000.0]
    tokens = SessionTokens("hemmelig", 60, clock=lambda: now[0])
    issued = tokens.issue()
    assert tokens.sender_of(issued.token) == issued.sender
    assert SessionTokens("en anden", 60).sender_of(issued.token) is None
    assert SessionTokens(None, 60).sender_of(issued.token) is None  # a random key per process
    now[0] += 3599
    assert tokens.sender_of(issued.token) == issued.sender
    now[0] += 1
    assert tokens.sender_of(issued.token) is None
    assert tokens.authorize("Bearer operator") is None
    assert tokens.authorize(f"Bearer {issued.token}").status == 401


def test_chat_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCBOT_CHAT_ORIGINS", "https://www.kk.dk/, https://kk.dk")
    settings = WebchatSettings.from_env()
    assert settings.origins == ("https://www.kk.dk", "https://kk.dk")
    assert "frame-ancestors 'self' https://www.kk.dk https://kk.dk;" in page_csp(settings.origins)
    for wrong in ("www.kk.dk", "https://kk.dk/chat", "https://*.kk.dk", "'unsafe-inline'"):
        monkeypatch.setenv("KCBOT_CHAT_ORIGINS", wrong)
        with pytest.raises(ConfigError, match="KCBOT_CHAT_ORIGINS"):
            WebchatSettings.from_env()


def test_the_files_ship_in_the_package() -> None:
    folder = resources.files("kcbot.channels") / "static" / "chat"
    assert sorted(STATIC) == sorted(p.name for p in folder.iterdir())  # type: ignore[union-attr]
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert 'packages = ["kcbot"]' in pyproject  # hatch ships every file under kcbot/
    assert WEBHOOK == "/webhooks/rest/webhook"
