"""The content's review state: every guidance text and every rule file says where its facts come
from (``source``) and when a person last checked them (``reviewed``). ``kcbot content --stale N``
lists what has not been checked for N days, so a law change (1 Jan 2027) has a work list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kcbot.dialogue.domain import load_domain
from kcbot.yamlio import load_yaml

__all__ = ["ContentItem", "content_items", "stale"]


@dataclass(frozen=True)
class ContentItem:
    file: str
    name: str
    source: str
    reviewed: date | None

    def as_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "name": self.name, "source": self.source,
                "reviewed": self.reviewed.isoformat() if self.reviewed else None}


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _window(entry: dict[str, Any]) -> str:
    """' (fra 2027-01-01)', ' (til 2026-12-31)', or '' for an undated version."""
    start, end = entry.get("valid_from"), entry.get("valid_to")
    parts = ([f"fra {start}"] if start else []) + ([f"til {end}"] if end else [])
    return f" ({' '.join(parts)})" if parts else ""


def content_items(folder: Path) -> list[ContentItem]:
    """Every guidance text and rule file, and every dated version of a text, a rule or a
    registration, with its source and review date (a new version is reviewed on its own)."""
    domain = load_domain(folder)
    items = []
    for name, path in sorted(domain.origin.items(), key=lambda kv: (kv[1].name, kv[0])):
        file = f"{path.parent.name}/{path.name}"
        for variant in domain.responses[name]:
            meta = variant.get("metadata") or {}
            if meta.get("source") or meta.get("reviewed"):
                items.append(ContentItem(file, name + _window(meta), str(meta.get("source") or ""),
                                         _date(meta.get("reviewed"))))
    for path in sorted(folder.glob("*.yml")):
        doc = load_yaml(path)
        if isinstance(doc, dict) and ("reviewed" in doc or "source" in doc):
            items.append(ContentItem(path.name, "(hele filen)", str(doc.get("source") or ""),
                                     _date(doc.get("reviewed"))))
        if not isinstance(doc, dict):
            continue
        for rule in doc.get("rules") or []:
            if isinstance(rule, dict) and _window(rule):
                items.append(ContentItem(path.name, f"{rule.get('id')}{_window(rule)}",
                                         str(rule.get("source") or ""),
                                         _date(rule.get("reviewed"))))
        for name, entry in (doc.get("registreringer") or {}).items():
            for version in entry if isinstance(entry, list) else []:
                items.append(ContentItem(path.name, f"{name}{_window(version)}",
                                         str(version.get("kilde") or ""),
                                         _date(version.get("reviewed"))))
    return items


def stale(items: list[ContentItem], today: date, days: int) -> list[ContentItem]:
    """Items not reviewed within ``days`` of ``today``, oldest first (never reviewed first)."""
    limit = today - timedelta(days=days)
    old = [item for item in items if item.reviewed is None or item.reviewed < limit]
    return sorted(old, key=lambda item: (item.reviewed or date.min, item.file, item.name))
