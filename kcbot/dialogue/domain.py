"""The domain: slots and the bot's Danish responses, in Rasa's domain format (``domain.yml``).

kcbot reads the parts of Rasa's format it uses, so the same file can sit in a Rasa assistant:
``slots`` (``type``, ``values``, ``mappings``) and ``responses`` (``utter_*`` with ``text``,
``buttons`` and ``{slot}`` placeholders). Buttons are how a choice slot shows its numbered
options.

A response may have several variants, and exactly one is used, so replies are predictable:
the first variant *in force on the conversation's date* (``metadata.valid_from`` /
``metadata.valid_to``, ISO dates, both inclusive and both optional) whose Rasa ``condition``
matches the conversation's slots; a variant with a condition is preferred to one without, as in
Rasa's conditional response variations. The engine sets the date and slots for a turn with
``Domain.selecting``; outside a turn the variant in force today is used.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.dates import format_date

from kcbot.dialogue.answers import NO, YES, Option, Options
from kcbot.dialogue.versions import covers_every_day, in_force, no_overlap
from kcbot.errors import DataError
from kcbot.language import FILE as LANGUAGES_FILE
from kcbot.language import Language, Languages
from kcbot.nlu.normalise import fold
from kcbot.scoped import Scoped
from kcbot.yamlio import load_yaml

__all__ = ["Button", "Domain", "Reply", "SlotSpec", "load_domain"]

SLOT_TYPES = ("categorical", "text", "any", "bool", "float", "list")
MAPPING_TYPES = ("from_entity", "from_intent", "from_text", "custom")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LOCALE = "da_DK"
# ``{slot}``, or ``{Slot}`` for the value with a capital first letter (a sentence's start).
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][a-z0-9_]*)\}")
_POSSESSIVE = r"\b([Dd]in) \{([A-Za-z_][a-z0-9_]*)\}"  # compiled on first use


@dataclass
class Selection:
    """What decides a response's variant: the conversation's date and slots."""

    on: date | None = None  # None: today
    slots: Mapping[str, Any] = field(default_factory=dict)


_SELECTION: ContextVar[Selection | None] = ContextVar("kcbot_response_selection", default=None)


def variant_in_force(variant: dict[str, Any], on: date) -> bool:
    """Whether a variant's ``metadata.valid_from``/``valid_to`` include ``on``."""
    return in_force(variant.get("metadata") or {}, on)


def condition_holds(variant: dict[str, Any], slots: Mapping[str, Any]) -> bool:
    return all(str(slots.get(c["name"])) == str(c["value"])
               for c in variant.get("condition") or ())


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

    # What the mappings say is read on every turn for most slots: worked out once, on first use.
    def entities(self) -> tuple[str, ...]:
        return self._entities

    @cached_property
    def _entities(self) -> tuple[str, ...]:
        return tuple(m["entity"] for m in self.mappings if m["type"] == "from_entity")

    def intent_values(self) -> Mapping[str, str]:
        return self._intent_values

    @cached_property
    def _intent_values(self) -> Mapping[str, str]:
        return MappingProxyType({m["intent"]: str(m["value"]) for m in self.mappings
                                 if m["type"] == "from_intent"})

    @cached_property
    def from_text(self) -> bool:
        return any(m["type"] == "from_text" for m in self.mappings)

    def text_intents(self) -> frozenset[str]:
        """Intents whose whole message fills this slot (``from_text`` with ``intent``)."""
        return self._text_intents

    @cached_property
    def _text_intents(self) -> frozenset[str]:
        return frozenset(str(i) for m in self.mappings if m["type"] == "from_text"
                         for i in (m.get("intent") or []))

    @cached_property
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
    # The languages (sprog.yml): how a date reads in the conversation's language.
    languages: Languages | None = field(default=None, repr=False)
    # The option values whose Danish word is neuter (svar.yml ``intetkoen``): "din {moedetype}"
    # reads "dit tilbud eller aktivitet" for them.
    neuter: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    # What the texts call the organisation ({org}, {org_navn}): organisation.yml, KCBOT_ORG…
    names: dict[str, str] = field(default_factory=dict, repr=False)
    # A question's options, per slot and variant: read on every turn, built once.
    _options: dict[tuple[str, int], Options] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    # Per response, for one date: its variants in force with a condition, and the default.
    _in_force: dict[str, tuple[tuple[tuple[dict[str, Any], tuple[tuple[Any, str], ...]], ...],
                               dict[str, Any]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _in_force_on: date | None = field(default=None, init=False, repr=False, compare=False)
    # The slots entity_candidates reads, per set of wanted slots (kcbot.dialogue.slots).
    reading_plans: dict[frozenset[str], tuple[Any, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    # A variant's buttons (id of the variant -> its buttons), read at every rendering of it.
    _buttons: dict[int, tuple[Button, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def selecting(self, on: date | None, slots: Mapping[str, Any] | None = None
                  ) -> Scoped[Selection]:
        """Within the block, responses are chosen for this date and these slots. The slots may
        be given later (``selection.slots = state.slots``, once the conversation is loaded);
        the mapping is read when a response is chosen, so a slot set during the turn counts."""
        return Scoped(_SELECTION, Selection(on, slots if slots is not None else {}))

    @cached_property
    def entity_slots(self) -> tuple[str, ...]:
        """The slots an entity fills, in the domain's order."""
        return tuple(name for name, spec in self.slots.items() if spec.entities())

    @cached_property
    def choice_slots(self) -> frozenset[str]:
        """The slots whose question (``utter_ask_<slot>``) has buttons in some variant: the
        only slots ``answer_options(slot)`` can give options for, whatever the date or slots."""
        return frozenset(name for name in self.slots if any(
            variant.get("buttons") for variant in self.responses.get(f"utter_ask_{name}") or ()))

    @cached_property
    def named_choice_slots(self) -> frozenset[str]:
        """The choice slots whose question has options other than ja/nej in some variant: the
        only slots whose options a message can name in passing (``entity_candidates`` reads
        no ja/nej out of a message that was not an answer)."""
        polar = {YES, NO}
        return frozenset(name for name in self.choice_slots if any(
            variant.get("buttons") and {b.payload for b in self._variant_buttons(variant)} != polar
            for variant in self.responses.get(f"utter_ask_{name}") or ()))

    def choose_for(self, slots: Mapping[str, Any]) -> None:
        """The rest of the turn chooses responses for these slots (a conversation's)."""
        selection = _SELECTION.get()
        if selection is None:
            _SELECTION.set(Selection(None, slots))
        else:
            selection.slots = slots

    def variant(self, name: str | None) -> dict[str, Any]:
        """The variant of a response used now (see the module docstring); ``{}`` if none."""
        variants = self.responses.get(name or "")
        if not variants:
            return {}
        selection = _SELECTION.get() or Selection()
        on = selection.on or date.today()
        if self._in_force_on != on:  # what is in force changes only with the date
            self._in_force_on, self._in_force = on, {}
        chosen = self._in_force.get(name)
        if chosen is None:
            current = [v for v in variants if variant_in_force(v, on)] or variants[:1]
            chosen = self._in_force[name] = (
                tuple((v, tuple((c["name"], str(c["value"])) for c in v["condition"]))
                      for v in current if v.get("condition")),
                next((v for v in current if not v.get("condition")), current[0]))
        slots = selection.slots
        for variant, condition in chosen[0]:  # as condition_holds (a loop: no generator)
            for slot, value in condition:
                if str(slots.get(slot)) != value:
                    break
            else:
                return variant
        return chosen[1]

    def language(self) -> Language | None:
        """The language responses are chosen for now (the conversation's ``sprog`` slot)."""
        if self.languages is None:
            return None
        selection = _SELECTION.get() or Selection()
        return self.languages.of(selection.slots)

    def date_text(self, day: date, style: str = "dag") -> str:
        """A date as the conversation's language writes it: "onsdag den 25. november",
        "Wednesday 25 November"."""
        language = self.language()
        if language is None:
            pattern = "EEEE 'den' d. MMMM" + (" y" if style == "dag_aar" else "")
            return format_date(day, pattern, locale=LOCALE)
        return language.date(day, style)

    def metadata(self, name: str) -> dict[str, Any]:
        """A guidance text's ``source`` and ``reviewed``; empty for the core responses."""
        return dict(self.variant(name).get("metadata") or {})

    def has_response(self, name: str) -> bool:
        return name in self.responses

    def options(self, slot: str, ask: str | None = None) -> tuple[Button, ...]:
        """A choice slot's options: the buttons of the question asked (``utter_ask_<slot>``)."""
        return tuple(Button(o.title, o.payload) for o in self.answer_options(slot, ask))

    def answer_options(self, slot: str, ask: str | None = None) -> Options | tuple[()]:
        """The options of the question asked, each with the phrases citizens answer it with."""
        variant = self.variant(ask or f"utter_ask_{slot}")
        if not variant.get("buttons"):
            return ()
        # keyed by the variant itself: a response's variants live as long as the domain
        key = (slot, id(variant))
        options = self._options.get(key)
        if options is None:
            phrases = self.answers.get(slot, {})
            options = self._options[key] = Options(
                Option(b.payload, b.title, phrases.get(b.payload, ()))
                for b in self._variant_buttons(variant))
        return options

    def _variant_buttons(self, variant: dict[str, Any]) -> tuple[Button, ...]:
        """A variant's buttons, built once: keyed by the variant itself, which lives as long
        as the domain."""
        buttons = self._buttons.get(id(variant))
        if buttons is None:
            buttons = self._buttons[id(variant)] = _buttons(variant)
        return buttons

    def chosen_text(self, name: str) -> str | None:
        """The text of a response's variant for now, or ``None`` when its only variants are for
        other conversations (a condition that does not hold)."""
        variant = self.variant(name)
        if not variant:
            return None
        selection = _SELECTION.get() or Selection()
        if variant.get("condition") and not condition_holds(variant, selection.slots):
            return None
        return str(variant.get("text", ""))

    def text(self, name: str | None) -> str:
        """A response's text as written (the question, for reading an answer against it)."""
        return str(self.variant(name).get("text", ""))

    def label(self, slot: str, value: Any) -> str:
        """How a slot value reads in a sentence: an option's title, lower-cased; a date as
        "onsdag den 25. november", with the year when it is not the conversation's year."""
        if value is None:
            return ""
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            day = date.fromisoformat(value)
            today = (_SELECTION.get() or Selection()).on or date.today()
            return self.date_text(day, "dag" if day.year == today.year else "dag_aar")
        for option in self.answer_options(slot):  # the options' titles, as ``options``
            if option.payload == str(value):
                return option.title[:1].lower() + option.title[1:]
        return str(value)

    def render(self, name: str, slots: dict[str, Any], **extra: Any) -> Reply:
        return self._render(self._existing_variant(name), slots, extra)

    def render_cited(self, name: str, slots: dict[str, Any]) -> tuple[Reply, bool]:
        """``render``, and whether the text is guidance with a ``source`` (as ``metadata``
        says), from the one variant chosen."""
        variant = self._existing_variant(name)
        cited = bool((variant.get("metadata") or {}).get("source"))
        return self._render(variant, slots, {}), cited

    def _existing_variant(self, name: str) -> dict[str, Any]:
        if name not in self.responses:
            raise KeyError(name)
        return self.variant(name)

    def _render(self, variant: dict[str, Any], slots: dict[str, Any],
                extra: dict[str, Any]) -> Reply:

        def fill(match: re.Match[str]) -> str:  # only the placeholders the text has
            written = match.group(1)
            key = written.lower()
            if extra.get(key) is not None:
                value = str(extra[key])
            elif key in self.names:
                value = self.names[key]
            else:
                value = self.label(key, slots.get(key))
            return value[:1].upper() + value[1:] if written != key else value

        def agree(match: re.Match[str]) -> str:  # "din" before a neuter word is "dit"
            own, key = match.group(1), match.group(2)
            if str(slots.get(key.lower())) in self.neuter.get(key.lower(), ()):
                own = own[:2] + "t"
            return f"{own} {{{key}}}"

        text = str(variant.get("text", ""))
        if "{" in text:
            if self.neuter and "in {" in text:
                text = re.sub(_POSSESSIVE, agree, text)
            text = _PLACEHOLDER.sub(fill, text)
        if not variant.get("buttons"):
            return Reply(text.strip())
        return numbered(text.strip(), self._variant_buttons(variant))


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
NAMES_FILE = "organisation.yml"
# The settings that override organisation.yml, per placeholder.
NAME_SETTINGS = {"org": "KCBOT_ORG", "org_navn": "KCBOT_ORG_NAVN"}
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


def _check_variant(file: Path, where: str, variant: dict[str, Any],
                   slots: dict[str, SlotSpec]) -> None:
    """A condition names slots of the domain (Rasa's format); a dated version is a dated text
    with a source and a review date, like any guidance text."""
    condition = variant.get("condition")
    if condition is not None:
        if not isinstance(condition, list) or not condition:
            raise DataError(file, f"{where}.condition", "skal være en liste af slot-betingelser")
        for k, part in enumerate(condition):
            if (not isinstance(part, dict) or part.get("type") != "slot"
                    or "name" not in part or "value" not in part):
                raise DataError(file, f"{where}.condition[{k}]",
                                "skal have type: slot, name og value")
            if part["name"] not in slots:
                raise DataError(file, f"{where}.condition[{k}]",
                                f"'{part['name']}' er ikke en slot i domænet")
    meta = variant.get("metadata") or {}
    if not isinstance(meta, dict):
        raise DataError(file, f"{where}.metadata", "skal være en mapping")
    for key in ("valid_from", "valid_to"):
        if key in meta and not isinstance(meta[key], date):
            raise DataError(file, f"{where}.metadata.{key}", "skal være en dato (ÅÅÅÅ-MM-DD)")
    if "valid_from" in meta or "valid_to" in meta:
        start, end = meta.get("valid_from"), meta.get("valid_to")
        if start and end and end < start:
            raise DataError(file, f"{where}.metadata", "'valid_to' ligger før 'valid_from'")
        if not str(meta.get("source") or "").strip() or not isinstance(meta.get("reviewed"), date):
            raise DataError(file, f"{where}.metadata",
                            "en dateret version skal have 'source' og 'reviewed'")


def _check_versions(file: Path, where: str, variants: list[dict[str, Any]]) -> None:
    """The versions of a text with the same condition never overlap, and the versions without a
    condition cover every date, so exactly one text is in force on any day."""
    groups: dict[str, list[tuple[date, date]]] = {}
    for variant in variants:
        meta = variant.get("metadata") or {}
        condition = variant.get("condition")
        # most texts have no condition: their key is written out (json.dumps cost ~2 ms a start)
        key = json.dumps(condition, sort_keys=True, default=str) if condition else "[]"
        groups.setdefault(key, []).append((meta.get("valid_from") or date.min,
                                           meta.get("valid_to") or date.max))
    for key, windows in groups.items():
        no_overlap(file, where, windows)
        if key == "[]":  # the versions without a condition: one for every day
            covers_every_day(file, where, windows)


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
        # A topic's own slots may live beside its texts, as in a Rasa domain split over files.
        for name, spec in (part.get("slots") or {}).items():
            if name in raw_slots:
                raise DataError(extra, f"slots.{name}", "findes allerede i domænet")
            raw_slots[name] = spec
        for name, variants in (part.get("responses") or {}).items():
            if name in raw_responses:
                raise DataError(extra, f"responses.{name}", f"findes også i {origin[name].name}")
            _check_guidance(extra, str(name), variants)
            raw_responses[name] = variants
            origin[name] = extra
    names = load_names(path.parent)
    domain = _build(path, raw_slots, raw_responses, doc, origin, names)
    domain.names = names
    if (path.parent / LANGUAGES_FILE).is_file():
        domain.languages = Languages.load(path.parent)
    answers_path = path.parent / ANSWERS_FILE
    if answers_path.is_file():
        domain.answers, domain.correction_words = _read_answers(answers_path, domain)
        doc = load_yaml(answers_path)
        domain.neuter = {str(slot): frozenset(str(v) for v in values or ())
                         for slot, values in ((doc.get("intetkoen") or {}) if isinstance(doc, dict)
                                              else {}).items()}
    return domain


def load_names(folder: Path) -> dict[str, str]:
    """What the texts call the organisation: ``navne`` in ``organisation.yml`` (the defaults),
    each overridden by its setting (``KCBOT_ORG``, ``KCBOT_ORG_NAVN``) when that is set. From
    2027 the law says "kommunen" where it said "jobcentret"; Københavns Kommune may keep the
    name, so which word the texts use is configuration, not a text change."""
    path = folder / NAMES_FILE
    names: dict[str, str] = {}
    if path.is_file():
        doc = load_yaml(path)
        table = doc.get("navne") if isinstance(doc, dict) else None
        if not isinstance(table, dict):
            raise DataError(path, "navne", "skal være en mapping: pladsholder -> tekst")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise DataError(path, f"navne.{key}", "skal være en tekst")
            names[str(key)] = value.strip()
    for key, setting in NAME_SETTINGS.items():
        value = os.environ.get(setting, "").strip()
        if value:
            names[key] = value
    return names


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
           doc: dict[str, Any], origin: dict[str, Path],
           names: dict[str, str] | None = None) -> Domain:
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
                if placeholder.lower() not in slots and placeholder.lower() not in (names or {}):
                    raise DataError(
                        file, f"{where}[{i}]", f"'{{{placeholder}}}' er ikke en slot i domænet"
                    )
            for j, button in enumerate(variant.get("buttons") or []):
                if not isinstance(button, dict) or {"title", "payload"} - set(button):
                    raise DataError(file, f"{where}[{i}].buttons[{j}]",
                                    "skal have title og payload")
            _check_variant(file, f"{where}[{i}]", variant, slots)
        _check_versions(file, where, variants)
        responses[str(name)] = variants
    for name, spec in slots.items():
        ask = responses.get(f"utter_ask_{name}")
        if spec.type == "categorical" and ask:
            payloads = [str(b["payload"]) for variant in ask for b in variant.get("buttons", [])]
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
