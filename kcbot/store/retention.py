"""Retention: personal data is kept no longer than needed (GDPR art. 5(1)(e)).

``purge`` runs from ``kcbot purge`` and, once a night, inside ``kcbot serve``. What goes:

- transcripts (turns, events), the sender id and the dialogue state of conversations with no
  activity for ``transcript_days``; the conversation row stays, anonymous, with the figures the
  reports read (topic, citizen messages, fallbacks, outcome, start time), so a supervisor's
  12-month trend and the SLA reports for old periods are unchanged by purging;
- processed message ids older than ``retry_days`` (they only serve a channel's retries);
- journal notes, and the personal fields of closed tickets (name, phone, CPR, summary, notes)
  and of delivered or failed mail, after ``case_days``; the ticket's queue, category and times
  stay for the SLA figures.

Everything in one transaction; times come from the injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from kcbot.config import RetentionSettings
from kcbot.store.base import Store
from kcbot.store.topics import SMALL_TALK, TOPIC_SQL

__all__ = ["PurgeReport", "purge", "purge_due"]


@dataclass
class PurgeReport:
    conversations: int = 0
    turns: int = 0
    events: int = 0
    message_ids: int = 0
    journal: int = 0
    tickets: int = 0
    outbox: int = 0

    def line(self) -> str:
        names = {"conversations": "samtaler anonymiseret", "turns": "replikker slettet",
                 "events": "hændelser slettet", "message_ids": "besked-id'er slettet",
                 "journal": "journalnotater slettet", "tickets": "sager anonymiseret",
                 "outbox": "udbakke-beskeder anonymiseret"}
        return ", ".join(f"{getattr(self, f.name)} {names[f.name]}" for f in fields(self))


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


async def purge(store: Store, now: datetime, settings: RetentionSettings) -> PurgeReport:
    transcripts = _iso(now - timedelta(days=settings.transcript_days))
    retries = _iso(now - timedelta(days=settings.retry_days))
    cases = _iso(now - timedelta(days=settings.case_days))
    report = PurgeReport()
    stamp = _iso(now)
    async with store.transaction() as db:
        # ``purged IS NULL AND last_activity < ?`` as the two halves an index each holds: the
        # open conversations (migration 10) and the ended ones not yet purged (migration 9)
        unpurged = ("((ended IS NULL AND purged IS NULL AND last_activity < ?) OR "
                    "(ended IS NOT NULL AND purged IS NULL AND last_activity < ?))")
        old = f"SELECT id FROM conversations WHERE {unpurged}"
        # the reports' figures first, while the turns are still there
        await db.execute(
            f"UPDATE conversations AS c SET topic = {TOPIC_SQL}, "
            "user_turns = (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id AND "
            "t.speaker = 'user'), fallbacks = (SELECT count(*) FROM events e WHERE "
            "e.conversation_id = c.id AND e.kind = 'fallback') "
            f"WHERE c.id IN ({old})",
            (*SMALL_TALK, transcripts, transcripts),
        )
        cur = await db.execute(f"DELETE FROM turns WHERE conversation_id IN ({old})",
                               (transcripts, transcripts))
        report.turns = cur.rowcount
        cur = await db.execute(f"DELETE FROM events WHERE conversation_id IN ({old})",
                               (transcripts, transcripts))
        report.events = cur.rowcount
        cur = await db.execute(
            "UPDATE conversations SET sender = '', state = '{}', purged = ?, "
            "ended = coalesce(ended, last_activity), outcome = coalesce(outcome, 'afbrudt') "
            f"WHERE {unpurged}",
            (stamp, transcripts, transcripts),
        )
        report.conversations = cur.rowcount
        cur = await db.execute("DELETE FROM processed_messages WHERE time < ?", (retries,))
        report.message_ids = cur.rowcount
        cur = await db.execute("DELETE FROM journal WHERE time < ?", (cases,))
        report.journal = cur.rowcount
        cur = await db.execute(
            "UPDATE tickets SET navn = NULL, telefon = NULL, cpr = NULL, cpr_maskeret = NULL, "
            "summary = '', resolution = NULL WHERE status = 'afsluttet' AND closed < ? AND "
            "(summary != '' OR navn IS NOT NULL OR telefon IS NOT NULL OR cpr IS NOT NULL)",
            (cases,),
        )
        report.tickets = cur.rowcount
        await db.execute(
            "UPDATE ticket_history SET detail = '' WHERE detail != '' AND ticket_id IN "
            "(SELECT id FROM tickets WHERE status = 'afsluttet' AND closed < ?)", (cases,))
        cur = await db.execute(
            "UPDATE outbox SET subject = '', body = '', navn = NULL, cpr = NULL, "
            "cpr_maskeret = NULL, last_error = NULL WHERE status IN ('sendt', 'fejlet') AND "
            "time < ? AND (body != '' OR navn IS NOT NULL OR cpr IS NOT NULL)",
            (cases,),
        )
        report.outbox = cur.rowcount
    # old page versions would otherwise linger in the write-ahead log (secure_delete zeroes
    # the freed pages of the database file itself)
    await store.checkpoint()
    return report


def purge_due(now: datetime, last_purge: str | None, hour: int) -> bool:
    """Whether the nightly purge should run now: once a day, after ``hour`` o'clock."""
    return now.hour >= hour and last_purge != now.date().isoformat()
