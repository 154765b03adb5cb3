"""Opening hours, business days and callback deadlines.

The deadline rule is an interface that tests and reports rely on:

- A business day is a day with opening hours: the week from ``dialogues/aabningstider.yml``,
  minus Danish public holidays (the ``holidays`` package, public category), with the file's
  special days (closed, or shorter hours) applied on top; a special day never opens a day
  the week or a holiday closes.
- A callback ticket created at any moment on date D is due at the closing time of the second
  business day after D (the centre's promise: telephone enquiries answered within two
  arbejdsdage).
- A complaint is due at the closing time of D + 28 days, or of the next business day if that
  day has no opening hours (CDU's four-week deadline).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

from kcbot.clock import TZ
from kcbot.config import Settings, data_path, installed_version
from kcbot.errors import DataError
from kcbot.yamlio import load_yaml, write_cache_file

__all__ = ["BusinessCalendar", "DayHours", "Holidays"]

WEEKDAY_KEYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
CLOSED = "lukket"
CALLBACK_BUSINESS_DAYS = 2
COMPLAINT_DAYS = 28
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_YEARLY = re.compile(r"^(\d{2})-(\d{2})$")


class Holidays:
    """Danish public holidays by date, from the ``holidays`` package, kept per year in a small
    file in the cache folder (keyed by the package's version): importing ``holidays`` and
    building a year costs about 0.1 s, more than the rest of a cold start's first reply, and the
    years in use are the same few on every start."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        folder = cache_dir or Settings().cache_dir
        self._file = folder / f"helligdage-DK-{installed_version('holidays')}.json"
        self._years: dict[int, dict[str, str]] = {}
        self._loaded = False

    def get(self, d: date) -> str | None:
        year = self._years.get(d.year)
        if year is None:
            year = self._year(d.year)
        return year.get(d.isoformat())

    def _year(self, year: int) -> dict[str, str]:
        if not self._loaded:
            self._loaded = True
            try:
                cached = json.loads(self._file.read_text(encoding="utf-8"))
                self._years.update({int(y): dict(days) for y, days in cached.items()})
            except (OSError, ValueError, TypeError, AttributeError):
                pass  # no cache yet, or a damaged one: built again below
            if year in self._years:
                return self._years[year]
        import holidays

        found = holidays.country_holidays("DK", categories=("public",), language="da",
                                          years=year)
        self._years[year] = {day.isoformat(): str(name) for day, name in sorted(found.items())}
        self._save()
        return self._years[year]

    def _save(self) -> None:
        """Written whole and renamed: a reader never sees half a file; a read-only cache folder
        computes the years again next start."""
        write_cache_file(self._file, json.dumps(self._years, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class DayHours:
    day: date
    opens: time | None
    closes: time | None
    name: str | None = None  # the holiday or special day, in Danish

    @property
    def is_open(self) -> bool:
        return self.opens is not None


def _parse_hours(path: Path, key: str, value: object) -> tuple[time, time] | None:
    if value == CLOSED:
        return None
    m = _HOURS.match(str(value))
    if not m:
        raise DataError(path, key, f"skal være '{CLOSED}' eller fx '07:30-16:00', ikke {value!r}")
    try:
        opens, closes = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    except ValueError:
        raise DataError(path, key, f"{value!r} er ikke et gyldigt klokkeslæt") from None
    if opens >= closes:
        raise DataError(path, key, "åbner skal ligge før lukker")
    return opens, closes


@dataclass
class BusinessCalendar:
    weekdays: list[tuple[time, time] | None]
    yearly: dict[tuple[int, int], tuple[tuple[time, time] | None, str]] = field(
        default_factory=dict
    )
    dated: dict[date, tuple[tuple[time, time] | None, str]] = field(default_factory=dict)
    phone: str = ""
    source: str = ""
    reviewed: date | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> BusinessCalendar:
        path = path or data_path("dialogues") / "aabningstider.yml"
        doc = load_yaml(path)
        if not isinstance(doc, dict):
            raise DataError(path, "-", "filen skal være en mapping")
        week = doc.get("weekdays")
        if not isinstance(week, dict):
            raise DataError(path, "weekdays", "mangler: en linje pr. ugedag")
        unknown = set(week) - set(WEEKDAY_KEYS)
        if unknown:
            raise DataError(path, f"weekdays.{sorted(unknown)[0]}",
                            f"ukendt ugedag; brug {', '.join(WEEKDAY_KEYS)}")
        missing = [d for d in WEEKDAY_KEYS if d not in week]
        if missing:
            raise DataError(path, f"weekdays.{missing[0]}", "mangler")
        calendar = cls(
            weekdays=[_parse_hours(path, f"weekdays.{d}", week[d]) for d in WEEKDAY_KEYS],
            phone=str(doc.get("phone", "")),
            source=str(doc.get("source", "")),
            reviewed=doc.get("reviewed") if isinstance(doc.get("reviewed"), date) else None,
        )
        for key, spec in (doc.get("special_days") or {}).items():
            where = f"special_days.{key}"
            if not isinstance(spec, dict) or "hours" not in spec:
                raise DataError(path, where, "skal have 'hours' (og gerne 'name')")
            entry = (_parse_hours(path, where, spec["hours"]), str(spec.get("name", "")))
            key = str(key)
            if m := _YEARLY.match(key):
                try:
                    date(2024, int(m[1]), int(m[2]))  # a leap year accepts 02-29
                except ValueError:
                    raise DataError(path, where, "ikke en gyldig dato (MM-DD)") from None
                calendar.yearly[(int(m[1]), int(m[2]))] = entry
            else:
                try:
                    calendar.dated[date.fromisoformat(key)] = entry
                except ValueError:
                    raise DataError(path, where, "skal være MM-DD eller YYYY-MM-DD") from None
        return calendar

    @cached_property
    def _holidays(self) -> Holidays:
        return Holidays()

    def day(self, d: date) -> DayHours:
        """The week's hours, closed on a Danish public holiday; a special day (dated, or yearly
        such as grundlovsdag) may then shorten or close the day, but never opens a day the week
        or a holiday closes: grundlovsdag on Saturday 5 June 2027 stays closed, and so does
        2. pinsedag on 5 June 2028. A dated entry wins over a yearly one."""
        week = self.weekdays[d.weekday()]
        holiday = self._holidays.get(d)
        special = self.dated.get(d) or self.yearly.get((d.month, d.day))
        if holiday:
            return DayHours(d, None, None, name=str(holiday))
        if special is None:
            return DayHours(d, *(week or (None, None)))
        hours, name = special
        if week is None or hours is None:
            return DayHours(d, None, None, name=name or None)
        # Within the week's own hours: a special day can only make the day shorter.
        opens, closes = max(hours[0], week[0]), min(hours[1], week[1])
        if opens >= closes:
            return DayHours(d, None, None, name=name or None)
        return DayHours(d, opens, closes, name=name or None)

    def next_opening(self, at: datetime) -> datetime:
        """The next moment the centre opens, strictly after ``at`` when it is open at ``at``
        or has closed for the day: what "vi åbner igen" promises."""
        local = at.astimezone(TZ)
        today = self.day(local.date())
        if today.is_open and local.time() < today.opens:  # type: ignore[operator]
            return datetime.combine(local.date(), today.opens, tzinfo=TZ)  # type: ignore[arg-type]
        d = self.next_business_day(local.date() + timedelta(days=1))
        return datetime.combine(d, self.day(d).opens, tzinfo=TZ)  # type: ignore[arg-type]

    def is_business_day(self, d: date) -> bool:
        return self.day(d).is_open

    def closing_time(self, d: date) -> datetime:
        hours = self.day(d)
        if hours.closes is None:
            raise ValueError(f"{d} has no opening hours")
        return datetime.combine(d, hours.closes, tzinfo=TZ)

    def business_days_after(self, d: date, count: int) -> date:
        """The ``count``-th business day strictly after ``d``."""
        found = 0
        while found < count:
            d += timedelta(days=1)
            found += self.is_business_day(d)
        return d

    def next_business_day(self, d: date) -> date:
        """``d`` itself if it has opening hours, else the next day that has."""
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def callback_due(self, created: datetime) -> datetime:
        d = created.astimezone(TZ).date()
        return self.closing_time(self.business_days_after(d, CALLBACK_BUSINESS_DAYS))

    def complaint_due(self, created: datetime) -> datetime:
        d = created.astimezone(TZ).date() + timedelta(days=COMPLAINT_DAYS)
        return self.closing_time(self.next_business_day(d))

    def is_open_at(self, at: datetime) -> bool:
        local = at.astimezone(TZ)
        hours = self.day(local.date())
        return hours.is_open and hours.opens <= local.time() < hours.closes  # type: ignore[operator]
