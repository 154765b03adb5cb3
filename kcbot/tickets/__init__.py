"""Callback tickets: what the bot hands to a person, and the agents' work on it."""

from __future__ import annotations

from kcbot.tickets.service import (
    QUEUES,
    SORTS,
    STATUSES,
    Routing,
    Ticket,
    TicketError,
    TicketService,
)

__all__ = ["QUEUES", "SORTS", "STATUSES", "Routing", "Ticket", "TicketError", "TicketService"]
