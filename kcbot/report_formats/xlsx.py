"""The report's numbers as an Excel workbook (openpyxl): numbers stay numbers, shares are
formatted as percentages, so a supervisor can sum and chart them further."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from kcbot.labels import label
from kcbot.report_formats import ReportData
from kcbot.reports import GUIDANCE, PERIOD_LABELS, TARGET, Figures, rule_text

__all__ = ["render_xlsx"]

PERCENT = "0.0%"
BOLD = Font(bold=True)


def _measures(f: Figures) -> list[tuple[str, float | int | None, bool]]:
    """(measure, value, is a share)."""
    return [
        ("Samtaler", f.conversations, False),
        ("Straksafklaret", f.straksafklaret, False),
        ("Overdraget", f.overdraget, False),
        ("Afbrudt", f.afbrudt, False),
        ("Straksafklaringsprocent", f.straksafklaringsprocent, True),
        ("Andel afbrudt", f.afbrudt_share, True),
        ("Sager oprettet", f.tickets_created, False),
        ("Sager med frist i perioden", f.tickets_fell_due, False),
        ("Sager lukket rettidigt", f.tickets_on_time, False),
        ("Tilbagemelding rettidig", f.rettidig, True),
        ("Forstod ikke beskeden", f.fallback_rate, True),
        ("Beskeder pr. straksafklaring", f.turns_to_settle, False),
    ]


def _header(sheet, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD


def render_xlsx(data: ReportData) -> bytes:
    rep = data.report
    cur, prev = rep.current, rep.previous
    label_ = PERIOD_LABELS[rep.period]
    this = f"Denne {label_} ({cur.span})"
    before = f"Forrige {label_} ({prev.span})"
    book = Workbook()
    sheet = book.active
    sheet.title = "Nøgletal"
    sheet.append([f"kcbot: rapport for {label_}"])
    sheet["A1"].font = Font(bold=True, size=14)
    if data.incomplete:
        sheet.append(["Perioden er ikke slut: tallene ændrer sig endnu."])
    _header(sheet, ["Mål", this, before])
    for (name, now_value, share), (_, before_value, _) in zip(
            _measures(cur), _measures(prev), strict=True):
        sheet.append([name, now_value, before_value])
        if share:
            for cell in sheet[sheet.max_row][1:]:
                cell.number_format = PERCENT
    sheet.append(["Mål for straksafklaring", TARGET, TARGET])
    for cell in sheet[sheet.max_row][1:]:
        cell.number_format = PERCENT

    queues = book.create_sheet("Køer")
    _header(queues, ["Kø", "Mål", this, before])
    for queue, (now_q, before_q) in rep.queues.items():
        for (name, now_value, share), (_, before_value, _) in zip(
                _measures(now_q), _measures(before_q), strict=True):
            if name.startswith(("Sager", "Tilbagemelding")):
                queues.append([label("queue", queue), name, now_value, before_value])
                if share:
                    for cell in queues[queues.max_row][2:]:
                        cell.number_format = PERCENT

    topics = book.create_sheet("Emner")
    _header(topics, ["Emne", this, before])
    for topic, count in sorted(cur.intents.items(), key=lambda kv: (-kv[1], kv[0])):
        topics.append([label("topic", topic), count, prev.intents.get(topic, 0)])

    # every settlement by the rule that decided it, in the rule table's own words
    rules = book.create_sheet("Afgørelser")
    _header(rules, ["Regel", "Regel-id", this, before])
    for key in cur.ranked_rules(prev):
        rules.append([rule_text(key, cur.last), "" if key.startswith(GUIDANCE) else key,
                      cur.rules.get(key, 0), prev.rules.get(key, 0)])

    days = book.create_sheet("Dage")
    _header(days, ["Dato", "Samtaler", "Straksafklaringsprocent"])
    for day, count, share in data.days:
        days.append([day, count, share])
        days.cell(days.max_row, 1).number_format = "dd.mm.yyyy"
        days.cell(days.max_row, 3).number_format = PERCENT

    for ws in book.worksheets:
        ws.column_dimensions["A"].width = 32
        for column in "BCD":
            ws.column_dimensions[column].width = 26
    rules.column_dimensions["A"].width = 80  # a rule's words are a sentence
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
