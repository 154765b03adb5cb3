"""The payload Rasa's action server receives (``next_action``, ``sender_id``, ``tracker``,
``domain``), built from kcbot's state, so an action cannot tell kcbot's engine from Rasa."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rasa_sdk

from kcbot.nlu import ParseResult

__all__ = ["action_call"]


def latest_message(parse: ParseResult | None) -> dict[str, Any]:
    if parse is None:
        return {"text": "", "intent": {}, "entities": [], "intent_ranking": []}
    return {
        "text": parse.text,
        "intent": {"name": parse.intent, "confidence": parse.confidence},
        "entities": [e.as_dict() for e in parse.entities],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in parse.ranking],
    }


def action_call(name: str, sender_id: str, slots: dict[str, Any], parse: ParseResult | None,
                domain: dict[str, Any],
                candidates: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """``candidates`` are slot events after the user event, as Rasa puts a form's candidates
    for ``action_validate_slot_mappings`` to see in ``tracker.slots_to_validate()``."""
    latest = latest_message(parse)
    return {
        "next_action": name,
        "sender_id": sender_id,
        "version": rasa_sdk.__version__,
        "domain": domain,
        "tracker": {
            "sender_id": sender_id,
            "slots": {**slots, **{e["name"]: e["value"] for e in candidates}},
            "latest_message": latest,
            "events": [{"event": "user", "text": latest["text"], "parse_data": latest},
                       *candidates],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }
