"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and can refuse."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from kcbot.channels.process import free_port
from kcbot.config import SmtpSettings

__all__ = ["Inbox", "smtp_server"]


@dataclass
class Inbox:
    """What the server received, and what it answers next (``refuse = "451 ..."``)."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: str | None = None  # the reply to DATA instead of 250
    refuse_rcpt: str | None = None  # the reply to RCPT TO instead of 250
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def settings(self, **changes: Any) -> SmtpSettings:
        values = {"host": "127.0.0.1", "port": self.port, "sender": "kcbot@kk.example",
                  "tls": "none", "timeout": 5.0, **changes}
        return SmtpSettings(**values)

    def env(self) -> dict[str, str]:
        return {"KCBOT_SMTP_HOST": "127.0.0.1", "KCBOT_SMTP_PORT": str(self.port),
                "KCBOT_SMTP_FROM": "kcbot@kk.example", "KCBOT_SMTP_TLS": "none",
                "KCBOT_RECIPIENT_JOBCENTER": "jobcenter@kk.example"}


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
