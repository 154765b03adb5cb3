from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcbot.calendar import BusinessCalendar
from kcbot.clock import TZ
from kcbot.errors import DataError

CAL = BusinessCalendar.load()
DK = holidays.country_holidays("DK", categories=("public",))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.mark.parametrize(
    ("created", "due"),
    [
        ("2026-11-23T10:00", "2026-11-25T15:00"),  # Mon 10:00 -> Wed 15:00
        ("2026-11-27T15:30", "2026-12-01T16:00"),  # Fri after closing -> Tue
        ("2026-11-28T12:00", "2026-12-01T16:00"),  # Saturday -> Tue
        ("2026-11-29T23:59", "2026-12-01T16:00"),  # Sunday night -> Tue
        ("2026-12-23T09:00", "2026-12-29T16:00"),  # juleaftensdag closed, 25/26 holidays
        ("2026-06-04T09:00", "2026-06-08T16:00"),  # grundlovsdag counts, with short hours
        ("2026-06-03T09:00", "2026-06-05T12:00"),  # ... and can be the due day itself
        ("2026-04-01T11:00", "2026-04-08T15:00"),  # Easter: skærtorsdag to 2. påskedag
        ("2026-05-13T08:00", "2026-05-18T16:00"),  # Kristi himmelfartsdag
        ("2026-05-22T14:00", "2026-05-27T15:00"),  # Whitsun: 2. pinsedag
        ("2026-12-30T10:00", "2027-01-05T16:00"),  # New Year: 31 Dec closed, 1 Jan holiday
        ("2027-01-01T10:00", "2027-01-05T16:00"),  # created on a holiday
        ("2026-11-24T00:00", "2026-11-26T16:00"),  # midnight belongs to its own date
    ],
)
def test_callback_deadline_examples(created: str, due: str) -> None:
    assert CAL.callback_due(at(created)) == at(due)


@pytest.mark.parametrize(
    ("created", "due"),
    [
        ("2026-11-24T09:00", "2026-12-22T16:00"),  # D + 28 is a Tuesday
        ("2026-11-28T09:00", "2026-12-28T16:00"),  # Sat 26 Dec (2. juledag) -> Mon 28 Dec
        ("2026-11-26T09:00", "2026-12-28T16:00"),  # Thu 24 Dec closed -> Mon 28 Dec
        ("2026-03-06T09:00", "2026-04-07T16:00"),  # Fri 3 Apr (langfredag) -> Tue 7 Apr
    ],
)
def test_complaint_deadline_examples(created: str, due: str) -> None:
    assert CAL.complaint_due(at(created)) == at(due)


def test_a_holiday_on_grundlovsdag_stays_closed() -> None:
    # 5 June 2028 is both grundlovsdag (short hours) and 2. pinsedag (a public holiday)
    assert not CAL.is_business_day(date(2028, 6, 5))
    assert CAL.callback_due(at("2028-06-02T10:00")) == at("2028-06-07T15:00")


def test_store_bededag_is_a_working_day_and_holiday_names_are_danish() -> None:
    assert CAL.is_business_day(date(2026, 5, 1))  # abolished from 2024
    assert CAL.day(date(2026, 12, 25)).name == "Juledag"
    assert CAL.day(date(2026, 12, 24)).name == "juleaftensdag"


creation_times = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 20)
).map(lambda d: d.replace(tzinfo=TZ))


@settings(max_examples=300, deadline=None)
@given(creation_times)
def test_callback_due_properties(created: datetime) -> None:
    due = CAL.callback_due(created)
    d = created.date()
    day = CAL.day(due.date())
    assert day.is_open and due.timetz().replace(tzinfo=None) == day.closes  # a closing time
    assert due.date() not in DK  # never a public holiday
    assert (due.month, due.day) not in {(12, 24), (12, 31)}  # never a closing day
    business_between = [
        d + timedelta(days=i)
        for i in range(1, (due.date() - d).days + 1)
        if CAL.is_business_day(d + timedelta(days=i))
    ]
    assert len(business_between) == 2  # exactly the second business day after D
    assert business_between[-1] == due.date()


@settings(max_examples=200, deadline=None)
@given(creation_times)
def test_complaint_due_properties(created: datetime) -> None:
    due = CAL.complaint_due(created)
    assert due.date() >= created.date() + timedelta(days=28)
    assert CAL.is_business_day(due.date()) and due.date() not in DK
    for skipped in range(28, (due.date() - created.date()).days):
        assert not CAL.is_business_day(created.date() + timedelta(days=skipped))


def test_opening_hours_come_from_the_data_file(tmp_path: Path) -> None:
    path = tmp_path / "aabningstider.yml"
    week = "\n".join(f"  {d}: '09:00-14:00'" for d in
                     ("mandag", "tirsdag", "onsdag", "torsdag", "fredag"))
    path.write_text(
        f"weekdays:\n{week}\n  lørdag: lukket\n  søndag: lukket\n"
        "special_days:\n  '2026-11-25': {hours: lukket, name: personaledag}\n",
        encoding="utf-8",
    )
    cal = BusinessCalendar.load(path)
    assert cal.callback_due(at("2026-11-23T10:00")) == at("2026-11-26T14:00")
    assert cal.day(date(2026, 11, 25)).name == "personaledag"
    assert not cal.is_open_at(at("2026-11-24T08:00")) and cal.is_open_at(at("2026-11-24T13:59"))


WEEK = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


@pytest.mark.parametrize(
    ("week", "extra", "key"),
    [
        ({"mandag": "7-16"}, "", "weekdays.mandag"),
        ({"mondag": "lukket"}, "", "weekdays.mondag"),
        ({"fredag": "15:00-07:30"}, "", "weekdays.fredag"),
        ({}, "special_days: {'13-40': {hours: lukket}}", "special_days.13-40"),
    ],
)
def test_bad_calendar_data_names_the_file_and_key(
    tmp_path: Path, week: dict[str, str], extra: str, key: str
) -> None:
    days = {d: "lukket" for d in WEEK} | week
    lines = "\n".join(f"  {d}: '{h}'" for d, h in days.items())
    path = tmp_path / "aabningstider.yml"
    path.write_text(f"weekdays:\n{lines}\n{extra}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        BusinessCalendar.load(path)
    assert "aabningstider.yml" in str(err.value) and key in str(err.value)


def test_grundlovsdag_on_a_saturday_stays_closed() -> None:
    # 5 June 2027 is a Saturday: the yearly short hours must not open it
    assert not CAL.is_business_day(date(2027, 6, 5))
    assert CAL.callback_due(at("2027-06-03T10:00")) == at("2027-06-07T16:00")
    assert CAL.next_opening(at("2027-06-04T16:00")) == at("2027-06-07T07:30")
    # on a weekday it only shortens the day
    assert CAL.day(date(2026, 6, 5)).closes.hour == 12


def _closed_for_any_reason(d: date) -> bool:
    return d.weekday() >= 5 or d in DK or (d.month, d.day) in {(12, 24), (12, 31)}


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2031, 12, 31))
       .map(lambda d: d.replace(tzinfo=TZ)))
def test_no_deadline_or_reopening_on_a_day_without_opening_hours(created: datetime) -> None:
    # The property the special days broke: every promised moment is on a day with hours,
    # never on a weekend, a public holiday or a closing day.
    for moment in (CAL.callback_due(created), CAL.complaint_due(created),
                   CAL.next_opening(created)):
        day = CAL.day(moment.date())
        assert day.is_open and not _closed_for_any_reason(moment.date())
        assert day.opens <= moment.timetz().replace(tzinfo=None) <= day.closes
    assert CAL.next_opening(created) > created
