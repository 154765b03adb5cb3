"""Dated versions of the rule table and the registrations, as responses have them (domain.py).

Law changes on a date (1 January 2027), so content may say when it is in force, and the bot
uses what is in force on the conversation's date (the engine's clock):

- ``afbud_regler.yml``: a rule may have ``valid_from`` / ``valid_to`` (ISO dates, inclusive);
  a rule out of force is skipped, so the first rule in force that matches decides. Two versions
  of the same rule ``id`` may not overlap, and a dated rule needs ``source`` and ``reviewed``.
- ``registreringer.yml``: a registration is either one mapping (always in force) or a list of
  versions, each with ``valid_from`` / ``valid_to``; the versions may not overlap or leave a
  day without a version, and a dated version needs ``kilde`` and ``reviewed``.

The same checks run when the engine starts, so a broken version set is refused at load with the
file and key named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kcbot.errors import DataError
from kcbot.yamlio import load_yaml

__all__ = [
    "RULES_FILE", "REGISTRATIONS_FILE", "Change", "changes_on", "check_tables",
    "covers_every_day", "in_force", "no_overlap", "registration", "rules_in_force",
]

RULES_FILE = "afbud_regler.yml"
REGISTRATIONS_FILE = "registreringer.yml"


def in_force(entry: dict[str, Any], on: date) -> bool:
    """Whether an entry's ``valid_from``/``valid_to`` (inclusive, both optional) include ``on``."""
    start, end = entry.get("valid_from"), entry.get("valid_to")
    return (start is None or start <= on) and (end is None or on <= end)


def rules_in_force(table: dict[str, Any], on: date) -> list[dict[str, Any]]:
    return [rule for rule in table.get("rules") or [] if in_force(rule, on)]


def registration(table: dict[str, Any], name: str, on: date) -> dict[str, Any] | None:
    """The version of a registration in force on ``on`` (None if there is no such registration)."""
    entry = (table.get("registreringer") or {}).get(name)
    if isinstance(entry, dict):
        return entry
    if isinstance(entry, list):
        return next((v for v in entry if isinstance(v, dict) and in_force(v, on)), None)
    return None


def _window(file: Path | str, where: str, entry: dict[str, Any],
            source_key: str) -> tuple[date, date] | None:
    start, end = entry.get("valid_from"), entry.get("valid_to")
    for key, value in (("valid_from", start), ("valid_to", end)):
        if value is not None and not isinstance(value, date):
            raise DataError(file, f"{where}.{key}", "skal være en dato (ÅÅÅÅ-MM-DD)")
    if start is None and end is None:
        return None
    if start and end and end < start:
        raise DataError(file, where, "'valid_to' ligger før 'valid_from'")
    if not str(entry.get(source_key) or "").strip() or not isinstance(entry.get("reviewed"), date):
        raise DataError(file, where, f"en dateret version skal have '{source_key}' og 'reviewed'")
    return (start or date.min, end or date.max)


def no_overlap(file: Path | str, where: str, windows: list[tuple[date, date]]) -> None:
    windows = sorted(windows)
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        if start <= end:
            raise DataError(file, where, f"to versioner gælder begge den {start.isoformat()}")


def covers_every_day(file: Path | str, where: str, windows: list[tuple[date, date]]) -> None:
    windows = sorted(windows)
    if windows[0][0] != date.min or windows[-1][1] != date.max:
        raise DataError(file, where, "versionerne skal dække alle datoer (den første uden "
                        "'valid_from', den sidste uden 'valid_to')")
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        if (start - end).days != 1:
            raise DataError(file, where, f"ingen version gælder dagen efter {end.isoformat()}")


def check_rules(file: Path | str, table: dict[str, Any]) -> None:
    by_id: dict[str, list[tuple[date, date]]] = {}
    for i, rule in enumerate(table.get("rules") or []):
        if not isinstance(rule, dict):
            raise DataError(file, f"rules[{i}]", "skal være en mapping")
        window = _window(file, f"rules[{i}] ({rule.get('id')})", rule, "source")
        by_id.setdefault(str(rule.get("id")), []).append(window or (date.min, date.max))
    for rule_id, windows in by_id.items():
        no_overlap(file, f"rules ({rule_id})", windows)


def check_registrations(file: Path | str, table: dict[str, Any]) -> None:
    for name, entry in (table.get("registreringer") or {}).items():
        where = f"registreringer.{name}"
        if isinstance(entry, dict):
            _window(file, where, entry, "kilde")
            continue
        if not isinstance(entry, list) or not entry or not all(isinstance(v, dict) for v in entry):
            raise DataError(file, where, "skal være en mapping eller en liste af versioner")
        windows = [_window(file, f"{where}[{i}]", v, "kilde") or (date.min, date.max)
                   for i, v in enumerate(entry)]
        no_overlap(file, where, windows)
        covers_every_day(file, where, windows)


def check_tables(folder: Path) -> None:
    """The version checks for the rule table and the registrations (run at engine start)."""
    for name, check in ((RULES_FILE, check_rules), (REGISTRATIONS_FILE, check_registrations)):
        path = folder / name
        if path.is_file():
            doc = load_yaml(path)
            check(path, doc if isinstance(doc, dict) else {})


@dataclass(frozen=True)
class Change:
    """Something that changes on a day: a text, a rule or a registration starts or stops."""

    kind: str  # tekst | regel | registrering | dato
    file: str
    name: str
    change: str  # ny version | udgår | gælder fra
    source: str
    reviewed: date | None

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "file": self.file, "name": self.name, "change": self.change,
                "source": self.source,
                "reviewed": self.reviewed.isoformat() if self.reviewed else None}


def _starts_or_ends(entries: Sequence[dict[str, Any]], day: date,
                    meta: Any = None) -> Iterable[tuple[str, dict[str, Any]]]:
    """(change, entry) for each entry that starts on ``day`` or ended the day before."""
    before = day - timedelta(days=1)
    for entry in entries:
        dates = meta(entry) if meta else entry
        if dates.get("valid_from") == day:
            yield "gælder fra", entry
        elif dates.get("valid_to") == before:
            yield "udgår", entry


def changes_on(folder: Path, day: date) -> list[Change]:
    """Every text, rule and registration whose version changes on ``day``."""
    from kcbot.dialogue.domain import load_domain

    found: list[Change] = []
    domain = load_domain(folder)
    for name, variants in sorted(domain.responses.items()):
        path = domain.origin.get(name, domain.path)
        for change, variant in _starts_or_ends(variants, day,
                                               lambda v: v.get("metadata") or {}):
            meta = variant.get("metadata") or {}
            label = change if not variant.get("condition") else f"{change} (med betingelse)"
            found.append(Change("tekst", f"{path.parent.name}/{path.name}"
                                if path.parent.name != folder.name else path.name, name, label,
                                str(meta.get("source") or ""), meta.get("reviewed")))
    rules = load_yaml(folder / RULES_FILE) or {}
    for change, rule in _starts_or_ends(rules.get("rules") or [], day):
        found.append(Change("regel", RULES_FILE, str(rule.get("id")), change,
                            str(rule.get("source") or ""), rule.get("reviewed")))
    for key, value in rules.items():
        if key.endswith("_fra") and value == day:
            found.append(Change("dato", RULES_FILE, key, "gælder fra",
                                str(rules.get("source") or ""), rules.get("reviewed")))
    registrations = load_yaml(folder / REGISTRATIONS_FILE) or {}
    for name, entry in (registrations.get("registreringer") or {}).items():
        versions = entry if isinstance(entry, list) else [entry]
        for change, version in _starts_or_ends(versions, day):
            found.append(Change("registrering", REGISTRATIONS_FILE, str(name), change,
                                str(version.get("kilde") or ""), version.get("reviewed")))
    return found
