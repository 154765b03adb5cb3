"""kcbot's actions served the way Rasa calls them: ``python -m rasa_sdk --actions kcbot.actions``
on loopback, a real ``/webhook`` payload, and the effect in the store."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from kcbot.dialogue import load_domain
from tests.conftest import REPO
from tests.servers import running


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


@pytest.fixture(params=["rasa_sdk", "kcbot actions"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "actions.sqlite3"
    argv = (["-m", "rasa_sdk", "--actions", "kcbot.actions"] if request.param == "rasa_sdk"
            else ["-m", "kcbot", "actions", "--db", str(db)])
    with running(argv, tmp_path, "/health", env={"KCBOT_DB": str(db)}) as server:
        yield server.url, db


def _payload(action: str, slots: dict[str, object]) -> dict[str, object]:
    domain = load_domain(REPO / "dialogues")
    text = "jeg kan ikke komme i morgen, jeg er syg"
    latest = {"text": text, "intent": {"name": "afbud", "confidence": 0.98},
              "entities": [{"entity": "afbud_kategori", "value": "sygdom", "start": 34,
                            "end": 37}]}
    return {
        "next_action": action,
        "sender_id": "rasa-borger-1",
        "version": "3.10.0",
        "domain": domain.raw,
        "tracker": {
            "sender_id": "rasa-borger-1", "slots": slots, "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest}],
            "paused": False, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def _post(url: str, payload: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url + "/webhook", data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_action_server_lists_and_runs_kcbots_actions(server) -> None:
    url, db = server
    names = {a["name"] for a in json.loads(_get(url + "/actions"))}
    assert {"action_vurder_afbud", "action_opret_tilbagekald", "action_aabningstid",
            "action_validate_slot_mappings"} <= names

    meeting = (date.today() + timedelta(days=3)).isoformat()  # the server runs on the real clock
    slots = {"borgergruppe": "dagpenge", "moedetype": "jobsamtale", "moededato": meeting,
             "afbud_grund": "jeg skal på arbejde hos Netto i Valby",
             "afbud_kategori": "arbejde"}
    answer = _post(url, _payload("action_vurder_afbud", slots))
    events = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
    assert events["afbud_afgoerelse"] == "godkendt"
    assert events["afbud_regel"] == "dagpenge_gyldig_grund"
    # Confirmed: registered, then the settled case's journal note from the slots set.
    slots = {**slots, **events, "bekraeftelse": "ja"}
    answer = _post(url, _payload("action_registrer_afbud", slots))
    events = {e["name"]: e["value"] for e in answer["events"] if e["event"] == "slot"}
    _post(url, _payload("action_journal", {**slots, **events, "sag": "afbud"}))

    with sqlite3.connect(db) as con:
        journal = con.execute("SELECT sag, rule FROM journal").fetchall()
        outbox = con.execute("SELECT recipient, body FROM outbox").fetchall()
        channel = con.execute("SELECT channel, sender FROM conversations").fetchall()
    assert journal == [("afbud", "dagpenge_gyldig_grund")]
    assert outbox[0][0] == "jobcenter" and "Netto" not in outbox[0][1]
    assert channel == [("rasa", "rasa-borger-1")]


def test_slot_validation_over_http_rejects_a_bad_phone_number(server) -> None:
    url, _ = server
    payload = _payload("action_validate_slot_mappings", {"telefon": None})
    payload["tracker"]["events"].append({"event": "slot", "name": "telefon", "value": "1234"})
    answer = _post(url, payload)
    assert {"event": "slot", "name": "telefon", "value": None} in [
        {k: e[k] for k in ("event", "name", "value")} for e in answer["events"]
    ]
    assert answer["responses"][0]["response"] == "utter_hint_telefon"


def _raw(url: str, method: str, path: str, body: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url + path, data=body or None, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _shapes() -> dict[str, bytes]:
    good = _payload("action_registrer_afbud", {"cpr": "010190-1234", "bekraeftelse": "ja"})

    def changed(where: str, value: object) -> bytes:
        payload = json.loads(json.dumps(good))
        target = payload["tracker"] if where.startswith("tracker.") else payload
        target[where.removeprefix("tracker.")] = value
        return json.dumps(payload).encode()

    return {
        "a-list": b"[]", "a-string": b'"x"', "binary": bytes(range(256)),
        "tracker-null": changed("tracker", None), "tracker-a-list": changed("tracker", []),
        "slots-a-list": changed("tracker.slots", [1]),
        "latest-message-null": changed("tracker.latest_message", None),
        "sender-a-number": changed("sender_id", 5), "events-not-a-list": changed(
            "tracker.events", "x"),
        "action-a-number": changed("next_action", 5),
        "sender-100000-chars": changed("tracker.sender_id", "x" * 100_000),
        "sender-with-a-cpr": changed("tracker.sender_id", "borger 0101901234"),
        "sender-with-escapes": changed("tracker.sender_id", "b\x1b]0;x\x07"),
    }


@pytest.mark.parametrize("command", ["kcbot actions", "rasa_sdk"])
def test_kcbot_actions_answers_a_malformed_call_with_a_danish_4xx(tmp_path: Path,
                                                                  command: str) -> None:
    """Before: rasa-sdk answered a call of the wrong shape (a list, a tracker that is null, a
    number for a sender id) with a 500, a traceback in the log and the whole request echoed
    back, CPR and all. ``kcbot actions`` checks the shape first and never echoes; under
    rasa-sdk's own server (``python -m rasa_sdk --actions kcbot.actions``) the actions package
    installs the same check through rasa-sdk's plugin hook."""
    db = tmp_path / "actions.sqlite3"
    argv = (["-m", "kcbot", "actions", "--db", str(db)] if command == "kcbot actions"
            else ["-m", "rasa_sdk", "--actions", "kcbot.actions"])
    with running(argv, tmp_path, "/health", env={"KCBOT_DB": str(db)}) as server:
        for name, body in _shapes().items():
            status, answer = _raw(server.url, "POST", "/webhook", body)
            assert 400 <= status < 500, (name, status, answer)
            assert isinstance(answer, dict) and "request_body" not in answer, (name, answer)
            assert "1234" not in json.dumps(answer), (name, answer)
        for method, path in (("GET", "/"), ("GET", "/webhook")):
            status, answer = _raw(server.url, method, path, b"")
            words = "findes ikke" if status == 404 else "metode"
            assert status in (404, 405) and words in str(answer), (method, path, answer)
        # pytest's own numbered folder (pytest-of-root/pytest-1234/...) is in the log's paths
        log = server.log.read_text(errors="replace").replace(str(tmp_path.parent), "")
        assert "Traceback" not in log and "1234" not in log, log[-3000:]
        meeting = (date.today() + timedelta(days=3)).isoformat()
        answer = _post(server.url, _payload("action_vurder_afbud", {
            "borgergruppe": "dagpenge", "moedetype": "jobsamtale", "moededato": meeting,
            "afbud_grund": "jeg skal på arbejde", "afbud_kategori": "arbejde"}))
        assert any(e.get("name") == "afbud_afgoerelse" for e in answer["events"])
    with sqlite3.connect(db) as con:  # no refused call reached the store
        assert con.execute("SELECT sender FROM conversations").fetchall() in (
            [], [("rasa-borger-1",)])
