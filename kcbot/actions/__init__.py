"""kcbot's custom actions, as rasa-sdk ``Action`` subclasses.

The engine runs them in-process through rasa-sdk's ``ActionExecutor`` with the payload Rasa's
action server receives; ``python -m rasa_sdk --actions kcbot.actions`` serves the same actions
over HTTP for a Rasa assistant.
"""

from __future__ import annotations

import sys

from kcbot.actions.aabningstid import ActionAabningstid
from kcbot.actions.afbud import ActionVurderAfbud
from kcbot.actions.identitet import ActionIdentitetOplyst, ActionPrivatliv
from kcbot.actions.journal import ActionJournal
from kcbot.actions.registrering import Registrering
from kcbot.actions.tilbagekald import (
    ActionGlemAndenPerson,
    ActionMarkerKrise,
    ActionOpretTilbagekald,
)
from kcbot.actions.validation import ValidateSlots

__all__ = [
    "ActionAabningstid", "ActionGlemAndenPerson", "ActionIdentitetOplyst", "ActionJournal",
    "ActionMarkerKrise", "ActionOpretTilbagekald", "ActionPrivatliv", "ActionVurderAfbud",
    "Registrering", "ValidateSlots",
]

if "rasa_sdk.endpoint" in sys.modules:  # served by rasa-sdk's own action server
    from kcbot.actions.served import register

    register()
