"""The dialogue engine: domain, flows, state and the turn."""

from __future__ import annotations

from kcbot.lazy import gc_paused

# the engine's imports (numpy, pydantic, rasa_sdk, the NLU, the actions) live as long as the
# process: out of the collector's sight once imported
with gc_paused(freeze=True):
    from kcbot.dialogue.domain import Button, Domain, Reply, load_domain
    from kcbot.dialogue.engine import Engine, TurnResult
    from kcbot.dialogue.flows import Flow, Flows, load_flows
    from kcbot.dialogue.state import DialogueState, Frame

__all__ = [
    "Button", "DialogueState", "Domain", "Engine", "Flow", "Flows", "Frame", "Reply",
    "TurnResult", "load_domain", "load_flows",
]
