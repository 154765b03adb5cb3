"""Delivery: every outbox row for a mail recipient becomes one mail, sent once.

``await Delivery(...).run_once()`` takes the rows that are due, claims each (so a concurrent run
skips it), composes and sends the mail, and marks it sent. A try that fails is scheduled again
after 1 min, 5 min, 30 min, then every 2 h; when the first try is 24 h old (or the server
refuses the message for good, 5xx) the row becomes ``fejlet`` and a callback ticket asks a
person to deliver it by hand. Letters (``kanal: brev``) are a queue for staff and are not sent.
After each run, name and CPR number are erased from messages delivered longer ago than the
retention the citizen was told (``privatliv.opbevaring_dage``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from kcbot.config import SmtpSettings
from kcbot.delivery.mail import SmtpFailure, compose
from kcbot.delivery.mail import send as smtp_send
from kcbot.delivery.recipients import Recipients
from kcbot.store import Store
from kcbot.tickets import TicketService

__all__ = ["BACKOFF", "GIVE_UP_AFTER", "LEASE", "Delivery", "DeliveryReport"]

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
GIVE_UP_AFTER = timedelta(hours=24)
# A claim older than this belongs to a run that died (a send times out after 30 s).
LEASE = timedelta(minutes=10)
TICKET_CATEGORY = "udsendelse_fejlet"

Sender = Callable[[EmailMessage, SmtpSettings], Awaitable[None]]


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)  # failed this time, tried again later
    failed: list[int] = field(default_factory=list)  # fejlet: a person takes over
    held: list[int] = field(default_factory=list)  # recipient still has a placeholder address
    erased: int = 0

    def line(self) -> str:
        return (f"{len(self.sent)} sendt, {len(self.retry)} prøves igen senere, "
                f"{len(self.failed)} fejlet, {len(self.held)} venter på en modtageradresse")


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


class Delivery:
    def __init__(self, store: Store, smtp: SmtpSettings, recipients: Recipients | None = None,
                 tickets: TicketService | None = None, sender: Sender = smtp_send) -> None:
        self.store = store
        self.smtp = smtp
        self.recipients = recipients or Recipients.load()
        self.tickets = tickets or TicketService.open(store)
        self._send = sender

    async def run_once(self) -> DeliveryReport:
        report = DeliveryReport()
        now = self.store.clock.now()
        mail = [r.key for r in self.recipients.by_key.values() if r.by_mail]
        for row in await self.store.outbox_due(now, now - LEASE, mail):
            recipient = self.recipients[row["recipient"]]
            if recipient.placeholder:
                report.held.append(row["id"])
                continue
            await self._deliver(row, report)
        keep = timedelta(days=self.recipients.privacy.opbevaring_dage)
        report.erased = await self.store.erase_identities(now - keep)
        return report

    async def _deliver(self, row: sqlite3.Row, report: DeliveryReport) -> None:
        # Decrypt before claiming: a wrong data key stops the run and leaves the row as it was.
        cpr = self.store.open_cpr(row["cpr"])
        recipient = self.recipients[row["recipient"]]
        message = compose(row, cpr, recipient, self.smtp.sender or "")
        now = self.store.clock.now()
        if not await self.store.claim_outbox(row["id"], now, now - LEASE):
            return  # another run has it
        row = await self.store.outbox_row(row["id"])
        if row["attempts"] > 1:
            message["X-Kcbot-Attempt"] = str(row["attempts"])
        try:
            await self._send(message, self.smtp)
        except SmtpFailure as failure:
            await self._failed(row, cpr, str(failure), failure.permanent, report)
            return
        except BaseException:
            await self.store.release_outbox(row["id"])
            raise
        await self.store.mark_outbox_sent(row["id"], self.store.clock.now())
        log.info("outbox %s sent to %s", row["id"], recipient.key)
        report.sent.append(row["id"])

    async def _failed(self, row: sqlite3.Row, cpr: str | None, error: str, permanent: bool,
                      report: DeliveryReport) -> None:
        now = self.store.clock.now()
        first = row["first_attempt"]
        started = datetime.fromisoformat(first) if first else now
        log.warning("outbox %s not delivered (try %s): %s", row["id"], row["attempts"], error)
        if not permanent and now - started < GIVE_UP_AFTER:
            await self.store.reschedule_outbox(row["id"], now + backoff(row["attempts"]), error)
            report.retry.append(row["id"])
            return
        recipient = self.recipients[row["recipient"]]
        summary = (f"Beskeden til {recipient.navn} ({row['subject']}) kunne ikke sendes efter "
                   f"{row['attempts']} forsøg: {error}. Send den i hånden: "
                   f"kcbot outbox list --status fejlet, derefter kcbot outbox retry {row['id']}.")
        ticket, _ = await self.tickets.create(
            row["conversation_id"], TICKET_CATEGORY, summary, navn=row["navn"], cpr=cpr,
        )
        await self.store.fail_outbox(row["id"], error, ticket.id)
        report.failed.append(row["id"])
