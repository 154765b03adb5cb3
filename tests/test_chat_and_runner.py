"""``kcbot chat`` and ``kcbot test`` as a tester meets them, in a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import BAD_LINES, kcbot

NOW = ("--now", "2026-11-24T09:15")


def test_chat_in_a_pipe_answers_each_line() -> None:
    result = kcbot("chat", *NOW, stdin=b"jeg skal melde afbud til jobsamtale i morgen\n1\n"
                   b"jeg er syg\nja\nMette Hansen\n150390-2468\n")
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "automatisk" in out and "1) Dagpenge" in out and "gyldig grund" in out
    assert "150390-XXXX" in out and "2468" not in out


def test_chat_debug_shows_intent_slots_and_flows() -> None:
    result = kcbot("chat", "--debug", *NOW, stdin=b"jeg skal melde afbud til jobsamtale\n")
    out = result.stdout.decode()
    assert "intent=afbud" in out and '"moedetype": "jobsamtale"' in out
    assert "flows=afbud" in out and "venter på=borgergruppe" in out


def test_chat_continues_the_senders_conversation_in_a_new_process() -> None:
    kcbot("chat", "--sender", "borger-7", *NOW, stdin=b"jeg skal melde afbud til jobsamtale\n")
    again = kcbot("chat", "--sender", "borger-7", "--debug", *NOW, stdin=b"dagpenge\n")
    out = again.stdout.decode()
    assert "automatisk" not in out
    assert '"borgergruppe": "dagpenge"' in out and "venter på=moededato" in out


def test_chat_survives_bad_input_and_masks_cpr() -> None:
    lines = b"\n".join([b"jeg vil tale med en medarbejder", *BAD_LINES, b"010190-1234"]) + b"\n"
    result = kcbot("chat", "--debug", *NOW, stdin=lines)
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "Traceback" not in result.stderr.decode() + out
    assert "Jeg fik ikke nogen tekst" in out and "for lang" in out
    assert "010190-1234" not in out


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "d.yml"
    path.write_text(text, encoding="utf-8")
    return path


PASSING = """
dialogues:
  - name: aabent
    now: "2026-11-24T09:15"
    turns:
      - user: "hvornår har I åbent"
        intent: aabningstid
        says: ["82 56 56 82"]
    expect: {outcome: straksafklaret, ticket: none}
"""

FAILING = """
dialogues:
  - name: forkert_forventning
    now: "2026-11-24T09:15"
    turns:
      - user: "hvornår har I åbent"
        intent: afbud
    expect:
      outcome: overdraget
      says: ["noget botten aldrig siger"]
      not_says: ["åbent"]
      slots: {borgergruppe: dagpenge}
      ticket: {queue: cdu}
"""


def test_the_runner_passes_a_true_dialogue_and_prints_a_summary(tmp_path: Path) -> None:
    result = kcbot("test", str(_write(tmp_path, PASSING)))
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_a_failing_expectation_fails_the_run_with_reasons(tmp_path: Path) -> None:
    result = kcbot("test", "--json", str(_write(tmp_path, FAILING)))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["passed"] == 0 and report["failed"] == 1
    failures = " | ".join(report["dialogues"][0]["failures"])
    for part in ("intent aabningstid, ventede afbud", "udfald straksafklaret",
                 "aldrig 'noget botten", "sagde 'åbent'", "slot borgergruppe",
                 "ikke oprettet en sag"):
        assert part in failures
    transcript = report["dialogues"][0]["transcript"]
    assert transcript[0] == {"from": "user", "text": "hvornår har I åbent", "intent": "aabningstid"}


def test_a_malformed_dialogue_file_names_file_dialogue_and_key(tmp_path: Path) -> None:
    bad = "dialogues:\n  - name: x\n    turns:\n      - user: hej\n        sayz: [a]\n"
    result = kcbot("test", str(_write(tmp_path, bad)))
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "d.yml" in err and "dialogues[0] (x).turns[0]" in err and "sayz" in err
    assert "Traceback" not in err


def test_two_wrong_answers_lead_to_a_person_not_a_third_question(tmp_path: Path) -> None:
    wrong = """
dialogues:
  - name: svarer_forkert
    profile: {borgergruppe: "blå"}
    turns:
      - user: "jeg skal melde afbud til min jobsamtale"
      - user: "grøn"
"""
    report = json.loads(kcbot("test", "--json", str(_write(tmp_path, wrong))).stdout)
    assert report["dialogues"][0]["asked"] == ["borgergruppe", "borgergruppe", "bekraeftelse"]


def test_the_runner_fails_a_dialogue_where_a_slot_is_asked_a_third_time(tmp_path: Path) -> None:
    thrice = """
dialogues:
  - name: spurgt_tre_gange
    profile: {borgergruppe: "dagpenge"}
    turns:
      - user: "jeg skal melde afbud til min jobsamtale"
      - user: "hvornår har I åbent?"
      - user: "grøn"
"""
    report = json.loads(kcbot("test", "--json", str(_write(tmp_path, thrice))).stdout)
    assert report["failed"] == 1
    assert "borgergruppe for 3. gang" in report["dialogues"][0]["failures"][0]
