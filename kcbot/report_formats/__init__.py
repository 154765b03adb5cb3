"""Report formats a supervisor can forward: one self-contained HTML file with SVG charts, and
an Excel workbook with the numbers. Markdown and CSV stay in :mod:`kcbot.reports`.

Formats live here, beside the figures rather than inside them, so the figures module keeps
to what is counted and each format is one small module (``html.py``, ``xlsx.py``)."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import platformdirs

from kcbot.errors import KcbotError
from kcbot.labels import when
from kcbot.reports import PERIOD_LABELS, Report, render, report, trend
from kcbot.store import Store

__all__ = ["FORMATS", "ReportData", "collect", "default_folder", "free_path", "write"]

FORMATS = ("md", "csv", "html", "xlsx")
BINARY = {"xlsx"}


@dataclass
class ReportData:
    """The report's figures and, per day, the trend of this period and the one before."""

    report: Report
    now: datetime
    days: list[tuple[date, int, float | None]]
    previous_days: list[tuple[date, int, float | None]]

    @property
    def incomplete(self) -> bool:
        """The period has days still to come: its figures will change."""
        return self.report.current.last >= self.now.date()


async def collect(store: Store, period: str, on: date, now: datetime) -> ReportData:
    result = await report(store, period, on, now)
    cur, prev = result.current, result.previous
    return ReportData(result, now,
                      await trend(store, cur.last, (cur.last - cur.first).days + 1),
                      await trend(store, prev.last, (prev.last - prev.first).days + 1))


def default_folder() -> Path:
    """``kcbot-rapporter`` in the user's documents folder (platformdirs), or
    ``KCBOT_REPORTS_DIR``."""
    override = os.environ.get("KCBOT_REPORTS_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_documents_dir()) / "kcbot-rapporter"


def default_name(data: ReportData, fmt: str) -> str:
    cur = data.report.current
    return f"kcbot-rapport-{PERIOD_LABELS[data.report.period]}-{cur.first:%Y-%m-%d}.{fmt}"


def free_path(path: Path) -> Path:
    """``path``, or ``name (2).ext``, ``name (3).ext`` … if it is taken: a report never
    replaces an earlier one without being told to."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate


def content(data: ReportData, fmt: str) -> str | bytes:
    if fmt == "md":
        text = render(data.report, fmt)
        if data.incomplete:  # say so under the title
            title, _, rest = text.partition("\n")
            text = (f"{title}\n\n> Perioden er ikke slut: tallene gælder til og med "
                    f"{when(data.now)} og ændrer sig endnu.\n{rest}")
        return text
    if fmt == "csv":
        return render(data.report, fmt)
    if fmt == "html":
        from kcbot.report_formats.html import render_html

        return render_html(data)
    if fmt == "xlsx":
        from kcbot.report_formats.xlsx import render_xlsx

        return render_xlsx(data)
    raise KcbotError(f"Ukendt rapportformat {fmt!r}; brug {', '.join(FORMATS)}.")


_WHY = {
    errno.EISDIR: "det er en mappe; angiv et filnavn",
    errno.ENOENT: "mappen findes ikke",
    errno.ENOTDIR: "en del af stien er ikke en mappe",
    errno.EACCES: "ingen adgang til at skrive der",
    errno.EPERM: "ingen adgang til at skrive der",
    errno.EROFS: "filsystemet er skrivebeskyttet",
    errno.ENOSPC: "disken er fuld",
    errno.EDQUOT: "din diskkvote er brugt op",
}


def write(data: ReportData, fmt: str, output: Path | None = None,
          overwrite: bool = False) -> Path:
    """Write the report and return where. Without ``output`` it goes to the reports folder
    under a free name; an existing ``output`` is replaced only with ``overwrite``."""
    if output is None:
        path = free_path(default_folder() / default_name(data, fmt))
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        path = output
        if path.is_dir():
            raise KcbotError(f"Rapporten kan ikke skrives til {path}: det er en mappe; angiv et "
                             "filnavn.")
        if path.exists() and not overwrite:
            raise KcbotError(f"{path} findes allerede; vælg et andet navn med --output, "
                             "eller skriv --overwrite for at erstatte filen.")
    body = content(data, fmt)
    try:
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    except OSError as exc:
        reason = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
        raise KcbotError(f"Rapporten kan ikke skrives til {path}: {reason}.") from None
    return path
