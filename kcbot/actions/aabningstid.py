"""Opening hours, answered from the calendar so closing days and holidays are always right."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current

__all__ = ["ActionAabningstid", "today_status"]

LOCALE = "da_DK"


def _hours(day: Any) -> str:
    return f"{day.opens:%H.%M}–{day.closes:%H.%M}"


def today_status(calendar: Any, now: datetime) -> str:
    """Today's hours, or when the centre opens again, in one Danish sentence."""
    today = calendar.day(now.date())
    if today.is_open and now.time() < today.closes:
        if now.time() < today.opens:
            return f"I dag åbner vi kl. {today.opens:%H.%M} og har åbent til {today.closes:%H.%M}."
        return f"I dag har vi åbent {_hours(today)}."
    reopens = calendar.next_opening(now)
    when = format_date(reopens.date(), "EEEE 'den' d. MMMM", locale=LOCALE)
    closed = f"I dag, {today.name}, har vi lukket." if today.name and not today.is_open else (
        "Vi har lukket nu.")
    return f"{closed} Vi åbner igen {when} kl. {reopens:%H.%M}."


class ActionAabningstid(Action):
    def name(self) -> str:
        return "action_aabningstid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            now = context.clock.now()
            calendar = context.calendar
        status = [today_status(calendar, now)]
        tomorrow = calendar.day(now.date() + timedelta(days=1))
        if not tomorrow.is_open and tomorrow.name:
            status.append(f"I morgen, {tomorrow.name}, har vi lukket.")
        week = []
        for offset in range(1, 8):
            day = calendar.day(now.date() + timedelta(days=offset))
            label = format_date(day.day, "EEEE d. MMMM", locale=LOCALE)
            hours = _hours(day) if day.is_open else "lukket"
            week.append(f"{label}: {hours}" + (f" ({day.name})" if day.name else ""))
        return [SlotSet("aabningstid_i_dag", " ".join(status)),
                SlotSet("aabningstid_uge", "\n".join(week)),
                SlotSet("telefon_jobcenter", calendar.phone)]
