"""Registrations the bot makes for the citizen: a message in the outbox, and the slots the
journal note cites. What is sent, to whom, and under which rule is data
(``dialogues/registreringer.yml``); each registration is a small named action.

A registration's date is the citizen's ("syg siden i mandags"), checked against the window in
the data file by ``action_tjek_dato_<registrering>`` before the flow reads it back for a "ja";
the journal note gets the facts the rule used (``fakta``), so a caseworker can check it."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import content, current, recipients
from kcbot.dialogue.versions import registration
from kcbot.errors import DataError
from kcbot.privacy import is_full_cpr

__all__ = [
    "GROUP_LABELS", "DatoTjek", "Registrering", "facts", "fill", "identity", "meeting",
    "spec_for",
]

FILE = "registreringer.yml"
LOCALE = "da_DK"
GROUP_LABELS = {
    "dagpenge": "dagpenge", "kontanthjaelp": "kontanthjælp", "sygedagpenge": "sygedagpenge",
    "ledighedsydelse": "ledighedsydelse", "revalidering": "revalidering",
}
MOEDE_LABELS = {
    "jobsamtale": "jobsamtale", "tilbud": "tilbud", "opfoelgning": "opfølgningssamtale",
    "jobklub": "jobklub",
}
CORRECTION_NOTE = "RETTELSE – erstatter beskeden fra samme samtale lige før."
_FIELD = re.compile(r"\{([a-z_]+)\}")


def identity(slots: dict[str, Any]) -> dict[str, Any]:
    """Who the citizen is, for ``Store.add_outbox``: the name, the CPR number (full only in
    the turn it was given or verified in; the store encrypts it) and how it is known."""
    cpr = slots.get("cpr")
    known = slots.get("identitet") or ("oplyst" if is_full_cpr(cpr) else None)
    return {"navn": slots.get("navn"), "cpr": cpr, "identitet": known if cpr else None}


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The slots whose values a caseworker needs to check a settlement, in the order read.
FACT_SLOTS = (("moedetype", "møde"), ("afbud_kategori", "grund"), ("afmelding_aarsag", "årsag"),
              ("sygemeldt_fra", "sygemeldt fra"), ("varighed", "varighed"))
DATE_SLOTS = (("moededato", "mødedato"), ("fra_dato", "fra"), ("afmeldingsdato", "afmeldt fra"))


def meeting(slots: dict[str, Any]) -> str:
    """'jobsamtale den 25.11.2026', or as much of it as is known."""
    kind = MOEDE_LABELS.get(str(slots.get("moedetype")), "mødet")
    when = slots.get("moededato")
    return f"{kind} den {when}" if when else kind


def _date_text(value: Any) -> str:
    text = str(value)
    if _ISO.match(text):
        return format_date(date.fromisoformat(text), "d. MMMM y", locale=LOCALE)
    return text


# The citizen's own words never leave in a message: a template naming one of these slots gets
# the category instead ("sygdom"), whatever dialogues/registreringer.yml says.
FREE_TEXT_SLOTS = ("afbud_grund", "beskrivelse")


def fill(template: str, slots: dict[str, Any], today: Any) -> str:
    values = {k: _date_text(v) for k, v in slots.items() if v is not None}
    for slot in FREE_TEXT_SLOTS:
        if slot in values:
            values[slot] = str(slots.get("afbud_kategori") or "oplyst")
    values["gruppe"] = GROUP_LABELS.get(str(slots.get("borgergruppe")), "ukendt ydelse")
    values["i_dag"] = format_date(today, "d. MMMM y", locale=LOCALE)
    values["moede"] = meeting(slots)
    return _FIELD.sub(lambda m: values.get(m.group(1), "ukendt"), template)


def facts(slots: dict[str, Any], today: date, registered: bool = True) -> str:
    """The facts a rule used, for the journal: group, dates against today, reason, whether the
    citizen confirmed. "gruppe: dagpenge; mødedato: 2026-11-25 (i dag 2026-11-24, om 1 dag) …"."""
    parts = [f"gruppe: {slots.get('borgergruppe') or 'ukendt'}"]
    for slot, label in DATE_SLOTS:
        value = slots.get(slot)
        if value and _ISO.match(str(value)):
            days = (date.fromisoformat(str(value)) - today).days
            when = ("i dag" if days == 0 else "i morgen" if days == 1 else "i går" if days == -1
                    else f"om {days} dage" if days > 0 else f"{-days} dage siden")
            parts.append(f"{label}: {value} (i dag {today.isoformat()}, {when})")
    for slot, label in FACT_SLOTS:
        if slots.get(slot):
            parts.append(f"{label}: {slots[slot]}")
    if slots.get("grund_klar"):
        parts.append(f"grunden entydig: {slots['grund_klar']}")
    if registered:
        parts.append(f"bekræftet af borgeren: {slots.get('bekraeftelse') or 'nej'}")
    return "; ".join(parts)


def spec_for(registrering: str, on: date | None = None) -> dict[str, Any]:
    """The version of a registration in force on ``on`` (the conversation's date)."""
    spec = registration(content(FILE), registrering, on or date.today())
    if not isinstance(spec, dict):
        raise DataError(FILE, f"registreringer.{registrering}", "mangler")
    return spec


class _Named(Action, ABC):
    @property
    @abstractmethod
    def registrering(self) -> str: ...


class DatoTjek(_Named):
    """The date a registration is for: the citizen's own, today if they gave none; and whether
    it lies in the window the bot may register (``dato_status``: ok, for_tidligt, for_sent)."""

    def name(self) -> str:
        return f"action_tjek_dato_{self.registrering}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            today = context.clock.today()
        rule = spec_for(self.registrering, today).get("dato") or {}
        slot = str(rule.get("slot"))
        value = tracker.get_slot(slot)
        if value is None and rule.get("standard") == "i_dag":
            value = today.isoformat()
        try:
            when = date.fromisoformat(str(value))
        except ValueError:
            return [SlotSet(slot, None), SlotSet("dato_status", "ugyldig")]
        status = "ok"
        if "tidligst" in rule and when < today + timedelta(days=int(rule["tidligst"])):
            status = "for_tidligt"
        elif "senest" in rule and when > today + timedelta(days=int(rule["senest"])):
            status = "for_sent"
        return [SlotSet(slot, when.isoformat()), SlotSet("dato_status", status)]


class Registrering(_Named):
    """Register ``registrering`` from the data file. Subclasses only name it."""

    def name(self) -> str:
        return f"action_registrer_{self.registrering}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = dict(tracker.slots)
        async with current() as context:
            today = context.clock.today()
            spec = spec_for(self.registrering, today)
            conversation_id = await context.conversation_for(tracker.sender_id)
            if spec["modtager"] not in recipients():
                raise DataError(FILE, f"registreringer.{self.registrering}.modtager",
                                f"'{spec['modtager']}' findes ikke i modtagere.yml")
            if spec["modtager"] == "brev" and not is_full_cpr(slots.get("cpr")):
                raise DataError(FILE, f"registreringer.{self.registrering}",
                                "et brev kræver det fulde CPR-nummer fra samme tur")
            subject, text = fill(spec["emne"], slots, today), fill(spec["tekst"], slots, today)
            if slots.get("rettelse"):  # the citizen corrected a registration just made
                subject, text = f"Rettelse: {subject}", f"{CORRECTION_NOTE} {text}"
            await context.store.add_outbox(
                conversation_id, spec["modtager"], subject, text,
                regel=fill(spec["regel"], slots, today), **identity(slots),
            )
        return [
            SlotSet("afgoerelse", fill(spec["afgoerelse"], slots, today)),
            SlotSet("regel", fill(spec["regel"], slots, today)),
            SlotSet("kilde", spec["kilde"]),
            SlotSet("sendt_til", spec["modtager"]),
            SlotSet("fakta", facts(slots, today)),
        ]


class RegistrerSygemelding(Registrering):
    registrering = "sygemelding"  # type: ignore[assignment]


class RegistrerRaskmelding(Registrering):
    registrering = "raskmelding"  # type: ignore[assignment]


class RegistrerUdeblivelseDagpenge(Registrering):
    registrering = "udeblivelse_dagpenge"  # type: ignore[assignment]


class RegistrerUdeblivelseKontanthjaelp(Registrering):
    registrering = "udeblivelse_kontanthjaelp"  # type: ignore[assignment]


class RegistrerAfmelding(Registrering):
    registrering = "afmelding"  # type: ignore[assignment]


class RegistrerAfbud(Registrering):
    registrering = "afbud"  # type: ignore[assignment]


class TjekDatoSygemelding(DatoTjek):
    registrering = "sygemelding"  # type: ignore[assignment]


class TjekDatoRaskmelding(DatoTjek):
    registrering = "raskmelding"  # type: ignore[assignment]


class TjekDatoAfmelding(DatoTjek):
    registrering = "afmelding"  # type: ignore[assignment]


class RegistrerForsinkelse(Registrering):
    registrering = "forsinkelse"  # type: ignore[assignment]


class RegistrerJobnetBrev(Registrering):
    registrering = "jobnet_brev"  # type: ignore[assignment]


class RegistrerFravaer(Registrering):
    registrering = "fravaer"  # type: ignore[assignment]


class TjekDatoFravaer(DatoTjek):
    registrering = "fravaer"  # type: ignore[assignment]
