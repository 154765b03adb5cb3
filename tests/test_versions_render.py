"""Every version of every text, rule and registration is used on one side of 1 January 2027 or
the other, and renders for every citizen group without a placeholder left over."""

from __future__ import annotations

import re
from datetime import date

import pytest

from kcbot.actions.afbud import decide
from kcbot.actions.registrering import fill
from kcbot.dialogue import load_domain
from kcbot.dialogue.domain import Domain
from kcbot.dialogue.versions import in_force, registration
from kcbot.yamlio import load_yaml
from tests.conftest import REPO

DIALOGUES = REPO / "dialogues"
SIDES = (date(2026, 12, 31), date(2027, 1, 1))
_LEFT_OVER = re.compile(r"\{[A-Za-z_]+\}")


def _groups(domain: Domain) -> list[str]:
    return list(domain.slots["borgergruppe"].values)


def _slots(group: str, on: date) -> dict[str, object]:
    """A conversation's facts, as a flow would have them when a text is said."""
    return {
        "borgergruppe": group, "moedetype": "jobsamtale", "moededato": on.isoformat(),
        "fra_dato": on.isoformat(), "afmeldingsdato": on.isoformat(), "afbud_kategori": "sygdom",
        "afmelding_aarsag": "job", "grund_tekst": "sygdom", "navn": "Mette Hansen",
        "telefon": "20304050", "ticket_id": "KC-2026-000001", "frist": "torsdag kl. 16",
        "cpr_maskeret": "150390-XXXX", "aabningstid_i_dag": "Vi har åbent i dag.",
        "aabningstid_uge": "mandag 7.30–16", "telefon_jobcenter": "82 56 56 82",
        "rettet": "torsdag", "andet_emne": "ferie", "lukket_dag": "Lørdag",
        "privatliv_url": "https://www.kk.dk/persondata", "opbevaring_dage": 30,
        # the seeds' other calls (issue 14)
        "fravaer_type": "faedreorlov", "brevtype": "moede", "jobnet_emne": "cv",
        "ordning": "fleksjob", "hjulpet": "ja",
    }


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain(DIALOGUES)


@pytest.mark.parametrize("on", SIDES, ids=lambda d: d.isoformat())
def test_every_response_renders_for_every_group(domain: Domain, on: date) -> None:
    for group in _groups(domain):
        slots = _slots(group, on)
        with domain.selecting(on, slots):
            for name in domain.responses:
                variant = domain.variant(name)
                assert in_force(variant.get("metadata") or {}, on), (name, on)
                text = domain.render(name, slots).text
                assert text.strip(), (name, group, on)
                assert not _LEFT_OVER.search(text), (name, group, on, text)


def test_every_dated_version_is_in_force_on_one_side(domain: Domain) -> None:
    """No dated text is unreachable: the shipped versions change on 1 January 2027 only."""
    for name, variants in domain.responses.items():
        for variant in variants:
            if variant.get("condition"):
                continue
            meta = variant.get("metadata") or {}
            assert any(in_force(meta, on) for on in SIDES), name


@pytest.mark.parametrize("on", SIDES, ids=lambda d: d.isoformat())
def test_every_registration_and_rule_version_loads_and_fills(domain: Domain, on: date) -> None:
    table = load_yaml(DIALOGUES / "registreringer.yml")
    rules = load_yaml(DIALOGUES / "afbud_regler.yml")
    for group in _groups(domain):
        slots = _slots(group, on) | {"afbud_afgoerelse": "videresendt", "afbud_regel": "x",
                                     "afbud_note": "y", "moede_naar": "i_morgen",
                                     "grund_klar": "ja"}
        for name in table["registreringer"]:
            spec = registration(table, name, on)
            assert spec is not None, (name, on)
            for key in ("emne", "tekst", "afgoerelse", "regel"):
                assert "ukendt" not in fill(spec[key], slots, on), (name, key, group, on)
        for kind in ("jobsamtale", "tilbud", "opfoelgning", "jobklub"):
            rule = decide(slots | {"moedetype": kind}, rules, on)
            assert rule["afgoerelse"] in ("godkendt", "videresendt", "overdrag")


def test_the_dagpenge_rules_change_on_the_first_of_january() -> None:
    rules = load_yaml(DIALOGUES / "afbud_regler.yml")
    slots = {"borgergruppe": "dagpenge", "moedetype": "jobsamtale", "afbud_kategori": "sygdom",
             "moede_naar": "i_morgen", "grund_klar": "ja", "indkaldt_af": "kommune"}
    assert decide(slots, rules, SIDES[0])["afgoerelse"] == "godkendt"
    assert decide(slots, rules, SIDES[1])["afgoerelse"] == "videresendt"
    # a sickness afbud from a sygedagpenge recipient is the caseworker's on both sides
    for on in SIDES:
        assert decide(slots | {"borgergruppe": "sygedagpenge"}, rules, on)["afgoerelse"] == \
            "overdrag"
