"""``kcbot db migrate --to postgresql://…``: an SQLite store copied into PostgreSQL, for a
municipality that started on one machine and now needs more.

The target is migrated to the same schema version and must be empty. Every table is copied in
one PostgreSQL transaction, in batches, by ``COPY``; the identity sequences and the ticket
number sequence are moved past the copied ids; then each table is read back and compared with
the source by row count and by a checksum (a sum of SHA-256 digests of the rows, so the order
rows come back in does not matter). Any difference rolls the whole copy back. Encrypted CPR
numbers are copied as they are: the new servers need the same ``KCBOT_DATA_KEY``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from kcbot.errors import StoreError
from kcbot.store.db import SQLiteStore
from kcbot.store.postgres import PostgresStore

__all__ = ["TABLES", "TableCopy", "copy_to_postgres"]

# In the order foreign keys need. daily_figures is a view; heartbeat and schema_version are
# the target's own.
TABLES = ("conversations", "turns", "events", "tickets", "ticket_history", "journal", "outbox",
          "processed_messages")
IDENTITIES = ("events", "ticket_history", "journal", "outbox")
BATCH = 5000
_MOD = 2**256


@dataclass
class TableCopy:
    table: str
    rows: int
    checksum: str  # hex, the same on both sides
    verified: bool

    def line(self) -> str:
        mark = "ok" if self.verified else "AFVIGER"
        return f"{self.table:<20} {self.rows:>9} rækker  kontrolsum {self.checksum[:16]}  {mark}"


def _row_digest(values: Any) -> int:
    text = json.dumps([v if not isinstance(v, float) else repr(v) for v in values],
                      ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), "big")


async def _sqlite_batches(source: SQLiteStore, table: str, columns: list[str]
                          ) -> AsyncIterator[list[tuple[Any, ...]]]:
    last = 0
    names = ", ".join(columns)
    while True:
        rows = await source.fetchall(
            f"SELECT rowid AS _rid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid "
            "LIMIT ?", (last, BATCH))
        if not rows:
            return
        last = rows[-1]["_rid"]
        yield [tuple(row)[1:] for row in rows]


async def copy_to_postgres(source: SQLiteStore, target: PostgresStore,
                           progress: Callable[[TableCopy], None] | None = None
                           ) -> list[TableCopy]:
    if await source.schema_version() != await target.schema_version():
        raise StoreError("Kilden og målet har ikke samme skema-version; opdater kcbot først.")
    for table in TABLES:
        row = await target.fetchone(f"SELECT count(*) FROM {table}")
        if row and row[0]:
            raise StoreError(f"Måldatabasen {target.location} er ikke tom ({table} har "
                             f"{row[0]} rækker). Kopiér kun til en ny, tom database.")
    results: list[TableCopy] = []
    async with target.transaction() as tx:
        conn = tx.conn  # type: ignore[attr-defined]
        for table in TABLES:
            columns = [r["name"] for r in await source.fetchall(f"PRAGMA table_info({table})")]
            target_columns = {r["column_name"] for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                "AND table_schema = current_schema()", table)}
            if set(columns) != target_columns:
                raise StoreError(f"Tabellen {table} har ikke de samme kolonner i kilde og mål.")
            count, total = 0, 0
            async for batch in _sqlite_batches(source, table, columns):
                await conn.copy_records_to_table(table, records=batch, columns=columns)
                count += len(batch)
                total = (total + sum(_row_digest(r) for r in batch)) % _MOD
            back_count, back_total = 0, 0
            names = ", ".join(columns)
            async for record in conn.cursor(f"SELECT {names} FROM {table}", prefetch=BATCH):
                back_count += 1
                back_total = (back_total + _row_digest(tuple(record))) % _MOD
            result = TableCopy(table, count, f"{total:064x}",
                               back_count == count and back_total == total)
            results.append(result)
            if progress:
                progress(result)
            if not result.verified:
                raise StoreError(f"Kopien af {table} afviger fra kilden ({back_count} af "
                                 f"{count} rækker, kontrolsum {back_total:064x}); intet er "
                                 "gemt i måldatabasen.")
        for table in IDENTITIES:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
        # ticket numbers go on after the highest copied, whatever its year
        await conn.execute(
            "SELECT setval('ticket_numbers', coalesce((SELECT max(substr(id, 9)::bigint) "
            "FROM tickets WHERE id ~ '^KC-[0-9]{4}-[0-9]+$'), 0) + 1, false)")
    return results
