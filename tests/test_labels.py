"""The one label table: every code staff can meet has Danish words, and the console,
`kcbot tickets` and `kcbot report` show those words, never the code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kcbot.calendar import BusinessCalendar
from kcbot.config import data_path
from kcbot.errors import DataError
from kcbot.labels import Labels, code_for, label, labels, missing, when
from kcbot.nlu.data import INTENTS
from kcbot.store import Store
from kcbot.tickets import QUEUES, STATUSES, Routing, TicketService
from kcbot.yamlio import load_yaml
from tests.test_cli import kcbot


def _flow_names() -> list[str]:
    names = []
    for path in sorted((data_path("dialogues") / "flows").glob("*.yml")):
        names += list((load_yaml(path) or {}).get("flows", {}))
    return names


def test_every_code_has_a_danish_label() -> None:
    assert missing("status", STATUSES) == []
    assert missing("queue", QUEUES) == []
    assert missing("sla", ("rettidig", "forfalder_i_dag", "overskredet")) == []
    assert missing("topic", INTENTS) == []
    assert missing("topic", _flow_names()) == []
    # the system categories, including the crisis category (issue 12) and failed delivery
    assert missing("topic", ("udsendelse_fejlet", "krise", "uafklaret", "ukendt")) == []
    domain = load_yaml(data_path("dialogues") / "domain.yml")
    assert missing("borgergruppe", domain["slots"]["borgergruppe"]["values"]) == []
    assert missing("outcome", ("straksafklaret", "overdraget", "afbrudt")) == []
    for kind, entries in labels().table.items():
        for code, words in entries.items():
            assert isinstance(words, str) and words.strip(), (kind, code)


def test_words_from_the_issue() -> None:
    assert [label("status", s) for s in ("ny", "i_gang", "genaabnet", "afsluttet")] == [
        "Ny", "I gang", "Genåbnet", "Afsluttet"]
    assert [label("sla", s) for s in ("rettidig", "forfalder_i_dag", "overskredet")] == [
        "Rettidig", "Forfalder i dag", "Over fristen"]
    assert label("topic", "kontakt_sagsbehandler") == "Kontakt til sagsbehandler"
    assert label("topic", "jobnet_kode") == "Login på Jobnet"
    assert label("topic", "aabningstid") == "Åbningstid"
    assert label("borgergruppe", "kontanthjaelp") == "Kontanthjælp"
    assert code_for("status", "genåbnet") == "genaabnet"


def test_an_unknown_code_is_still_readable() -> None:
    assert label("topic", "ny_ordning") == "Ny ordning"
    assert label("borgergruppe", None) == "–"


def test_a_label_without_words_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "etiketter.yml"
    text = (data_path("dialogues") / "etiketter.yml").read_text(encoding="utf-8")
    assert "\n  ny: Ny\n" in text
    path.write_text(text.replace("\n  ny: Ny\n", "\n  ny:\n"), encoding="utf-8")
    with pytest.raises(DataError, match=r"status\.ny"):
        Labels.load(path)


def test_a_table_in_the_older_two_language_form_still_loads(tmp_path: Path) -> None:
    """A supervisor's own copy written before the English column went keeps working."""
    path = tmp_path / "etiketter.yml"
    text = (data_path("dialogues") / "etiketter.yml").read_text(encoding="utf-8")
    path.write_text(text.replace("\n  genaabnet: Genåbnet\n",
                                 "\n  genaabnet: {da: Genåbnet igen, en: Reopened}\n"),
                    encoding="utf-8")
    assert Labels.load(path).get("status", "genaabnet") == "Genåbnet igen"


def test_times_in_the_staff_style() -> None:
    assert when("2026-11-26T16:00:00+01:00") == "26. nov. 2026 16.00"


def test_the_tickets_command_shows_words_not_codes(tmp_path: Path, clock) -> None:
    db = tmp_path / "kcbot.sqlite3"

    async def seed() -> None:
        async with Store.connect(db, clock) as store:
            service = TicketService(store, BusinessCalendar.load(), Routing.load())
            await service.create(None, "kontakt_sagsbehandler", "ring mig op",
                                 borgergruppe="kontanthjaelp")

    asyncio.run(seed())
    now = ["--db", str(db), "--now", "2026-11-24T10:00"]
    listed = kcbot("tickets", "list", *now).stdout.decode()
    assert "Kontakt til sagsbehandler" in listed and "Jobcenter" in listed
    assert "Ny" in listed and "Rettidig" in listed
    assert "kontakt_sagsbehandler" not in listed and "rettidig" not in listed
    shown = kcbot("tickets", "show", "KC-2026-000001", *now).stdout.decode()
    assert "gruppe Kontanthjælp" in shown and "kontanthjaelp" not in shown
    assert "26. nov. 2026 16.00" in shown  # the deadline, in the staff style
