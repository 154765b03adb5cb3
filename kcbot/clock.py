"""One clock, Europe/Copenhagen, injected wherever time is read.

Nothing in kcbot calls ``datetime.now()`` directly: it asks the ``Clock`` it was given, so tests,
``--now`` and the simulator can freeze or advance time for the whole pipeline at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Copenhagen")

__all__ = ["TZ", "Clock", "FrozenClock", "SystemClock", "parse_local"]


class Clock:
    def now(self) -> datetime:
        raise NotImplementedError

    def today(self) -> date:
        return self.now().date()


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(TZ)


@dataclass
class FrozenClock(Clock):
    """A clock that stands still until told to move; used by tests, ``--now`` and ``simulate``."""

    at: datetime = field(default_factory=lambda: datetime.now(TZ))

    def __post_init__(self) -> None:
        self.at = _aware(self.at)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at.astimezone(TZ)


def parse_local(text: str) -> datetime:
    """Parse ``2026-11-24T09:00`` (or a date alone) as Copenhagen local time."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        from kcbot.errors import ConfigError

        raise ConfigError(
            f"Tidspunktet '{text}' kan ikke læses. Skriv det som 2026-11-24T09:00."
        ) from None
    if not 1900 <= parsed.year <= 2999:
        from kcbot.errors import ConfigError

        raise ConfigError(f"Tidspunktet '{text}' ligger uden for år 1900-2999.")
    return _aware(parsed)
