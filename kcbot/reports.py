"""The agreement's figures, computed from the stored conversations and tickets only.

Definitions (seed 002, bilag 7; the tickets' deadline rule):
- straksafklaringsprocent = straksafklaret / (straksafklaret + overdraget), over the
  conversations that started in the period and have ended;
- afbrudt share = afbrudt / all ended conversations (so abandonment cannot hide in the KPI);
- tilbagemelding rettidig = tickets closed by their due time / tickets that fell due in the
  period (due time inside the period and already passed);
- fallback rate = citizen messages the bot did not understand (no topic it knows, or an answer
  that did not fit the question) / all citizen messages;
- turns to settle = citizen messages per straksafklaret conversation;
- afgørelser pr. regel = journal notes (settled cases) written in the period, per rule, each
  rule told in the words of its own table (``rule_text``); guidance, which no rule table
  decides, per topic.
Times are stored as Copenhagen local ISO strings, so a local date is the first ten characters.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from kcbot.config import data_path
from kcbot.labels import label
from kcbot.store import Store
from kcbot.store.topics import SMALL_TALK, TOPIC_SQL
from kcbot.tickets.service import OPEN

__all__ = ["PERIODS", "SMALL_TALK", "TOPIC_SQL", "Figures", "Report", "figures",
           "period_bounds", "render", "report", "rule_key", "rule_text", "trend"]

PERIODS = ("day", "week", "month", "quarter")
TARGET = 0.65
BASELINE_2014 = 0.56
PERIOD_LABELS = {"day": "dag", "week": "uge", "month": "måned", "quarter": "kvartal"}


def period_bounds(period: str, on: date) -> tuple[date, date]:
    """[first, last] local dates of the day/week/month/quarter holding ``on``."""
    if period == "day":
        return on, on
    if period == "week":
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = on.replace(day=1)
    elif period == "quarter":
        start = on.replace(month=(on.month - 1) // 3 * 3 + 1, day=1)
    else:
        raise ValueError(f"ukendt periode {period!r}; gyldige: {', '.join(PERIODS)}")
    months = 1 if period == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return start, date(start.year + year, month + 1, 1) - timedelta(days=1)


def previous(period: str, first: date) -> tuple[date, date]:
    return period_bounds(period, first - timedelta(days=1))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    first: date
    last: date
    conversations: int = 0
    straksafklaret: int = 0
    overdraget: int = 0
    afbrudt: int = 0
    ongoing: int = 0
    tickets_created: int = 0
    tickets_fell_due: int = 0
    tickets_on_time: int = 0
    user_turns: int = 0
    fallback_turns: int = 0
    settle_turns: int = 0
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    intents: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)  # journal notes (settlements) per rule

    @property
    def span(self) -> str:
        """The period's days as a report writes them: '01.12.2026–31.12.2026'."""
        return f"{self.first:%d.%m.%Y}–{self.last:%d.%m.%Y}"

    def ranked_rules(self, before: Figures | None = None) -> list[str]:
        """The rules with settlements in this period (or in ``before``), the most used first."""
        keys = set(self.rules) | set(before.rules if before else ())
        return sorted(keys, key=lambda r: (-self.rules.get(r, 0), r))

    @property
    def straksafklaringsprocent(self) -> float | None:
        return _share(self.straksafklaret, self.straksafklaret + self.overdraget)

    @property
    def afbrudt_share(self) -> float | None:
        return _share(self.afbrudt, self.straksafklaret + self.overdraget + self.afbrudt)

    @property
    def rettidig(self) -> float | None:
        return _share(self.tickets_on_time, self.tickets_fell_due)

    @property
    def fallback_rate(self) -> float | None:
        return _share(self.fallback_turns, self.user_turns)

    @property
    def turns_to_settle(self) -> float | None:
        return self.settle_turns / self.straksafklaret if self.straksafklaret else None


async def figures(store: Store, first: date, last: date, now: datetime,
                  queue: str | None = None) -> Figures:
    """The figures for conversations started and tickets falling due in [first, last]."""
    result = Figures(first, last)
    lo, hi = first.isoformat(), (last + timedelta(days=1)).isoformat()
    rows = await store.fetchall(
        # a purged conversation (kcbot.store.retention) keeps these three in columns
        f"SELECT c.outcome, substr(c.started, 12, 2) AS hour, "
        f"coalesce(c.topic, {TOPIC_SQL}) AS topic, coalesce(c.user_turns, "
        "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id AND t.speaker = 'user')) "
        "AS users, coalesce(c.fallbacks, (SELECT count(*) FROM events e WHERE "
        "e.conversation_id = c.id AND e.kind = 'fallback')) "
        "AS fallbacks "
        "FROM conversations c WHERE c.started >= ? AND c.started < ?"
        + (" AND EXISTS (SELECT 1 FROM tickets k WHERE k.conversation_id = c.id AND "
           "k.queue = ?)" if queue else ""),
        (*SMALL_TALK, lo, hi, queue) if queue else (*SMALL_TALK, lo, hi),
    )
    for row in rows:
        result.conversations += 1
        outcome = row["outcome"]
        if outcome is None:
            result.ongoing += 1
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)
        if outcome == "straksafklaret":
            result.settle_turns += row["users"]
        result.user_turns += row["users"]
        result.fallback_turns += row["fallbacks"]
        result.per_hour[int(row["hour"] or 0)] += 1
        if row["topic"]:
            result.intents[row["topic"]] += 1
    if queue is None:
        for row in await store.fetchall(
            "SELECT coalesce(rule, 'ukendt') AS rule, sag, count(*) AS n FROM journal "
            "WHERE time >= ? AND time < ? GROUP BY 1, 2", (lo, hi),
        ):
            result.rules[rule_key(row["rule"], row["sag"])] += row["n"]
    tickets = await store.fetchall(
        "SELECT created, due, closed FROM tickets WHERE ((created >= ? AND created < ?) OR "
        "(due >= ? AND due < ?))" + (" AND queue = ?" if queue else ""),
        (lo, hi, lo, hi, queue) if queue else (lo, hi, lo, hi),
    )
    for ticket in tickets:
        if lo <= ticket["created"][:10] < hi:
            result.tickets_created += 1
        due = datetime.fromisoformat(ticket["due"])
        if lo <= ticket["due"][:10] < hi and due <= now:
            result.tickets_fell_due += 1
            closed = ticket["closed"]
            result.tickets_on_time += bool(closed and datetime.fromisoformat(closed) <= due)
    return result


async def open_tickets(store: Store, now: datetime) -> dict[str, int]:
    """Tickets not closed: how many, due today, overdue."""
    # the open statuses by name, so the (status, due) index is read instead of every ticket
    rows = await store.fetchall(
        f"SELECT due FROM tickets WHERE status IN ({', '.join(repr(s) for s in OPEN)})")
    today = now.date().isoformat()
    overdue = sum(datetime.fromisoformat(r["due"]) < now for r in rows)
    due_today = sum(r["due"][:10] == today and datetime.fromisoformat(r["due"]) >= now
                    for r in rows)
    return {"open": len(rows), "due_today": due_today, "overdue": overdue}


async def trend(store: Store, last: date, days: int = 30) -> list[tuple[date, int, float | None]]:
    """Per day for the ``days`` up to ``last``: (date, conversations, straksafklaringsprocent)."""
    first = last - timedelta(days=days - 1)
    rows = await store.fetchall(
        "SELECT substr(started, 1, 10) AS day, count(*) AS n, "
        "sum(outcome = 'straksafklaret') AS s, sum(outcome = 'overdraget') AS o "
        "FROM conversations WHERE started >= ? AND started < ? GROUP BY day",
        (first.isoformat(), (last + timedelta(days=1)).isoformat()),
    )
    by_day = {r["day"]: r for r in rows}
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = by_day.get(day.isoformat())
        if row is None:
            out.append((day, 0, None))
        else:
            out.append((day, row["n"], _share(row["s"] or 0, (row["s"] or 0) + (row["o"] or 0))))
    return out


# -- what a rule means ------------------------------------------------------------------

GUIDANCE = "vejledning:"


def rule_key(rule: str, sag: str | None) -> str:
    """What the report counts a journal note under: its rule's id, or for guidance alone
    (the note names the texts shown, ``utter_…``, and no rule decided anything) the topic,
    as ``vejledning:<sag>``."""
    parts = [p.strip() for p in rule.split(",")]
    if rule == "vejledning" or all(p.startswith("utter_") for p in parts):
        return f"{GUIDANCE}{sag or 'ukendt'}"
    return rule


@lru_cache(maxsize=8)
def _rule_tables(folder: str) -> tuple[dict[str, list[dict[str, Any]]], ...]:
    """Every version of every rule, by id: the afbud rules (their ``note``) and the
    registrations (their ``afgoerelse``), read from the rule tables themselves."""
    from kcbot.dialogue.versions import REGISTRATIONS_FILE, RULES_FILE
    from kcbot.yamlio import load_yaml

    rules: dict[str, list[dict[str, Any]]] = {}
    table = load_yaml(Path(folder) / RULES_FILE) or {}
    for rule in [*(table.get("rules") or []), table.get("default") or {}]:
        if rule.get("id") and rule.get("note"):
            rules.setdefault(str(rule["id"]), []).append(
                {**rule, "text": str(rule["note"])})
    registrations = (load_yaml(Path(folder) / REGISTRATIONS_FILE) or {}).get("registreringer")
    for entry in (registrations or {}).values():
        for version in entry if isinstance(entry, list) else [entry]:
            regel = str(version.get("regel") or "")
            if regel and "{" not in regel and version.get("afgoerelse"):
                # a template's slot ("Fravær ({fravaer_type}) sendt …") differs per citizen
                text = re.sub(r"\s*\(\{\w+\}\)|\{\w+\}", "", str(version["afgoerelse"]))
                rules.setdefault(regel, []).append({**version, "text": " ".join(text.split())})
    return (rules,)


def rule_text(key: str, on: date | None = None) -> str:
    """A rule in plain Danish, from its own table: an afbud rule's note, a registration's
    decision (the version in force on ``on``, else the newest); guidance by its topic. A rule
    no table knows any more (an older content version) is shown by its id."""
    if key.startswith(GUIDANCE):
        return f"Vejledning: {label('topic', key.removeprefix(GUIDANCE))}"
    from kcbot.dialogue.versions import in_force

    (rules,) = _rule_tables(str(data_path("dialogues")))
    versions = rules.get(key)
    if not versions:
        return key
    chosen = next((v for v in versions if on and in_force(v, on)), versions[-1])
    return chosen["text"]


def rule_label(key: str, on: date | None = None) -> str:
    """The report's line for a rule: its words, then its id for whoever looks it up."""
    text = rule_text(key, on)
    return text if text == key or key.startswith(GUIDANCE) else f"{text} ({key})"


# -- the report --------------------------------------------------------------------------

@dataclass
class Report:
    period: str
    current: Figures
    previous: Figures
    queues: dict[str, tuple[Figures, Figures]]


async def report(store: Store, period: str, on: date, now: datetime) -> Report:
    first, last = period_bounds(period, on)
    before = previous(period, first)
    queues = {}
    for queue in ("jobcenter", "ydelsesservice", "cdu"):
        queues[queue] = (await figures(store, first, last, now, queue),
                         await figures(store, *before, now, queue))
    return Report(period, await figures(store, first, last, now),
                  await figures(store, *before, now), queues)


def pct(value: float | None) -> str:
    from babel.numbers import format_percent

    return "–" if value is None else format_percent(value, "#,##0.0 %", locale="da_DK")


def num(value: float | None, digits: int = 0) -> str:
    from babel.numbers import format_decimal

    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale="da_DK")


def _rows(report: Report) -> list[tuple[str, str, str, str]]:
    """(section, measure, this period, previous period)."""
    cur, prev = report.current, report.previous
    rows = [
        ("Samlet", "Samtaler", num(cur.conversations), num(prev.conversations)),
        ("Samlet", "Straksafklaret", num(cur.straksafklaret), num(prev.straksafklaret)),
        ("Samlet", "Overdraget", num(cur.overdraget), num(prev.overdraget)),
        ("Samlet", "Afbrudt", num(cur.afbrudt), num(prev.afbrudt)),
        ("Samlet", "Straksafklaringsprocent (mål 65 %)", pct(cur.straksafklaringsprocent),
         pct(prev.straksafklaringsprocent)),
        ("Samlet", "Andel afbrudt", pct(cur.afbrudt_share), pct(prev.afbrudt_share)),
        ("Samlet", "Tilbagemelding rettidig", pct(cur.rettidig), pct(prev.rettidig)),
        ("Samlet", "Forstod ikke beskeden", pct(cur.fallback_rate), pct(prev.fallback_rate)),
        ("Samlet", "Beskeder pr. straksafklaring", num(cur.turns_to_settle, 1),
         num(prev.turns_to_settle, 1)),
    ]
    for queue, (now_q, before_q) in report.queues.items():
        rows += [
            (f"Kø: {label('queue', queue)}", "Sager oprettet", num(now_q.tickets_created),
             num(before_q.tickets_created)),
            (f"Kø: {label('queue', queue)}", "Tilbagemelding rettidig", pct(now_q.rettidig),
             pct(before_q.rettidig)),
        ]
    for intent, count in sorted(cur.intents.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(("Emne", label("topic", intent), num(count), num(prev.intents.get(intent, 0))))
    # Every settlement's journal note names its rule: a supervisor checks them rule by rule.
    for rule in cur.ranked_rules(prev):
        rows.append(("Afgørelser pr. regel", rule_label(rule, cur.last),
                     num(cur.rules.get(rule, 0)), num(prev.rules.get(rule, 0))))
    return rows


def render(report: Report, fmt: str = "md") -> str:
    cur, prev = report.current, report.previous
    label = PERIOD_LABELS[report.period]
    this, before = cur.span, prev.span
    rows = _rows(report)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Afsnit", "Mål", f"Denne {label} ({this})", f"Forrige {label} ({before})"])
        writer.writerows(rows)
        return out.getvalue()
    lines = [f"# kcbot: rapport for {label} {this}", "",
             f"Sammenlignet med forrige {label} ({before}). Mål for straksafklaring 65 % "
             "(2014: 56 %).", ""]
    section = None
    for name, measure, now_value, before_value in rows:
        if name != section:
            section = name
            lines += ["", f"## {name}", "", f"| Mål | Denne {label} | Forrige {label} |",
                      "|---|---:|---:|"]
        lines.append(f"| {measure} | {now_value} | {before_value} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"
