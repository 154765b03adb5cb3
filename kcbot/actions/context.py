"""What an action may touch: the store, the ticket service, the calendar and the clock.

The engine runs actions in-process and hands them its own context (same store connection, so an
action's writes join the turn's transaction). Served over HTTP by ``python -m rasa_sdk --actions
kcbot.actions``, there is no engine: each action opens the store named by ``KCBOT_DB`` with the
system clock, and a Rasa ``sender_id`` gets a conversation of its own (channel ``rasa``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kcbot.calendar import BusinessCalendar
from kcbot.clock import Clock, SystemClock
from kcbot.config import Settings, data_path
from kcbot.scoped import Scoped
from kcbot.store import Store
from kcbot.tickets import Routing, TicketService
from kcbot.yamlio import load_yaml

if TYPE_CHECKING:
    from kcbot.delivery.recipients import Recipients

__all__ = ["ActionContext", "content", "current", "recipients", "using"]

RASA_CHANNEL = "rasa"


@dataclass
class ActionContext:
    store: Store
    tickets: TicketService
    calendar: BusinessCalendar
    clock: Clock
    conversation_id: str | None = None  # set by the engine for the turn being run

    @classmethod
    def build(cls, store: Store, clock: Clock, calendar: BusinessCalendar | None = None,
              routing: Routing | None = None) -> ActionContext:
        tickets = TicketService.open(store, calendar, routing)
        return cls(store, tickets, tickets.calendar, clock)

    def for_conversation(self, conversation_id: str) -> ActionContext:
        """This context for one conversation's turn: the shallow copy ``dataclasses.replace``
        makes, without its work per field (the engine needs one a turn)."""
        context = object.__new__(type(self))
        context.__dict__.update(self.__dict__, conversation_id=conversation_id)
        return context

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


def using(context: ActionContext) -> Scoped[ActionContext]:
    """Within the block, the actions run with this context."""
    return Scoped(_current, context)


class _Current:
    """``async with current()``: a class, not an async generator, as most turns enter one."""

    __slots__ = ("connected",)

    def __init__(self) -> None:
        self.connected: AbstractAsyncContextManager[Store] | None = None

    async def __aenter__(self) -> ActionContext:
        context = _current.get()
        if context is not None:
            return context
        clock = SystemClock()
        self.connected = Store.connect(Settings().store_target, clock)
        store = await self.connected.__aenter__()
        try:
            return ActionContext.build(store, clock, *_configuration())
        except BaseException as exc:  # the store is closed, and the error goes on
            connected, self.connected = self.connected, None
            await connected.__aexit__(type(exc), exc, exc.__traceback__)
            raise

    async def __aexit__(self, *exc: Any) -> bool | None:
        connected, self.connected = self.connected, None
        if connected is None:
            return None
        return await connected.__aexit__(*exc)


def current() -> _Current:
    """The engine's context, or, on the action server, the store opened for this one call (a
    connection held between calls would keep the server's process from exiting)."""
    return _Current()


@cache
def _configuration() -> tuple[BusinessCalendar, Routing]:
    """Calendar and routing for the action server, read once per process like the engine's."""
    return BusinessCalendar.load(), Routing.load()


@cache
def content(name: str, folder: Path | None = None) -> dict[str, Any]:
    """A content file from ``dialogues/`` (rules, tables), read once per process."""
    doc = load_yaml((folder or data_path("dialogues")) / name)
    return doc if isinstance(doc, dict) else {}


def recipients() -> Recipients:
    """The configured recipients (``dialogues/modtagere.yml``), imported and read on first use:
    a registration and the identity check need them, a start does not."""
    from kcbot.delivery.recipients import configured

    return configured()
