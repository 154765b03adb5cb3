"""Registrations the bot makes for the citizen: a message in the outbox, and the slots the
journal note cites. What is sent, to whom, and under which rule is data
(``dialogues/registreringer.yml``); each registration is a small named action."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import content, current
from kcbot.clock import TZ
from kcbot.delivery.recipients import configured as recipients
from kcbot.errors import DataError
from kcbot.privacy import is_full_cpr

__all__ = ["GROUP_LABELS", "Registrering", "fill", "identity", "meeting"]

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


def meeting(slots: dict[str, Any]) -> str:
    """'jobsamtale den 25.11.2026', or as much of it as is known."""
    kind = MOEDE_LABELS.get(str(slots.get("moedetype")), "mødet")
    when = slots.get("moededato")
    return f"{kind} den {when}" if when else kind


# The citizen's own words never leave in a message: a template naming one of these slots gets
# the category instead ("sygdom"), whatever dialogues/registreringer.yml says.
FREE_TEXT_SLOTS = ("afbud_grund", "beskrivelse")


def fill(template: str, slots: dict[str, Any], today: Any) -> str:
    values = {k: str(v) for k, v in slots.items() if v is not None}
    for slot in FREE_TEXT_SLOTS:
        if slot in values:
            values[slot] = str(slots.get("afbud_kategori") or "oplyst")
    values["gruppe"] = GROUP_LABELS.get(str(slots.get("borgergruppe")), "ukendt ydelse")
    values["i_dag"] = format_date(today, "d. MMMM y", locale=LOCALE)
    values["moede"] = meeting(slots)
    return _FIELD.sub(lambda m: values.get(m.group(1), "ukendt"), template)


class Registrering(Action, ABC):
    """Register ``registrering`` from the data file. Subclasses only name it."""

    @property
    @abstractmethod
    def registrering(self) -> str: ...

    def name(self) -> str:
        return f"action_registrer_{self.registrering}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        spec = (content(FILE).get("registreringer") or {}).get(self.registrering)
        if not isinstance(spec, dict):
            raise DataError(FILE, f"registreringer.{self.registrering}", "mangler")
        slots = dict(tracker.slots)
        async with current() as context:
            today = context.clock.now().astimezone(TZ).date()
            conversation_id = await context.conversation_for(tracker.sender_id)
            if spec["modtager"] not in recipients():
                raise DataError(FILE, f"registreringer.{self.registrering}.modtager",
                                f"'{spec['modtager']}' findes ikke i modtagere.yml")
            if spec["modtager"] == "brev" and not is_full_cpr(slots.get("cpr")):
                raise DataError(FILE, f"registreringer.{self.registrering}",
                                "et brev kræver det fulde CPR-nummer fra samme tur")
            subject, text = spec["emne"], fill(spec["tekst"], slots, today)
            if slots.get("rettelse"):  # the citizen corrected a registration just made
                subject, text = f"Rettelse: {subject}", f"{CORRECTION_NOTE} {text}"
            await context.store.add_outbox(
                conversation_id, spec["modtager"], subject, text, regel=spec["regel"],
                **identity(slots),
            )
        return [
            SlotSet("afgoerelse", spec["afgoerelse"]),
            SlotSet("regel", spec["regel"]),
            SlotSet("kilde", spec["kilde"]),
            SlotSet("sendt_til", spec["modtager"]),
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


class RegistrerForsinkelse(Registrering):
    registrering = "forsinkelse"  # type: ignore[assignment]


class RegistrerJobnetBrev(Registrering):
    registrering = "jobnet_brev"  # type: ignore[assignment]
