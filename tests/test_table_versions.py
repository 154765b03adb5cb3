"""Dated versions of the rule table and the registrations: the one in force on the
conversation's date is used, a broken version set is refused at load, and `kcbot content --on`
lists what changes on a day."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kcbot.actions.afbud import decide
from kcbot.dialogue.versions import check_registrations, check_rules, check_tables, registration
from kcbot.errors import DataError
from kcbot.yamlio import load_yaml
from tests.conftest import REPO

DIALOGUES = REPO / "dialogues"
OLD, NEW = date(2026, 12, 31), date(2027, 1, 1)


def test_a_dated_rule_decides_only_while_in_force() -> None:
    table = {
        "rules": [
            {"id": "ny", "if": {"borgergruppe": "dagpenge"}, "afgoerelse": "overdrag",
             "valid_from": NEW, "source": "s", "reviewed": OLD},
            {"id": "gammel", "if": {"borgergruppe": "dagpenge"}, "afgoerelse": "godkendt"},
        ],
        "default": {"id": "ingen", "afgoerelse": "overdrag"},
    }
    assert decide({"borgergruppe": "dagpenge"}, table, OLD)["id"] == "gammel"
    assert decide({"borgergruppe": "dagpenge"}, table, NEW)["id"] == "ny"


def test_the_registration_in_force_on_the_date_is_used() -> None:
    table = {"registreringer": {"x": [
        {"tekst": "før", "valid_to": OLD, "kilde": "a", "reviewed": OLD},
        {"tekst": "efter", "valid_from": NEW, "kilde": "b", "reviewed": OLD},
    ], "y": {"tekst": "altid"}}}
    assert registration(table, "x", OLD)["tekst"] == "før"
    assert registration(table, "x", NEW)["tekst"] == "efter"
    assert registration(table, "y", NEW)["tekst"] == "altid"
    assert registration(table, "z", NEW) is None


@pytest.mark.parametrize(
    ("versions", "problem"),
    [
        ([{"valid_to": OLD, "kilde": "a", "reviewed": OLD},
          {"valid_from": OLD, "kilde": "b", "reviewed": OLD}], "begge den 2026-12-31"),
        ([{"valid_to": date(2026, 12, 30), "kilde": "a", "reviewed": OLD},
          {"valid_from": NEW, "kilde": "b", "reviewed": OLD}], "dagen efter 2026-12-30"),
        ([{"valid_to": OLD, "kilde": "a", "reviewed": OLD}], "dække alle datoer"),
        ([{"valid_to": OLD}, {"valid_from": NEW, "kilde": "b", "reviewed": OLD}],
         "'kilde' og 'reviewed'"),
        ([{"valid_to": "snart", "kilde": "a", "reviewed": OLD}], "dato"),
    ],
)
def test_a_broken_registration_version_set_is_refused(versions, problem) -> None:
    with pytest.raises(DataError, match=problem) as error:
        check_registrations("registreringer.yml", {"registreringer": {"afbud": versions}})
    assert "registreringer.afbud" in str(error.value)


def test_a_dated_rule_needs_a_source_and_may_not_overlap_itself() -> None:
    with pytest.raises(DataError, match="'source' og 'reviewed'"):
        check_rules("afbud_regler.yml", {"rules": [{"id": "a", "valid_from": NEW}]})
    with pytest.raises(DataError, match="begge"):
        check_rules("afbud_regler.yml", {"rules": [
            {"id": "a", "valid_to": NEW, "source": "s", "reviewed": OLD},
            {"id": "a", "valid_from": NEW, "source": "s", "reviewed": OLD}]})


def test_the_engine_refuses_a_broken_registration_file_at_load(tmp_path: Path) -> None:
    copy = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, copy)
    path = copy / "registreringer.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  forsinkelse:\n", "  forsinkelse:\n    valid_from: 2027-01-01\n",
                                 1), encoding="utf-8")
    with pytest.raises(DataError, match="forsinkelse"):
        check_tables(copy)


def test_the_shipped_tables_load() -> None:
    check_tables(DIALOGUES)
    assert load_yaml(DIALOGUES / "registreringer.yml")["registreringer"]


def test_content_on_lists_what_changes_that_day() -> None:
    import json

    from tests.test_cli import kcbot

    changes = json.loads(kcbot("content", "--on", "2027-01-01", "--json").stdout)
    kinds = {(c["kind"], c["name"], c["change"]) for c in changes}
    assert ("tekst", "utter_genregistrering", "gælder fra") in kinds
    assert ("tekst", "utter_genregistrering", "udgår") in kinds
    assert ("regel", "dagpenge_gyldig_grund", "udgår") in kinds
    assert ("regel", "dagpenge_grund_videresendes_2027", "gælder fra") in kinds
    assert ("registrering", "udeblivelse_dagpenge", "gælder fra") in kinds
    assert all(c["source"] and c["reviewed"] for c in changes)
    # nothing changes on an ordinary day, and a bad date is a Danish error
    assert json.loads(kcbot("content", "--on", "2026-12-15", "--json").stdout) == []
    text = kcbot("content", "--on", "2027-01-01").stdout.decode()
    assert "Tekster (" in text and "Regler (" in text and "Registreringer (" in text
    bad = kcbot("content", "--on", "i morgen")
    assert bad.returncode != 0 and "ikke en dato" in bad.stderr.decode()
