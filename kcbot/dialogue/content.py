"""The content's review state: every guidance text and every rule file says where its facts come
from (``source``) and when a person last checked them (``reviewed``). ``kcbot content --stale N``
lists what has not been checked for N days, so a law change (1 Jan 2027) has a work list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

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


def content_items(folder: Path) -> list[ContentItem]:
    domain = load_domain(folder)
    items = []
    for name, path in sorted(domain.origin.items(), key=lambda kv: (kv[1].name, kv[0])):
        meta = domain.metadata(name)
        if meta:
            items.append(ContentItem(f"{path.parent.name}/{path.name}", name,
                                     str(meta.get("source") or ""), _date(meta.get("reviewed"))))
    for path in sorted(folder.glob("*.yml")):
        doc = load_yaml(path)
        if isinstance(doc, dict) and ("reviewed" in doc or "source" in doc):
            items.append(ContentItem(path.name, "(hele filen)", str(doc.get("source") or ""),
                                     _date(doc.get("reviewed"))))
    return items


def stale(items: list[ContentItem], today: date, days: int) -> list[ContentItem]:
    """Items not reviewed within ``days`` of ``today``, oldest first (never reviewed first)."""
    limit = today - timedelta(days=days)
    old = [item for item in items if item.reviewed is None or item.reviewed < limit]
    return sorted(old, key=lambda item: (item.reviewed or date.min, item.file, item.name))
