"""Callback tickets: creation (idempotent), routing, the agents' operations and SLA state.

Every change is one transaction that updates the ticket and appends to ``ticket_history``, so
the history is complete by construction. The CLI and the console call these same methods."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from kcbot import labels
from kcbot.calendar import BusinessCalendar
from kcbot.clock import TZ
from kcbot.config import data_path
from kcbot.errors import DataError, KcbotError
from kcbot.privacy import mask_cpr
from kcbot.store import Store
from kcbot.yamlio import load_yaml

__all__ = ["QUEUES", "SORTS", "STATUSES", "Routing", "Ticket", "TicketError", "TicketService",
           "staff_initials", "staff_text"]

QUEUES = ("jobcenter", "ydelsesservice", "cdu")
STATUSES = ("ny", "i_gang", "afsluttet", "genaabnet")
OPEN = ("ny", "i_gang", "genaabnet")
COMPLAINT_CATEGORY = "klage"
# The columns a queue can be sorted by (the console's headers); every sort ends on id, so
# paging is stable.
SORTS = {"id": "id", "due": "due", "sla": "due", "queue": "queue", "status": "status",
         "category": "category", "navn": "navn", "summary": "summary", "agent": "agent"}


class TicketError(KcbotError):
    """An operation an agent asked for that cannot be done; nothing was changed."""


_INITIALS = re.compile(r"^[A-ZÆØÅÄÖÜ]{2,5}$")


def _masked(value: str | None) -> str | None:
    """A name or phone number as stored: a CPR number typed into it is masked, so neither the
    table nor the search index built from it (migration 7) holds one in clear."""
    return mask_cpr(value) if value else value


# Control characters (an ESC starts a sequence that retitles or rewrites the agent's terminal)
# and format characters (bidi overrides reorder what is shown); a line break and a tab stay.
def _printable(text: str) -> str:
    return "".join(c for c in text
                   if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))


def staff_text(text: str) -> str:
    """What an agent typed, safe to store and to print: no control or format characters, and
    CPR numbers masked."""
    return mask_cpr(_printable(text or "").strip())


def staff_initials(agent: str) -> str:
    """An agent's initials: 2 to 5 letters, upper case."""
    initials = _printable(agent or "").strip().upper()
    if not initials:
        raise TicketError("Skriv dine initialer (--agent), så ændringen kan spores.")
    if not _INITIALS.match(initials):
        raise TicketError("Initialer skal være 2 til 5 bogstaver, fx MHA.")
    return initials


@dataclass(frozen=True)
class Routing:
    routes: dict[str, str]
    default: str = "jobcenter"
    urgent: frozenset[str] = frozenset()  # due at once: the top of the queue

    @classmethod
    def load(cls, path: Path | None = None) -> Routing:
        path = path or data_path("dialogues") / "koeer.yml"
        doc = load_yaml(path) or {}
        routes = doc.get("routes") or {}
        default = doc.get("default", "jobcenter")
        for key, queue in [*routes.items(), ("default", default)]:
            if queue not in QUEUES:
                raise DataError(path, f"routes.{key}", f"ukendt kø {queue!r}; brug {QUEUES}")
        urgent = doc.get("urgent") or []
        if not isinstance(urgent, list):
            raise DataError(path, "urgent", "skal være en liste af kategorier")
        return cls({str(k): str(v) for k, v in routes.items()}, str(default),
                   frozenset(str(c) for c in urgent))

    def queue(self, category: str) -> str:
        return self.routes.get(category, self.default)


@dataclass(frozen=True)
class Ticket:
    id: str
    conversation_id: str | None
    queue: str
    category: str
    borgergruppe: str | None
    navn: str | None
    telefon: str | None
    cpr: str | None
    summary: str
    created: str
    due: str
    closed: str | None
    status: str
    agent: str | None
    resolution: str | None
    cpr_maskeret: str | None = None  # what screens show; ``cpr`` is the encrypted number

    def sla(self, now: datetime) -> str:
        """``rettidig``, ``forfalder_i_dag`` or ``overskredet``; a closed ticket is judged at
        the moment it was closed."""
        due = datetime.fromisoformat(self.due)
        moment = datetime.fromisoformat(self.closed) if self.closed else now
        if moment > due:
            return "overskredet"
        if not self.closed and moment.astimezone(TZ).date() == due.astimezone(TZ).date():
            return "forfalder_i_dag"
        return "rettidig"

    @property
    def closed_on_time(self) -> bool | None:
        if not self.closed:
            return None
        return datetime.fromisoformat(self.closed) <= datetime.fromisoformat(self.due)

    def as_json(self) -> dict[str, object]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cpr"}
        d.pop("resolution")
        return d


class TicketService:
    def __init__(self, store: Store, calendar: BusinessCalendar, routing: Routing) -> None:
        self.store = store
        self.calendar = calendar
        self.routing = routing

    @classmethod
    def open(cls, store: Store, calendar: BusinessCalendar | None = None,
             routing: Routing | None = None) -> TicketService:
        """The service on the configured calendar and routing (``dialogues/``)."""
        return cls(store, calendar or BusinessCalendar.load(), routing or Routing.load())

    def _now(self) -> datetime:
        return self.store.clock.now()

    async def create(
        self,
        conversation_id: str | None,
        category: str,
        summary: str,
        *,
        borgergruppe: str | None = None,
        navn: str | None = None,
        telefon: str | None = None,
        cpr: str | None = None,
        agent: str = "kcbot",
    ) -> tuple[Ticket, bool]:
        """Create a ticket, or return the open one for this conversation and category.
        Returns ``(ticket, created)``."""
        if conversation_id is not None:
            existing = await self._open_for(conversation_id, category)
            if existing:
                return existing, False
        now = self._now()
        if category in self.routing.urgent:
            # the same business day: today's closing time, or the next open day's
            today = self.calendar.day(now.astimezone(TZ).date())
            if today.is_open and now.astimezone(TZ).time() < today.closes:  # type: ignore[operator]
                due = self.calendar.closing_time(today.day)
            else:
                due = self.calendar.closing_time(self.calendar.next_opening(now).date())
        elif category == COMPLAINT_CATEGORY:
            due = self.calendar.complaint_due(now)
        else:
            due = self.calendar.callback_due(now)
        queue = self.routing.queue(category)
        sealed, masked = self.store.seal_cpr(cpr)  # the full number only encrypted
        created = now.isoformat(timespec="seconds")
        navn, telefon, summary = _masked(navn), _masked(telefon), mask_cpr(summary)
        try:
            async with self.store.transaction() as db:
                prefix = f"KC-{now.year}-"
                # SQLite: the year's highest plus one; PostgreSQL: a sequence (several workers)
                number = await self.store.next_ticket_number(prefix)
                ticket_id = f"{prefix}{number:06d}"
                await db.execute(
                    "INSERT INTO tickets (id, conversation_id, queue, category, borgergruppe, "
                    "navn, telefon, cpr, cpr_maskeret, summary, created, due, status) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ny')",
                    (ticket_id, conversation_id, queue, category, borgergruppe, navn, telefon,
                     sealed, masked, summary, created, due.isoformat(timespec="seconds")),
                )
                # the deadline as staff read it: "26-11-2026 16:00" looked like a CPR number
                # to mask_cpr and was stored as "261120-XXXX:00"
                detail = f"kø {labels.label('queue', queue)}, frist {labels.when(due)}"
                await self._log(db, ticket_id, agent, "oprettet", detail)
        except self.store.integrity_error:
            # a concurrent retry created it first: the partial unique index keeps one open
            existing = await self._open_for(conversation_id or "", category)
            if existing:
                return existing, False
            raise
        # the row as written (every column the INSERT sets, the rest at their defaults), not
        # read back: a turn that opens a ticket saves a query
        return Ticket(ticket_id, conversation_id, queue, category, borgergruppe, navn, telefon,
                      sealed, summary, created, due.isoformat(timespec="seconds"), None, "ny",
                      None, None, masked), True

    async def add_contact(self, ticket_id: str, *, navn: str | None = None,
                          telefon: str | None = None, agent: str = "kcbot") -> Ticket:
        """Fill in the name and phone number a ticket was created without (a crisis ticket is
        opened the moment the crisis is read, before the citizen gives a number)."""
        ticket = await self.get(ticket_id)
        changes = {k: v for k, v in (("navn", _masked(navn)), ("telefon", _masked(telefon)))
                   if v and v != getattr(ticket, k)}
        if not changes:
            return ticket
        async with self.store.transaction() as db:
            await db.execute(
                f"UPDATE tickets SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                (*changes.values(), ticket_id),
            )
            await self._log(db, ticket_id, agent, "kontakt", ", ".join(sorted(changes)))
        return await self.get(ticket_id)

    async def _open_for(self, conversation_id: str, category: str) -> Ticket | None:
        row = await self.store.fetchone(
            "SELECT * FROM tickets WHERE conversation_id = ? AND category = ? "
            "AND status != 'afsluttet'",
            (conversation_id, category),
        )
        return Ticket(**dict(row)) if row else None

    async def _log(self, db, ticket_id: str, agent: str | None, action: str, detail: str) -> None:
        await db.execute(
            "INSERT INTO ticket_history (ticket_id, time, agent, action, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            (ticket_id, self._now().isoformat(timespec="seconds"), agent, action,
             mask_cpr(detail)),
        )

    async def get(self, ticket_id: str) -> Ticket:
        row = await self.store.fetchone("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        if row is None:
            raise TicketError(f"Der findes ingen sag med id {ticket_id!r}.")
        return Ticket(**dict(row))

    async def list(
        self, queue: str | None = None, status: str | None = None, overdue: bool = False
    ) -> list[Ticket]:
        if queue and queue not in QUEUES:
            raise TicketError(f"Ukendt kø {queue!r}; brug {', '.join(QUEUES)}.")
        if status and status not in STATUSES:
            raise TicketError(f"Ukendt status {status!r}; brug {', '.join(STATUSES)}.")
        sql, params = "SELECT * FROM tickets WHERE 1 = 1", []
        if queue:
            sql, params = sql + " AND queue = ?", [*params, queue]
        if status:
            sql, params = sql + " AND status = ?", [*params, status]
        if overdue:
            sql += " AND status != 'afsluttet' AND due < ?"
            params.append(self._now().isoformat(timespec="seconds"))
        # Open urgent tickets (a citizen in crisis) first, then by due time.
        urgent = sorted(self.routing.urgent) or [""]
        rows = await self.store.fetchall(
            sql + f" ORDER BY (status != 'afsluttet' AND category IN "
            f"({', '.join('?' * len(urgent))})) DESC, due, id", [*params, *urgent])
        return [Ticket(**dict(r)) for r in rows]

    async def page(
        self, *, queue: str | None = None, status: str | None = None, open_only: bool = False,
        overdue: bool = False, due_today: bool = False, agent: str | None = None,
        search: str = "", category: str | None = None, sort: str = "due",
        descending: bool = False, offset: int = 0, limit: int = 200,
    ) -> tuple[list[Ticket], int]:
        """One page of the queue and the number of tickets the filters match, both in SQL, so
        a 100,000-ticket queue costs one indexed query per page. ``search`` matches every
        word against the case number, name, phone number (spaces ignored) and summary."""
        if queue and queue not in QUEUES:
            raise TicketError(f"Ukendt kø {queue!r}; brug {', '.join(QUEUES)}.")
        if status and status not in STATUSES:
            raise TicketError(f"Ukendt status {status!r}; brug {', '.join(STATUSES)}.")
        if sort not in SORTS:
            raise TicketError(f"Kan ikke sortere efter {sort!r}; brug {', '.join(SORTS)}.")
        where, params = ["1 = 1"], []  # type: ignore[var-annotated]
        now = self._now()
        if queue:
            where.append("queue = ?")
            params.append(queue)
        if status:
            where.append("status = ?")
            params.append(status)
        if open_only or overdue or due_today:  # by name, so the (status, due) index is used
            where.append(f"status IN ({', '.join(repr(s) for s in OPEN)})")
        if overdue:
            where.append("due < ?")
            params.append(now.isoformat(timespec="seconds"))
        if due_today:
            where.append("due >= ? AND due < ?")
            params += [now.isoformat(timespec="seconds"),
                       (now.date() + timedelta(days=1)).isoformat()]
        if category:
            where.append("category = ?")
            params.append(category)
        if agent:
            where.append("agent = ?")
            params.append(agent.upper())
        words = [w for w in (word.replace(chr(92), "").replace("%", "").replace("_", "")
                             for word in search.split()) if w]
        # the store's search index narrows the rows first (migration 7); the LIKEs decide
        narrow, narrow_params = self.store.ticket_search(words) if words else ("", [])
        if narrow:
            where.append(narrow)
            params += narrow_params
        for word in words:
            pattern = f"%{word}%"
            where.append("(id LIKE ? OR navn LIKE ? OR replace(telefon, ' ', '') LIKE ? "
                         "OR summary LIKE ?)")
            params += [pattern, pattern, pattern, pattern]
        clause = " AND ".join(where)
        row = await self.store.fetchone(f"SELECT count(*) FROM tickets WHERE {clause}", params)
        total = int(row[0]) if row else 0
        direction = "DESC" if descending else "ASC"
        rows = await self.store.fetchall(
            f"SELECT * FROM tickets WHERE {clause} ORDER BY {SORTS[sort]} {direction}, "
            f"id {direction} LIMIT ? OFFSET ?", [*params, limit, max(0, offset)])
        return [Ticket(**dict(r)) for r in rows], total

    async def history(self, ticket_id: str) -> list[dict[str, object]]:
        await self.get(ticket_id)
        rows = await self.store.fetchall(
            "SELECT time, agent, action, detail FROM ticket_history WHERE ticket_id = ? "
            "ORDER BY id", (ticket_id,),
        )
        return [dict(r) for r in rows]

    async def _change(
        self, ticket_id: str, agent: str, action: str, detail: str, allowed: tuple[str, ...],
        updates: dict[str, object], keep_owner: bool = False,
    ) -> Ticket:
        """Apply ``updates`` and log the action, if the status allows it. The acting agent
        becomes the ticket's agent, unless ``keep_owner`` and someone already has it."""
        agent = staff_initials(agent)
        detail = staff_text(detail)
        ticket = await self.get(ticket_id)
        if ticket.status not in allowed:
            raise TicketError(
                f"Sag {ticket_id} har status '{ticket.status}'; '{action}' kræver "
                f"{' eller '.join(allowed)}."
            )
        owner = ticket.agent if keep_owner and ticket.agent else agent
        updates = {"agent": owner, **updates}
        try:
            async with self.store.transaction() as db:
                assignments = ", ".join(f"{k} = ?" for k in updates)
                await db.execute(
                    f"UPDATE tickets SET {assignments} WHERE id = ?",
                    (*updates.values(), ticket_id),
                )
                await self._log(db, ticket_id, agent, action, detail)
        except self.store.integrity_error:
            raise TicketError(
                f"Sag {ticket_id} kan ikke genåbnes: samtalen har allerede en åben sag om "
                f"'{ticket.category}'."
            ) from None
        return await self.get(ticket_id)

    async def claim(self, ticket_id: str, agent: str) -> Ticket:
        return await self._change(ticket_id, agent, "taget", "", ("ny", "genaabnet"),
                                  {"status": "i_gang"})

    async def note(self, ticket_id: str, agent: str, text: str) -> Ticket:
        if not text.strip():
            raise TicketError("Notatet er tomt.")
        # a note does not take the ticket from whoever has it
        return await self._change(ticket_id, agent, "notat", text.strip(), OPEN, {},
                                  keep_owner=True)

    async def close(self, ticket_id: str, agent: str, note: str) -> Ticket:
        if not note.strip():
            raise TicketError("Skriv hvad der blev gjort (--note), før sagen lukkes.")
        now = self._now().isoformat(timespec="seconds")
        return await self._change(ticket_id, agent, "afsluttet", note.strip(), OPEN,
                                  {"status": "afsluttet", "closed": now,
                                   "resolution": staff_text(note)})

    async def reopen(self, ticket_id: str, agent: str, reason: str = "") -> Ticket:
        """Reopen a closed ticket with a new deadline (the callback rule: two business days
        from now), recorded with the reason in the history."""
        due = self.calendar.callback_due(self._now())
        detail = f"ny frist {labels.when(due)}"
        if reason.strip():
            detail = f"{reason.strip()}; {detail}"
        return await self._change(ticket_id, agent, "genåbnet", detail, ("afsluttet",),
                                  {"status": "genaabnet", "closed": None, "resolution": None,
                                   "due": due.isoformat(timespec="seconds")})

    async def take_over(self, ticket_id: str, agent: str) -> Ticket:
        """Take a ticket a colleague is working on; the history names whom it came from."""
        ticket = await self.get(ticket_id)
        if ticket.agent and ticket.agent == (agent or "").strip().upper():
            raise TicketError(f"Sag {ticket_id} er allerede din.")
        return await self._change(ticket_id, agent, "overtaget",
                                  f"fra {ticket.agent or '–'}", ("i_gang",), {})

    async def undo(self, before: Ticket, agent: str) -> Ticket:
        """Put a ticket back as it was in ``before`` (the agent's last change, undone within
        the console's short window), if nobody has changed it since; the history keeps both
        the change and its undoing."""
        agent = (agent or "").strip().upper()
        if not agent:
            raise TicketError("Skriv dine initialer, så ændringen kan spores.")
        last = await self.store.fetchone(
            "SELECT agent, action FROM ticket_history WHERE ticket_id = ? ORDER BY id DESC "
            "LIMIT 1", (before.id,))
        if last is None or last["agent"] != agent or last["action"] == "fortrudt":
            raise TicketError(f"Sag {before.id} er ændret siden; der er intet at fortryde.")
        restored = {"status": before.status, "agent": before.agent, "closed": before.closed,
                    "resolution": before.resolution, "due": before.due}
        try:
            async with self.store.transaction() as db:
                assignments = ", ".join(f"{k} = ?" for k in restored)
                await db.execute(f"UPDATE tickets SET {assignments} WHERE id = ?",
                                 (*restored.values(), before.id))
                await self._log(db, before.id, agent, "fortrudt", f"{last['action']} fortrudt")
        except self.store.integrity_error:
            raise TicketError(
                f"Sag {before.id} kan ikke sættes tilbage: samtalen har nu en anden åben sag "
                f"om '{before.category}'.") from None
        return await self.get(before.id)
