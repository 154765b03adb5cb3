"""Delivery of what the bot registers: recipients as data, one plain-text mail per outbox row
over SMTP (aiosmtplib), retries with backoff, and a ticket for a person when it cannot be sent.

The names below are imported from their modules on first use (``__getattr__``): the actions
read the recipients (``kcbot.delivery.recipients``) at every start, while composing and sending
mail (``mail``, ``runner``) belong to ``kcbot serve`` and ``kcbot outbox``, not to a reply.
"""

from __future__ import annotations

from kcbot import lazy

__all__ = [  # noqa: F822 - bound on first use by __getattr__
    "BACKOFF", "GIVE_UP_AFTER", "Delivery", "DeliveryReport", "Privacy", "Recipient",
    "Recipients", "SmtpFailure", "compose", "message_id",
]

__getattr__ = lazy.attributes(__name__, {
    "SmtpFailure": "mail", "compose": "mail", "message_id": "mail",
    "Privacy": "recipients", "Recipient": "recipients", "Recipients": "recipients",
    "BACKOFF": "runner", "GIVE_UP_AFTER": "runner", "Delivery": "runner",
    "DeliveryReport": "runner",
})
