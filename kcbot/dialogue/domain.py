"""The domain: slots and the bot's Danish responses, in Rasa's domain format (``domain.yml``).

kcbot reads the parts of Rasa's format it uses, so the same file can sit in a Rasa assistant:
``slots`` (``type``, ``values``, ``mappings``) and ``responses`` (``utter_*`` with ``text``,
``buttons`` and ``{slot}`` placeholders). Buttons are how a choice slot shows its numbered
options; the first variant of a response is used, so replies are predictable in tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date

from kcbot.dialogue.answers import Option
from kcbot.errors import DataError
from kcbot.nlu.normalise import fold
from kcbot.yamlio import load_yaml

__all__ = ["Button", "Domain", "Reply", "SlotSpec", "load_domain"]

SLOT_TYPES = ("categorical", "text", "any", "bool", "float", "list")
MAPPING_TYPES = ("from_entity", "from_intent", "from_text", "custom")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCALE = "da_DK"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot message as a channel shows it: text, and numbered choices if any."""

    text: str
    buttons: tuple[Button, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reply:
        return cls(raw["text"], _buttons(raw))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.buttons:
            out["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        return out


@dataclass(frozen=True)
class SlotSpec:
    name: str
    type: str
    values: tuple[str, ...] = ()
    mappings: tuple[dict[str, Any], ...] = ()

    def entities(self) -> list[str]:
        return [m["entity"] for m in self.mappings if m["type"] == "from_entity"]

    def intent_values(self) -> dict[str, str]:
        return {m["intent"]: str(m["value"]) for m in self.mappings if m["type"] == "from_intent"}

    @property
    def from_text(self) -> bool:
        return any(m["type"] == "from_text" for m in self.mappings)

    def text_intents(self) -> set[str]:
        """Intents whose whole message fills this slot (``from_text`` with ``intent``)."""
        return {str(i) for m in self.mappings if m["type"] == "from_text"
                for i in (m.get("intent") or [])}

    @property
    def custom(self) -> bool:
        """Set by flows and actions only (a decision, a ticket), never read from a message."""
        return all(m["type"] == "custom" for m in self.mappings)


@dataclass
class Domain:
    path: Path
    slots: dict[str, SlotSpec]
    responses: dict[str, list[dict[str, Any]]]
    raw: dict[str, Any] = field(repr=False)  # what an action receives as ``domain``
    origin: dict[str, Path] = field(default_factory=dict, repr=False)  # response -> its file
    # How citizens phrase each option of a choice slot (svar.yml): slot -> payload -> phrases.
    answers: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)
    # The words a citizen uses for a slot when saying it was wrong ("forkert dato"), folded.
    correction_words: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def metadata(self, name: str) -> dict[str, Any]:
        """A guidance text's ``source`` and ``reviewed``; empty for the core responses."""
        variants = self.responses.get(name) or [{}]
        return dict(variants[0].get("metadata") or {})

    def has_response(self, name: str) -> bool:
        return name in self.responses

    def options(self, slot: str, ask: str | None = None) -> tuple[Button, ...]:
        """A choice slot's options: the buttons of the question asked (``utter_ask_<slot>``)."""
        variants = self.responses.get(ask or f"utter_ask_{slot}") or [{}]
        return _buttons(variants[0])

    def answer_options(self, slot: str, ask: str | None = None) -> tuple[Option, ...]:
        """The options of the question asked, each with the phrases citizens answer it with."""
        phrases = self.answers.get(slot, {})
        return tuple(Option(b.payload, b.title, phrases.get(b.payload, ()))
                     for b in self.options(slot, ask))

    def text(self, name: str | None) -> str:
        """A response's text as written (the question, for reading an answer against it)."""
        variants = self.responses.get(name or "") or [{}]
        return str(variants[0].get("text", ""))

    def label(self, slot: str, value: Any) -> str:
        """How a slot value reads in a sentence: an option's title, lower-cased."""
        if value is None:
            return ""
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            return format_date(date.fromisoformat(value), "EEEE 'den' d. MMMM", locale=LOCALE)
        for button in self.options(slot):
            if button.payload == str(value):
                return button.title[:1].lower() + button.title[1:]
        return str(value)

    def render(self, name: str, slots: dict[str, Any], **extra: Any) -> Reply:
        variant = self.responses[name][0]

        def fill(match: re.Match[str]) -> str:  # only the placeholders the text has
            key = match.group(1)
            if extra.get(key) is not None:
                return str(extra[key])
            return self.label(key, slots.get(key))

        text = _PLACEHOLDER.sub(fill, str(variant.get("text", "")))
        return numbered(text.strip(), _buttons(variant))


def _buttons(raw: dict[str, Any]) -> tuple[Button, ...]:
    return tuple(Button(str(b["title"]), str(b["payload"])) for b in raw.get("buttons") or [])


def numbered(text: str, buttons: Sequence[Button]) -> Reply:
    """IVR style: the options are listed with numbers, and a button's payload is its number."""
    if not buttons:
        return Reply(text)
    lines = [text] + [f"{i}) {b.title}" for i, b in enumerate(buttons, start=1)]
    return Reply("\n".join(lines), tuple(Button(b.title, str(i)) for i, b in enumerate(buttons, 1)))


def _check_slot(path: Path, name: str, spec: Any) -> SlotSpec:
    where = f"slots.{name}"
    if not isinstance(spec, dict):
        raise DataError(path, where, "en slot skal være en mapping med 'type' og 'mappings'")
    kind = spec.get("type")
    if kind not in SLOT_TYPES:
        raise DataError(path, f"{where}.type", f"'{kind}' er ikke en af {', '.join(SLOT_TYPES)}")
    values = spec.get("values") or []
    if kind == "categorical" and not values:
        raise DataError(path, f"{where}.values", "en categorical slot skal have 'values'")
    mappings = spec.get("mappings") or []
    if not isinstance(mappings, list):
        raise DataError(path, f"{where}.mappings", "skal være en liste")
    for i, mapping in enumerate(mappings):
        key = f"{where}.mappings[{i}]"
        if not isinstance(mapping, dict) or mapping.get("type") not in MAPPING_TYPES:
            raise DataError(path, key, f"'type' skal være en af {', '.join(MAPPING_TYPES)}")
        needed = {"from_entity": ("entity",), "from_intent": ("intent", "value")}
        for field_name in needed.get(mapping["type"], ()):
            if field_name not in mapping:
                raise DataError(path, key, f"mangler '{field_name}'")
        if mapping["type"] == "from_intent" and values and str(mapping["value"]) not in values:
            raise DataError(path, f"{key}.value", f"'{mapping['value']}' er ikke i 'values'")
    return SlotSpec(name, kind, tuple(str(v) for v in values), tuple(mappings))


GUIDANCE_DIR = "vejledning"
ANSWERS_FILE = "svar.yml"


def _read(path: Path) -> dict[str, Any]:
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise DataError(path, "-", "filen skal være en mapping med 'slots' og/eller 'responses'")
    for key in ("slots", "responses"):
        if not isinstance(doc.get(key) or {}, dict):
            raise DataError(path, key, "skal være en mapping")
    return doc


def _check_guidance(path: Path, name: str, variants: Any) -> None:
    """A guidance text says where its facts come from and when a person last checked them."""
    for i, variant in enumerate(variants if isinstance(variants, list) else []):
        meta = variant.get("metadata") if isinstance(variant, dict) else None
        where = f"responses.{name}[{i}].metadata"
        if not isinstance(meta, dict) or not str(meta.get("source") or "").strip():
            raise DataError(path, where, "en vejledningstekst skal have 'source'")
        if not isinstance(meta.get("reviewed"), date):
            raise DataError(path, where, "'reviewed' skal være en dato (ÅÅÅÅ-MM-DD)")


def load_domain(folder: Path) -> Domain:
    """``domain.yml`` plus the guidance texts in ``vejledning/*.yml``, merged as Rasa merges a
    domain split over several files."""
    path = folder / "domain.yml" if folder.is_dir() else folder
    doc = _read(path)
    raw_slots = dict(doc.get("slots") or {})
    raw_responses = dict(doc.get("responses") or {})
    origin = {name: path for name in raw_responses}
    guidance_dir = path.parent / GUIDANCE_DIR
    for extra in sorted(guidance_dir.glob("*.yml")) if guidance_dir.is_dir() else []:
        part = _read(extra)
        for name, variants in (part.get("responses") or {}).items():
            if name in raw_responses:
                raise DataError(extra, f"responses.{name}", f"findes også i {origin[name].name}")
            _check_guidance(extra, str(name), variants)
            raw_responses[name] = variants
            origin[name] = extra
    domain = _build(path, raw_slots, raw_responses, doc, origin)
    answers_path = path.parent / ANSWERS_FILE
    if answers_path.is_file():
        domain.answers, domain.correction_words = _read_answers(answers_path, domain)
    return domain


def _read_answers(path: Path, domain: Domain) -> tuple[
        dict[str, dict[str, tuple[str, ...]]], dict[str, frozenset[str]]]:
    doc = load_yaml(path)
    table = doc.get("svar") if isinstance(doc, dict) else None
    if not isinstance(table, dict):
        raise DataError(path, "svar", "skal være en mapping: slot -> svarmulighed -> fraser")
    answers: dict[str, dict[str, tuple[str, ...]]] = {}
    for slot, options in table.items():
        if slot not in domain.slots:
            raise DataError(path, f"svar.{slot}", f"'{slot}' er ikke en slot i domænet")
        if not isinstance(options, dict):
            raise DataError(path, f"svar.{slot}", "skal være en mapping: svarmulighed -> fraser")
        values = domain.slots[slot].values
        for payload, phrases in options.items():
            if values and str(payload) not in values:
                raise DataError(path, f"svar.{slot}.{payload}",
                                f"'{payload}' er ikke en af {', '.join(values)}")
            if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
                raise DataError(path, f"svar.{slot}.{payload}", "skal være en liste af tekster")
        answers[str(slot)] = {str(k): tuple(v) for k, v in options.items()}
    named: dict[str, frozenset[str]] = {}
    for slot, phrases in (doc.get("rettelser") or {}).items():
        if slot not in domain.slots:
            raise DataError(path, f"rettelser.{slot}", f"'{slot}' er ikke en slot i domænet")
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise DataError(path, f"rettelser.{slot}", "skal være en liste af ord")
        named[str(slot)] = frozenset(fold(p) for p in phrases)
    return answers, named


def _build(path: Path, raw_slots: dict[str, Any], raw_responses: dict[str, Any],
           doc: dict[str, Any], origin: dict[str, Path]) -> Domain:
    slots = {str(name): _check_slot(path, str(name), spec) for name, spec in raw_slots.items()}
    responses: dict[str, list[dict[str, Any]]] = {}
    for name, variants in raw_responses.items():
        where = f"responses.{name}"
        file = origin.get(name, path)
        if not str(name).startswith("utter_"):
            raise DataError(file, where, "et svars navn skal starte med 'utter_'")
        if not isinstance(variants, list) or not variants:
            raise DataError(file, where, "skal være en liste med mindst én variant")
        for i, variant in enumerate(variants):
            if not isinstance(variant, dict) or not isinstance(variant.get("text"), str):
                raise DataError(file, f"{where}[{i}]", "hver variant skal have en 'text'")
            for placeholder in _PLACEHOLDER.findall(variant["text"]):
                if placeholder not in slots:
                    raise DataError(
                        file, f"{where}[{i}]", f"'{{{placeholder}}}' er ikke en slot i domænet"
                    )
            for j, button in enumerate(variant.get("buttons") or []):
                if not isinstance(button, dict) or {"title", "payload"} - set(button):
                    raise DataError(file, f"{where}[{i}].buttons[{j}]",
                                    "skal have title og payload")
        responses[str(name)] = variants
    for name, spec in slots.items():
        ask = responses.get(f"utter_ask_{name}")
        if spec.type == "categorical" and ask:
            payloads = [str(b["payload"]) for b in ask[0].get("buttons", [])]
            unknown = [p for p in payloads if p not in spec.values]
            if unknown:
                raise DataError(
                    path, f"responses.utter_ask_{name}", f"knapperne {unknown} er ikke i values"
                )
    raw = {"version": "3.1", "slots": raw_slots, "responses": raw_responses, "forms": {},
           "intents": doc.get("intents") or [], "entities": doc.get("entities") or [],
           "actions": doc.get("actions") or []}
    # What an action receives must survive JSON, as it does on the way to an action server.
    raw = json.loads(json.dumps(raw, default=str, ensure_ascii=False))
    return Domain(path, slots, responses, raw, origin)
