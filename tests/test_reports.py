"""``kcbot report`` and ``kcbot simulate`` against stores with known contents."""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from kcbot.clock import TZ
from kcbot.reports import period_bounds
from tests.test_cli import kcbot
from tests.test_console import _fill

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
THIS_WEEK = {  # Tuesday 24 Nov: two settled, one handed over, one left
    "a": ["hvornår har I åbent"],
    "b": ["jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg", "ja",
          "Mette Hansen", "150390-2468"],
    "c": ["jeg vil tale med min sagsbehandler", "om min plan", "Sara Jensen", "20304050",
          "dagpenge", "ja"],
    "d": ["jeg skal melde afbud"],
}
LAST_WEEK = {"e": ["må jeg holde ferie på dagpenge"], "f": ["hvornår har I åbent"]}


@pytest.fixture
async def db(tmp_path: Path, nlu) -> Path:
    path = tmp_path / "report.sqlite3"
    await _fill(path, nlu, LAST_WEEK, datetime(2026, 11, 17, 10, 0, tzinfo=TZ))
    await _fill(path, nlu, THIS_WEEK, NOW.replace(hour=9))
    return path


@pytest.mark.parametrize(
    ("period", "on", "first", "last"),
    [
        ("week", date(2026, 11, 24), date(2026, 11, 23), date(2026, 11, 29)),
        ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 11, 24), date(2026, 10, 1), date(2026, 12, 31)),
        ("quarter", date(2027, 1, 1), date(2027, 1, 1), date(2027, 3, 31)),
    ],
)
def test_period_bounds(period: str, on: date, first: date, last: date) -> None:
    assert period_bounds(period, on) == (first, last)


def _rows(db: Path, *args: str) -> dict[tuple[str, str], tuple[str, str]]:
    result = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--format", "csv",
                   *args)
    assert result.returncode == 0, result.stderr.decode()
    reader = csv.reader(io.StringIO(result.stdout.decode()), delimiter=";")
    header = next(reader)
    assert header[2].startswith("Denne uge (23.11.2026–29.11.2026)")
    return {(r[0], r[1]): (r[2], r[3]) for r in reader}


def test_weekly_report_beside_the_week_before(db: Path) -> None:
    with sqlite3.connect(db) as con:
        by_outcome = dict(con.execute(
            "SELECT outcome, count(*) FROM conversations WHERE started >= '2026-11-23' "
            "GROUP BY outcome").fetchall())
    rows = _rows(db, "--period", "week")
    assert by_outcome == {"straksafklaret": 2, "overdraget": 1, "afbrudt": 1}
    assert rows[("Samlet", "Samtaler")] == ("4", "2")
    assert rows[("Samlet", "Straksafklaringsprocent (mål 65 %)")] == ("66,7 %", "100,0 %")
    assert rows[("Samlet", "Andel afbrudt")] == ("25,0 %", "0,0 %")
    assert rows[("Kø: Jobcenter", "Sager oprettet")] == ("1", "0")
    assert rows[("Emne", "Afbud til møde")] == ("2", "0")
    assert rows[("Emne", "Kontakt til sagsbehandler")] == ("1", "0")
    # every settlement by the rule that decided it (the journal notes), in the words of the
    # rule's own table with its id after them; guidance by its topic
    note = _rule_note("dagpenge_gyldig_grund_sygdom")
    assert rows[("Afgørelser pr. regel", f"{note} (dagpenge_gyldig_grund_sygdom)")] == ("1", "0")
    assert rows[("Afgørelser pr. regel", "Vejledning: Åbningstid")] == ("1", "1")
    for section, measure in rows:
        if section == "Afgørelser pr. regel":  # words first, never a bare id or a text name
            assert " " in measure.split(" (")[0] and "utter_" not in measure, measure


def _rule_note(rule_id: str) -> str:
    from kcbot.yamlio import load_yaml
    from tests.conftest import REPO

    table = load_yaml(REPO / "dialogues" / "afbud_regler.yml")
    (rule,) = [r for r in table["rules"] if r["id"] == rule_id]
    return rule["note"]


def test_markdown_report_to_a_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.md"
    result = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--period",
                   "month", "--output", str(out))
    assert result.returncode == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# kcbot: rapport for måned 01.11.2026–30.11.2026")
    assert "> Perioden er ikke slut: tallene gælder til og med 24. nov. 2026 15.00" in text
    assert "| Straksafklaringsprocent (mål 65 %) | 80,0 % | – |" in text
    assert (f"| {_rule_note('dagpenge_gyldig_grund_sygdom')} (dagpenge_gyldig_grund_sygdom) "
            "| 1 | 0 |") in text


def test_a_bad_date_is_a_clear_error(db: Path) -> None:
    result = kcbot("report", "--db", str(db), "--date", "i går")
    assert result.returncode == 2 and "ÅÅÅÅ-MM-DD" in result.stderr.decode()


def test_simulate_fills_the_store_through_the_engine(tmp_path: Path) -> None:
    db = tmp_path / "sim.sqlite3"
    result = kcbot("simulate", "--db", str(db), "--days", "3", "--per-day", "30",
                   "--seed", "7", "--now", "2026-11-24T15:00")
    assert result.returncode == 0, result.stderr.decode()
    with sqlite3.connect(db) as con:
        days = dict(con.execute("SELECT substr(started, 1, 10), count(*) FROM conversations "
                                "GROUP BY 1").fetchall())
        outcomes = dict(con.execute("SELECT coalesce(outcome, '-'), count(*) FROM "
                                    "conversations GROUP BY 1").fetchall())
        closed = con.execute("SELECT count(*) FROM tickets WHERE status = 'afsluttet'"
                             ).fetchone()[0]
        turns = con.execute("SELECT count(*) FROM turns").fetchone()[0]
    # Sunday the 22nd is closed; Monday and Tuesday until 15:00 have traffic.
    assert set(days) == {"2026-11-23", "2026-11-24"}
    assert days["2026-11-23"] == 30
    assert set(outcomes) <= {"straksafklaret", "overdraget", "afbrudt"}
    assert outcomes.get("straksafklaret", 0) > outcomes.get("afbrudt", 0)
    assert closed > 0 and turns > 100
    # without a terminal the progress is a line a day (a terminal gets a progress bar)
    log = result.stderr.decode().splitlines()
    assert log[:2] == ["23.11.2026: 30 samtaler", f"24.11.2026: {sum(days.values())} samtaler"]


def test_html_report_is_self_contained_with_charts(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.html"
    result = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--format", "html",
                   "--output", str(out))
    assert result.returncode == 0, result.stderr.decode()
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<h1>kcbot: rapport for uge 23.11.2026–29.11.2026</h1>" in html
    assert "Perioden er ikke slut" in html  # the week runs to Sunday
    assert html.count("<svg") == 3  # trend against the target, queues, topics
    assert "Mål 65,0 %" in html and "Forrige uge" in html
    assert "Afbud til møde" in html and "Kø: Jobcenter" in html  # labels, not codes
    assert "kontakt_sagsbehandler" not in html
    assert f"<td>{_rule_note('dagpenge_gyldig_grund_sygdom')} (dagpenge_gyldig" in html
    assert '<span class="good">66,7 %</span>' in html
    # self-contained: nothing is fetched from elsewhere
    assert "<script src" not in html and "<link" not in html
    # a second run refuses to overwrite without --overwrite
    again = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--format", "html",
                  "--output", str(out))
    assert again.returncode == 2 and "--overwrite" in again.stderr.decode()
    forced = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--format",
                   "html", "--output", str(out), "--overwrite")
    assert forced.returncode == 0


def test_xlsx_report_has_the_numbers(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = tmp_path / "rapporter"  # the default folder (KCBOT_REPORTS_DIR in tests)
    for _ in range(2):
        result = kcbot("report", "--db", str(db), "--now", "2026-11-24T15:00", "--format",
                       "xlsx")
        assert result.returncode == 0, result.stderr.decode()
    assert sorted(p.name for p in folder.iterdir()) == [
        "kcbot-rapport-uge-2026-11-23 (2).xlsx", "kcbot-rapport-uge-2026-11-23.xlsx"]
    book = load_workbook(folder / "kcbot-rapport-uge-2026-11-23.xlsx")
    assert book.sheetnames == ["Nøgletal", "Køer", "Emner", "Afgørelser", "Dage"]
    rows = {r[0]: r[1:] for r in book["Nøgletal"].iter_rows(values_only=True) if r[0]}
    assert rows["Samtaler"] == (4, 2)
    assert rows["Straksafklaringsprocent"][0] == pytest.approx(2 / 3)
    assert rows["Straksafklaringsprocent"][1] == 1.0
    assert book["Nøgletal"]["B5"].number_format in ("General", "0.0%")
    topics = {r[0]: r[1:] for r in book["Emner"].iter_rows(min_row=2, values_only=True)}
    assert topics["Afbud til møde"] == (2, 0)
    queues = [r for r in book["Køer"].iter_rows(min_row=2, values_only=True)]
    assert ("Jobcenter", "Sager oprettet", 1, 0) in queues
    rules = {r[1] or r[0]: r for r in book["Afgørelser"].iter_rows(min_row=2, values_only=True)}
    assert rules["dagpenge_gyldig_grund_sygdom"] == (
        _rule_note("dagpenge_gyldig_grund_sygdom"), "dagpenge_gyldig_grund_sygdom", 1, 0)
    assert rules["Vejledning: Åbningstid"] == ("Vejledning: Åbningstid", None, 1, 1)
    days = list(book["Dage"].iter_rows(min_row=2, values_only=True))
    assert len(days) == 7 and days[1][1] == 4  # Tuesday's four conversations


def test_bench_growth_times_reports_queue_and_poll_on_a_given_store(db: Path) -> None:
    import json

    out = kcbot("bench", "--growth", "--db", str(db), "--json")
    assert out.returncode == 0, out.stderr.decode()
    (row,) = json.loads(out.stdout)
    assert row["store"] == db.name and row["conversations"] == 6 and row["tickets"] >= 1
    assert set(row["timings_ms"]) == {"report week", "report month", "report quarter", "Sager",
                                      "Sager, én kø", "Sager, søgning", "Overblik"}
    assert all(value >= 0 for value in row["timings_ms"].values())
    table = kcbot("bench", "--growth", "--db", str(db)).stdout.decode()
    assert "report month" in table and db.name in table


def test_bench_growth_refuses_a_store_that_is_not_there(tmp_path: Path) -> None:
    out = kcbot("bench", "--growth", "--db", str(tmp_path / "ingen.sqlite3"))
    assert out.returncode == 2 and "findes ikke" in out.stderr.decode()
    assert not (tmp_path / "ingen.sqlite3").exists()
