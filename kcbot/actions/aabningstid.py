"""Opening hours, answered from the calendar so closing days and holidays are always right."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from babel.dates import format_date
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current
from kcbot.clock import TZ

__all__ = ["ActionAabningstid"]

LOCALE = "da_DK"


def _hours(day: Any) -> str:
    return f"{day.opens:%H.%M}–{day.closes:%H.%M}"


class ActionAabningstid(Action):
    def name(self) -> str:
        return "action_aabningstid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            now = context.clock.now().astimezone(TZ)
            calendar = context.calendar
        today = calendar.day(now.date())
        if today.opens and today.closes and now.time() < today.closes:
            status = f"I dag har vi åbent {_hours(today)}."
        else:
            reason = f" ({today.name})" if today.name else ""
            nxt = calendar.day(calendar.next_business_day(now.date() + timedelta(days=1)))
            assert nxt.opens is not None
            when = format_date(nxt.day, "EEEE 'den' d. MMMM", locale=LOCALE)
            status = f"Vi har lukket nu{reason}. Vi åbner igen {when} kl. {nxt.opens:%H.%M}."
        week = []
        for offset in range(1, 7):
            day = calendar.day(now.date() + timedelta(days=offset))
            label = format_date(day.day, "EEEE d. MMM", locale=LOCALE)
            week.append(f"{label}: {_hours(day) if day.opens else 'lukket'}")
        return [SlotSet("aabningstid_i_dag", status), SlotSet("aabningstid_uge", "\n".join(week)),
                SlotSet("telefon_jobcenter", calendar.phone)]
