"""Opening hours, answered from the calendar so closing days and holidays are always right."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current
from kcbot.language import Language, languages

__all__ = ["ActionAabningstid", "today_status"]


def _hours(day: Any) -> str:
    return f"{day.opens:%H.%M}–{day.closes:%H.%M}"


def today_status(calendar: Any, now: datetime, language: Language | str | None = None) -> str:
    """Today's hours, or when the centre opens again, in one sentence in the conversation's
    language (the sentences are in dialogues/sprog.yml)."""
    lang = language if isinstance(language, Language) else languages().get(language)
    today = calendar.day(now.date())
    if today.is_open and now.time() < today.closes:
        if now.time() < today.opens:
            return lang.text("aabner_i_dag", aabner=f"{today.opens:%H.%M}",
                             lukker=f"{today.closes:%H.%M}")
        return lang.text("aabent_i_dag", timer=_hours(today))
    reopens = calendar.next_opening(now)
    when = lang.date(reopens.date(), "dag")
    closed = (lang.text("lukket_helligdag", navn=today.name)
              if today.name and not today.is_open else lang.text("lukket_nu"))
    return f"{closed} {lang.text('aabner_igen', dag=when, tid=f'{reopens:%H.%M}')}"


class ActionAabningstid(Action):
    def name(self) -> str:
        return "action_aabningstid"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            now = context.clock.now()
            calendar = context.calendar
        lang = languages().get(tracker.get_slot("sprog"))
        status = [today_status(calendar, now, lang)]
        tomorrow = calendar.day(now.date() + timedelta(days=1))
        if not tomorrow.is_open and tomorrow.name:
            status.append(lang.text("lukket_i_morgen", navn=tomorrow.name))
        week = []
        for offset in range(1, 8):
            day = calendar.day(now.date() + timedelta(days=offset))
            label = lang.date(day.day, "ugedag")
            hours = _hours(day) if day.is_open else lang.text("lukket")
            named = f" ({lang.text('helligdag', navn=day.name)})" if day.name else ""
            week.append(f"{label}: {hours}{named}")
        return [SlotSet("aabningstid_i_dag", " ".join(status)),
                SlotSet("aabningstid_uge", "\n".join(week)),
                SlotSet("telefon_jobcenter", calendar.phone)]
