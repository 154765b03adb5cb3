"""Identity before a registration (the ``identitet`` flow): what the citizen is told first, and
the asked CPR number confirmed back masked."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import recipients
from kcbot.privacy import mask_cpr

__all__ = ["ActionIdentitetOplyst", "ActionPrivatliv"]


class ActionPrivatliv(Action):
    """The privacy page and the retention the citizen is told about, from modtagere.yml."""

    def name(self) -> str:
        return "action_privatliv"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        privacy = recipients().privacy
        return [SlotSet("privatliv_url", privacy.url),
                SlotSet("opbevaring_dage", privacy.opbevaring_dage)]


class ActionIdentitetOplyst(Action):
    """Name and CPR number were asked: note how they are known, and the masked form to show."""

    def name(self) -> str:
        return "action_identitet_oplyst"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        cpr = str(tracker.get_slot("cpr") or "")
        return [SlotSet("identitet", "oplyst"), SlotSet("cpr_maskeret", mask_cpr(cpr))]
