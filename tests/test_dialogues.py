"""Every dialogue in tests/dialogues/ is a test of its own, named after the dialogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcbot.config import Settings
from kcbot.dialogue import Engine
from kcbot.dialogue.scripted import DialogueSpec, load_dialogues, run_dialogue
from tests.conftest import REPO

FILES = sorted((REPO / "tests" / "dialogues").glob("*.yml"))
SPECS = [spec for path in FILES for spec in load_dialogues(path)]


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s.path.stem}:{s.name}" for s in SPECS])
async def test_dialogue(engine: Engine, spec: DialogueSpec) -> None:
    result = await run_dialogue(engine, spec)
    transcript = "\n".join(f"{t['from']}: {t['text']}" for t in result.transcript)
    assert result.passed, "\n".join(result.failures) + "\n\n" + transcript


TWO_FIRST_TICKETS = """
dialogues:
  - name: foerste_opringning
    now: "2026-11-24T09:15"
    profile: {beskrivelse: "min plan", navn: "Ib Holm", telefon: "20304050",
              borgergruppe: "dagpenge", bekraeftelse: "ja"}
    turns:
      - user: "ring mig op"
    expect:
      outcome: overdraget
      says: ["KC-2026-000001"]
  - name: anden_opringning_ser_ikke_den_foerste
    now: "2026-11-24T09:20"
    profile: {beskrivelse: "min ydelse", navn: "Ida Friis", telefon: "61626364",
              borgergruppe: "kontanthjælp", bekraeftelse: "ja"}
    turns:
      - user: "ring mig op"
    expect:
      outcome: overdraget
      says: ["KC-2026-000001"]
"""


async def test_kcbot_test_runs_each_dialogue_on_a_store_of_its_own(tmp_path: Path, nlu) -> None:
    # `kcbot test` (run_files) must judge a dialogue as this suite does, where every dialogue
    # has a fresh store: a ticket an earlier dialogue made must not change the next one's number.
    from kcbot.dialogue.scripted import run_files

    path = tmp_path / "to.yml"
    path.write_text(TWO_FIRST_TICKETS, encoding="utf-8")
    results = await run_files([path], Settings(db_path=tmp_path / "x.sqlite3"), nlu)
    assert [(r.name, r.failures) for r in results] == [
        ("foerste_opringning", []), ("anden_opringning_ser_ikke_den_foerste", []),
    ]


def test_kcbot_test_agrees_with_the_suite_on_a_file_whose_dialogues_make_tickets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], nlu) -> None:
    from kcbot.cli import main

    # nlu: the model is in the session's cache before the command loads it
    code = main(["test", str(REPO / "tests" / "dialogues" / "medarbejder.yml"),
                 "--db", str(tmp_path / "x.sqlite3")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FEJL" not in out


def test_an_expected_number_is_matched_as_a_whole_number() -> None:
    from kcbot.dialogue.scripted import says

    # "not_says: 112" must not fail on a case number that happens to end in 112
    assert not says("Dit sagsnummer er KC-2026-000112.", "112")
    assert says("Ring 112, hvis det haster.", "112")
    assert says("Ring til Livslinien på 70 201 201.", "70 201 201")
    assert not says("Ring på 70 201 2010.", "70 201 201")
    assert says("Jeg har registreret din sygemelding.", "sygemeld")
    assert says("I dag har vi åbent 07.30–15.00.", "15.00")
    assert says("I dag har vi åbent 07.30–15.00.", "15")
    assert says("Ring på 82565682.", "82 56 56 82")
    assert says("Din sag har nummer KC-2026-000112.", "Din sag har nummer KC-2026-0")
