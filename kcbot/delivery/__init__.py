"""Delivery of what the bot registers: recipients as data, one plain-text mail per outbox row
over SMTP (aiosmtplib), retries with backoff, and a ticket for a person when it cannot be sent."""

from __future__ import annotations

from kcbot.delivery.mail import SmtpFailure, compose, message_id
from kcbot.delivery.recipients import Privacy, Recipient, Recipients
from kcbot.delivery.runner import BACKOFF, GIVE_UP_AFTER, Delivery, DeliveryReport

__all__ = [
    "BACKOFF", "GIVE_UP_AFTER", "Delivery", "DeliveryReport", "Privacy", "Recipient",
    "Recipients", "SmtpFailure", "compose", "message_id",
]
