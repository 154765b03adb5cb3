"""One outbox row as one plain-text mail, and sending it with aiosmtplib.

The ``Message-ID`` is derived from the row (its id, time and conversation), so every try of the
same row carries the same id: a mail retried after a crash between sending and marking it sent
is recognisable as the same message, and mail systems that deduplicate on it drop the copy.
"""

from __future__ import annotations

import hashlib
import sqlite3
import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from babel.dates import format_datetime as babel_datetime

from kcbot.clock import TZ
from kcbot.config import SmtpSettings, is_loopback
from kcbot.delivery.recipients import Recipient
from kcbot.errors import ConfigError

__all__ = ["SmtpFailure", "compose", "message_id", "send"]

IDENTITY_LABELS = {
    "verificeret": "verificeret med MitID af kommunens selvbetjening",
    "oplyst": "oplyst af borgeren i chatten (ikke verificeret)",
}


def message_id(row: sqlite3.Row, sender: str) -> str:
    digest = hashlib.sha256(
        f"{row['id']}|{row['time']}|{row['conversation_id']}".encode()
    ).hexdigest()[:16]
    domain = sender.rpartition("@")[2] or "kcbot.invalid"
    return f"<kcbot.outbox.{row['id']}.{digest}@{domain}>"


def compose(row: sqlite3.Row, cpr: str | None, recipient: Recipient, sender: str) -> EmailMessage:
    """The mail for ``row``; ``cpr`` is the decrypted number (None if none was given)."""
    navn = row["navn"] or "ikke oplyst"
    registered = datetime.fromisoformat(row["time"]).astimezone(TZ)
    when = babel_datetime(registered, "EEEE 'den' d. MMMM y 'kl.' HH.mm", locale="da_DK")
    lines = [
        "Registrering fra Jobcenter Københavns chatbot (kcbot)",
        "",
        f"Borger:       {navn}",
        f"CPR-nummer:   {cpr or 'ikke oplyst'}",
        f"Identitet:    {IDENTITY_LABELS.get(row['identitet'] or '', 'ikke oplyst')}",
        "",
        f"Registreret:  {row['subject']}",
        textwrap.fill(row["body"], 76, initial_indent=" " * 14, subsequent_indent=" " * 14),
        f"Tidspunkt:    {when}",
        f"Regel:        {row['regel'] or '-'}",
        f"Samtale-id:   {row['conversation_id'] or '-'}",
        f"Udbakke-id:   {row['id']}",
        "",
        *textwrap.wrap(f"Borgeren har fået at vide, at {recipient.navn} har fået besked. "
                       "Samtalen kan læses i kcbot-konsollen under Samtaler. Beskeden er sendt "
                       "automatisk; svar ikke på den.", 76),
    ]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient.adresse or ""
    message["Subject"] = f"{row['subject']} – {navn}"
    message["Date"] = format_datetime(registered)
    message["Message-ID"] = message_id(row, sender)
    message["X-Kcbot-Outbox-Id"] = str(row["id"])
    message.set_content("\n".join(lines) + "\n", charset="utf-8")
    return message


@dataclass
class SmtpFailure(Exception):
    """A try that did not deliver. ``permanent``: the server refused the recipient or the
    message for good (5xx); else it may work later (4xx, server down, timeout)."""

    text: str
    permanent: bool = False

    def __str__(self) -> str:
        return self.text


async def send(message: EmailMessage, settings: SmtpSettings) -> None:
    import aiosmtplib

    if not settings.host:
        raise ConfigError("SMTP er ikke sat op (KCBOT_SMTP_HOST).")
    if settings.tls == "none" and not is_loopback(settings.host):
        raise ConfigError(f"KCBOT_SMTP_TLS=none er kun tilladt til denne maskine, ikke til "
                          f"{settings.host}. Brug starttls eller tls.")
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.host,
            port=settings.port,
            username=settings.user,
            password=settings.password,
            use_tls=settings.tls == "tls",
            start_tls=True if settings.tls == "starttls" else False,
            timeout=settings.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [getattr(e, "code", 0) for e in exc.recipients]
        raise SmtpFailure(f"modtageren blev afvist: {exc}",
                          permanent=all(500 <= c < 600 for c in codes)) from None
    except aiosmtplib.SMTPDataError as exc:
        raise SmtpFailure(f"serveren afviste beskeden: {exc.code} {exc.message}",
                          permanent=500 <= exc.code < 600) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise SmtpFailure(f"serveren svarede {exc.code} {exc.message}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SmtpFailure(f"ingen forbindelse til {settings.host}:{settings.port}: "
                          f"{exc.__class__.__name__}: {exc}") from None
