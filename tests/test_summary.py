"""``kcbot test --summary``: pass rates overall, per flow and per failure kind."""

from __future__ import annotations

import json
from pathlib import Path

from kcbot.dialogue.scripted import FAILURE_KINDS, DialogueResult
from kcbot.dialogue.summary import summarise
from tests.test_cli import kcbot

FIXTURE = """
dialogues:
  - name: aabningstid_bestaar
    now: "2026-11-24T09:15"
    turns:
      - user: "hvornår har I åbent?"
    expect:
      outcome: straksafklaret
      ticket: none

  - name: ferie_forkert_sag
    flow: ferie
    now: "2026-11-24T09:15"
    profile: {borgergruppe: "dagpenge"}
    turns:
      - user: "jeg vil gerne holde ferie"
    expect:
      outcome: straksafklaret
      ticket: {queue: jobcenter, category: ferie}
"""


def _result(name: str, flow: str, kinds: list[str]) -> DialogueResult:
    return DialogueResult(name, [f"fejl {k}" for k in kinds], None, {}, [], None, [],
                          kinds=kinds, flow=flow)


def test_summary_counts_flows_and_main_and_all_kinds() -> None:
    summary = summarise([
        _result("a", "afbud", []),
        _result("b", "afbud", ["text", "slot", "outcome"]),
        _result("c", "ferie", ["asked_again", "outcome"]),
        _result("d", "ferie", []),
        _result("e", "ferie", []),
    ])
    assert (summary.total, summary.passed) == (5, 3)
    assert [(f.flow, f.passed, f.total) for f in summary.flows] == [("ferie", 2, 3),
                                                                  ("afbud", 1, 2)]
    assert summary.main_kinds == {"slot": 1, "asked_again": 1}
    assert summary.any_kinds == {"text": 1, "slot": 1, "outcome": 2, "asked_again": 1}
    data = summary.as_dict()
    assert data["pass_rate"] == 0.6
    assert [k["kind"] for k in data["failure_kinds"]] == list(FAILURE_KINDS)
    assert "Bestået: 3 af 5 (60.0%)" in summary.report()


def test_the_command_summarises_a_pass_and_a_wrong_ticket(tmp_path: Path) -> None:
    path = tmp_path / "korpus.yml"
    path.write_text(FIXTURE, encoding="utf-8")
    text = kcbot("test", "--summary", str(path))
    out = text.stdout.decode()
    assert text.returncode == 1, text.stderr.decode()
    assert "Bestået: 1 af 2 (50.0%)" in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["aabningstid"][:2] == ["1", "1"] and lines["ferie"][:2] == ["0", "1"]
    assert lines["ticket"][:2] == ["1", "1"] and lines["outcome"][:2] == ["0", "0"]

    report = json.loads(kcbot("test", "--summary", "--json", str(path)).stdout)
    summary = report["summary"]
    assert (summary["total"], summary["passed"], summary["pass_rate"]) == (2, 1, 0.5)
    assert {f["flow"]: f["passed"] for f in summary["flows"]} == {"aabningstid": 1, "ferie": 0}
    kinds = {k["kind"]: (k["main"], k["any"]) for k in summary["failure_kinds"]}
    assert kinds["ticket"] == (1, 1) and sum(m for m, _ in kinds.values()) == 1
    failed = next(d for d in report["dialogues"] if not d["passed"])
    assert failed["kind"] == "ticket" and failed["flow"] == "ferie"
    assert failed["flows"] == ["ferie"]


KINDS_FIXTURE = """
dialogues:
  - name: spurgt_om_det_kendte
    now: "2026-11-24T09:15"
    profile: {borgergruppe: "dagpenge"}
    turns:
      - user: "hvordan holder jeg ferie"
    expect:
      asked_not: [borgergruppe]

  - name: forkert_emne
    flow: afbud
    now: "2026-11-24T09:15"
    turns:
      - user: "hvornår har I åbent?"
    expect:
      outcome: overdraget
"""


async def test_failures_get_their_kinds(tmp_path: Path, nlu) -> None:
    from kcbot.config import Settings
    from kcbot.dialogue.scripted import run_files

    path = tmp_path / "k.yml"
    path.write_text(KINDS_FIXTURE, encoding="utf-8")
    asked, wrong_topic = await run_files([path], Settings(db_path=tmp_path / "x.sqlite3"), nlu)
    assert asked.kinds == ["asked_again"] and asked.flow == "ferie"
    assert wrong_topic.kinds == ["outcome", "intent"] and wrong_topic.kind == "intent"
    assert "flowet afbud blev aldrig startet (startede: aabningstid)" in wrong_topic.failures
