"""What an action may touch: the store, the ticket service, the calendar and the clock.

The engine runs actions in-process and hands them its own context (same store connection, so an
action's writes join the turn's transaction). Served over HTTP by ``python -m rasa_sdk --actions
kcbot.actions``, there is no engine: the first action opens the store named by ``KCBOT_DB`` with
the system clock, and a Rasa ``sender_id`` gets a conversation of its own (channel ``rasa``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kcbot.calendar import BusinessCalendar
from kcbot.clock import Clock, SystemClock
from kcbot.config import Settings, data_path
from kcbot.store import Store
from kcbot.tickets import Routing, TicketService
from kcbot.yamlio import load_yaml

__all__ = ["ActionContext", "content", "current", "using"]

RASA_CHANNEL = "rasa"


@dataclass
class ActionContext:
    store: Store
    tickets: TicketService
    calendar: BusinessCalendar
    clock: Clock
    conversation_id: str | None = None  # set by the engine for the turn being run

    @classmethod
    def build(cls, store: Store, clock: Clock, calendar: BusinessCalendar | None = None) -> ActionContext:
        calendar = calendar or BusinessCalendar.load()
        return cls(store, TicketService(store, calendar, Routing.load()), calendar, clock)

    async def conversation_for(self, sender_id: str | None) -> str:
        """The kcbot conversation an action works on."""
        if self.conversation_id:
            return self.conversation_id
        sender = sender_id or "ukendt"
        if await self.store.conversation(sender):
            return sender
        return await self.store.active_conversation(
            RASA_CHANNEL, sender
        ) or await self.store.start_conversation(RASA_CHANNEL, sender)


_current: ContextVar[ActionContext | None] = ContextVar("kcbot_action_context", default=None)
_standalone: dict[int, ActionContext] = {}
_standalone_lock = asyncio.Lock()


@contextmanager
def using(context: ActionContext) -> Iterator[ActionContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


async def current() -> ActionContext:
    context = _current.get()
    if context is not None:
        return context
    # Action server: one store per event loop (a Sanic worker has one loop).
    loop_id = id(asyncio.get_running_loop())
    async with _standalone_lock:
        if loop_id not in _standalone:
            clock = SystemClock()
            store = await Store.open(Settings().db_path, clock)
            _standalone[loop_id] = ActionContext.build(store, clock)
    return _standalone[loop_id]


@cache
def content(name: str, folder: Path | None = None) -> dict[str, Any]:
    """A content file from ``dialogues/`` (rules, tables), read once per process."""
    doc = load_yaml((folder or data_path("dialogues")) / name)
    return doc if isinstance(doc, dict) else {}
