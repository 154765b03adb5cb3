"""The outbox's delivery state, as store methods (both store backends inherit them).

A row moves ``afventer`` → ``sender`` (claimed by one delivery run) → ``sendt``, or back to
``afventer`` with a later ``next_attempt`` after a failure, or to ``fejlet`` when it cannot be
delivered. A claim is one conditional UPDATE, so two runs (``kcbot serve`` and ``kcbot outbox
send`` at once) never both send a row. A row left in ``sender`` by a process that died is taken
again once its claim is older than the lease: the mail may have gone out before the crash, so
the retry carries the same ``Message-ID``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kcbot.errors import StoreError

if TYPE_CHECKING:
    from kcbot.store.base import Store

__all__ = ["OUTBOX_STATUSES", "OutboxMethods"]

OUTBOX_STATUSES = ("afventer", "sender", "sendt", "fejlet")


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class OutboxMethods:
    async def outbox_due(self: Store, now: datetime, lease_cutoff: datetime,
                         recipients: list[str]) -> list[sqlite3.Row]:
        """Rows for these recipients that a delivery run may take now, oldest first."""
        if not recipients:
            return []
        marks = ", ".join("?" for _ in recipients)
        return await self.fetchall(
            f"SELECT * FROM outbox WHERE recipient IN ({marks}) AND ("
            "(status = 'afventer' AND (next_attempt IS NULL OR next_attempt <= ?)) OR "
            "(status = 'sender' AND claimed < ?)) ORDER BY id",
            (*recipients, _iso(now), _iso(lease_cutoff)),
        )

    async def claim_outbox(self: Store, row_id: int, now: datetime,
                           lease_cutoff: datetime) -> bool:
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE outbox SET status = 'sender', claimed = ?, attempts = attempts + 1, "
                "first_attempt = coalesce(first_attempt, ?) WHERE id = ? AND ("
                "(status = 'afventer' AND (next_attempt IS NULL OR next_attempt <= ?)) OR "
                "(status = 'sender' AND claimed < ?))",
                (_iso(now), _iso(now), row_id, _iso(now), _iso(lease_cutoff)),
            )
            return cur.rowcount == 1

    async def mark_outbox_sent(self: Store, row_id: int, now: datetime) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'sendt', sent = ?, claimed = NULL, next_attempt = NULL,"
                " last_error = NULL WHERE id = ?", (_iso(now), row_id),
            )

    async def reschedule_outbox(self: Store, row_id: int, next_attempt: datetime,
                                error: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'afventer', claimed = NULL, next_attempt = ?, "
                "last_error = ? WHERE id = ?", (_iso(next_attempt), error[:500], row_id),
            )

    async def release_outbox(self: Store, row_id: int) -> None:
        """Give a claimed row back untouched (the run stopped before sending it)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'afventer', claimed = NULL, attempts = CASE WHEN "
                "attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = ? AND status = 'sender'",
                (row_id,),
            )

    async def fail_outbox(self: Store, row_id: int, error: str, ticket_id: str | None) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'fejlet', claimed = NULL, next_attempt = NULL, "
                "last_error = ?, ticket_id = ? WHERE id = ?", (error[:500], ticket_id, row_id),
            )

    async def retry_outbox(self: Store, row_id: int) -> sqlite3.Row:
        """Put a row that failed (or waits for a later try) back for delivery now."""
        row = await self.outbox_row(row_id)
        if row["status"] not in ("fejlet", "afventer"):
            raise StoreError(f"Besked {row_id} har status '{row['status']}' og kan ikke sendes "
                             "igen.")
        async with self.transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'afventer', attempts = 0, first_attempt = NULL, "
                "next_attempt = NULL, claimed = NULL WHERE id = ?", (row_id,),
            )
        return await self.outbox_row(row_id)

    async def outbox_row(self: Store, row_id: int) -> sqlite3.Row:
        row = await self.fetchone("SELECT * FROM outbox WHERE id = ?", (row_id,))
        if row is None:
            raise StoreError(f"Der findes ingen besked med id {row_id} i udbakken.")
        return row

    async def outbox_list(self: Store, status: str | None = None) -> list[sqlite3.Row]:
        if status is not None and status not in OUTBOX_STATUSES:
            raise StoreError(f"Ukendt status '{status}'; brug {', '.join(OUTBOX_STATUSES)}.")
        if status is None:
            return await self.fetchall("SELECT * FROM outbox ORDER BY id")
        return await self.fetchall("SELECT * FROM outbox WHERE status = ? ORDER BY id", (status,))

    async def undelivered(self: Store) -> list[sqlite3.Row]:
        """Messages a supervisor should see: failed, or waiting after at least one failure."""
        return await self.fetchall(
            "SELECT * FROM outbox WHERE status = 'fejlet' OR (status = 'afventer' AND "
            "attempts > 0) ORDER BY status = 'fejlet' DESC, id"
        )

    async def erase_identities(self: Store, before: datetime) -> int:
        """Erase name and full CPR number from messages sent, and tickets closed, before
        ``before`` (the retention the citizen was told). The masked number stays."""
        cutoff = _iso(before)
        async with self.transaction() as db:
            sent = await db.execute(
                "UPDATE outbox SET navn = NULL, cpr = NULL WHERE status = 'sendt' AND sent < ? "
                "AND (navn IS NOT NULL OR cpr IS NOT NULL)", (cutoff,),
            )
            closed = await db.execute(
                "UPDATE tickets SET cpr = NULL WHERE status = 'afsluttet' AND closed < ? "
                "AND cpr IS NOT NULL", (cutoff,),
            )
            return int(sent.rowcount or 0) + int(closed.rowcount or 0)

    def outbox_dict(self: Store, row: sqlite3.Row) -> dict[str, Any]:
        """A row as lists and JSON show it: without the encrypted number."""
        return {k: row[k] for k in row.keys() if k != "cpr"}
