"""The dialogue engine: domain, flows, state and the turn."""

from __future__ import annotations

from kcbot.lazy import gc_paused

with gc_paused():  # the engine's imports: numpy, pydantic, rasa_sdk, the NLU, the actions
    from kcbot.dialogue.domain import Button, Domain, Reply, load_domain
    from kcbot.dialogue.engine import Engine, TurnResult
    from kcbot.dialogue.flows import Flow, Flows, load_flows
    from kcbot.dialogue.state import DialogueState, Frame

__all__ = [
    "Button", "DialogueState", "Domain", "Engine", "Flow", "Flows", "Frame", "Reply",
    "TurnResult", "load_domain", "load_flows",
]
