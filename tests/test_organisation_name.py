"""What the texts call the organisation is configuration: ``{org}``/``{Org}``/``{org_navn}``
from dialogues/organisation.yml, overridden by KCBOT_ORG and KCBOT_ORG_NAVN (from 2027 the law
says "kommunen"; Københavns Kommune may keep "Jobcenter København")."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kcbot.dialogue import load_domain
from kcbot.errors import DataError
from tests.conftest import REPO

DIALOGUES = REPO / "dialogues"


def test_the_defaults_keep_todays_words() -> None:
    domain = load_domain(DIALOGUES)
    assert domain.render("utter_velkommen", {}).text.startswith(
        "Hej, du skriver med Jobcenter Københavns chatbot.")
    assert "giver jobcentret besked" in domain.render("utter_bekraeft_sygemelding", {}).text


def test_the_settings_rename_the_organisation_in_every_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCBOT_ORG", "kommunen")
    monkeypatch.setenv("KCBOT_ORG_NAVN", "Københavns Kommune")
    domain = load_domain(DIALOGUES)
    assert domain.render("utter_velkommen", {}).text.startswith(
        "Hej, du skriver med Københavns Kommunes chatbot.")
    assert "giver kommunen besked" in domain.render("utter_bekraeft_sygemelding", {}).text
    # at a sentence's start the name gets a capital letter
    assert domain.render("utter_identitet_formaal", {}).text.startswith("Kommunen skal vide")
    rendered = [domain.render(name, {}).text for name in domain.responses]
    assert not [t for t in rendered if re.search(r"\bjobcentret\b", t, re.I)
                and "kommunen" not in t.lower()]


def test_no_text_names_the_jobcentre_without_the_placeholder() -> None:
    domain = load_domain(DIALOGUES)
    literal = [name for name, variants in domain.responses.items() for v in variants
               if re.search(r"\bjobcentret\b|Jobcenter København", v["text"], re.I)
               and "kommunen" not in v["text"].lower()]
    assert not literal, f"brug {{org}} / {{org_navn}}: {literal}"


def test_a_name_file_without_names_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, copy)
    (copy / "organisation.yml").write_text("navne: [jobcentret]\n", encoding="utf-8")
    with pytest.raises(DataError, match="navne"):
        load_domain(copy)
