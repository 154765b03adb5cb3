"""A conversation's dialogue state: what is stored between two turns (as JSON, CPR-masked)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["DialogueState", "Frame"]


@dataclass
class Frame:
    flow: str
    step: int = 0


@dataclass
class DialogueState:
    slots: dict[str, Any] = field(default_factory=dict)
    stack: list[Frame] = field(default_factory=list)  # the active flow last; digressions on top
    requested_slot: str | None = None
    ask: str | None = None  # the response that asked for requested_slot (its buttons)
    tries: int = 0  # failed answers to requested_slot
    fallbacks: int = 0  # messages in a row the bot did not understand
    choices: list[str] = field(default_factory=list)  # flows offered as numbered topics
    outcome: str | None = None  # straksafklaret | overdraget, once earned
    asked: list[str] = field(default_factory=list)  # every slot asked for, in order
    given_up: list[str] = field(default_factory=list)  # slots the citizen could not answer
    ended: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # slots named before a topic started
    pending: list[str] = field(default_factory=list)  # other topics the citizen asked about
    # what each pending topic's own part of the message said ("… afbud til min samtale i morgen")
    pending_facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # an option recognised from a description, asked about (kcbot/dialogue/described.py)
    guess: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DialogueState:
        if not raw:
            return cls()
        data = dict(raw)
        data["stack"] = [Frame(**f) for f in data.get("stack", [])]
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    def for_storing(self) -> dict[str, Any]:
        """The fields as JSON values, for encoding at once (``Store.record_turn``): the JSON
        ``dataclasses.asdict`` gives, without copying the slots first."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["stack"] = [{"flow": frame.flow, "step": frame.step} for frame in self.stack]
        return data

    @property
    def final_outcome(self) -> str:
        """The outcome the conversation ends with: what it earned, else afbrudt."""
        return self.outcome or "afbrudt"

    @property
    def flow(self) -> str | None:
        return self.stack[-1].flow if self.stack else None

    def clear(self, keep: tuple[str, ...] = ()) -> None:
        """Forget the topic and what was collected; the outcome already earned stays, and so
        do the slots named in ``keep``."""
        kept = {k: self.slots[k] for k in keep if k in self.slots}
        self.slots.clear()
        self.slots.update(kept)
        self.stack.clear()
        self.requested_slot = self.ask = None
        self.tries = self.fallbacks = 0
        self.choices.clear()
        self.given_up.clear()
        self.facts.clear()
        self.pending.clear()
        self.pending_facts.clear()
        self.guess.clear()


_FIELDS = tuple(f.name for f in fields(DialogueState))
