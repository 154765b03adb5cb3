"""The report as one self-contained HTML file: the numbers as tables, and SVG charts (pygal)
of the daily straksafklaringsprocent against the 65 % target, per queue and per topic, with
the previous period beside. No script or style is fetched from elsewhere, so the file can be
mailed on and opened offline."""

from __future__ import annotations

from html import escape

import pygal
from pygal.style import Style

from kcbot.labels import label, when
from kcbot.report_formats import ReportData
from kcbot.reports import BASELINE_2014, PERIOD_LABELS, TARGET, _rows, pct

__all__ = ["render_html"]

STYLE = Style(background="white", plot_background="white", foreground="#333",
              foreground_strong="#111", foreground_subtle="#999",
              colors=("#1f6fb2", "#9bbbd8", "#c0392b"), font_family="sans-serif")
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { background: #fff6d5; border-left: 4px solid #e0b000; padding: .5em 1em; }
.good { color: #17803d; font-weight: bold; } .bad { color: #b3261e; font-weight: bold; }
figure { margin: 1em 0; } svg { max-width: 100%; height: auto; }
"""


def _config(**extra: object) -> dict[str, object]:
    # js=[]: pygal otherwise links its tooltip script from the web
    return {"js": [], "style": STYLE, "disable_xml_declaration": True, "width": 800,
            "height": 360, "legend_at_bottom": True, "truncate_legend": -1,
            "truncate_label": -1, **extra}


def _trend_svg(data: ReportData) -> str:
    label_ = PERIOD_LABELS[data.report.period]
    chart = pygal.Line(**_config(allow_interruptions=True, range=(0, 100),
                                 x_label_rotation=0, show_minor_x_labels=False,
                                 title="Straksafklaringsprocent pr. dag"))
    chart.x_labels = [f"{d.day}.{d.month}" for d, _, _ in data.days]
    chart.x_labels_major = chart.x_labels[::max(1, len(chart.x_labels) // 10)]
    # a day without conversations is a gap (None), never 0 %
    chart.add(f"Denne {label_}", [None if s is None else round(s * 100, 1)
                                  for _, _, s in data.days])
    previous = [None if s is None else round(s * 100, 1) for _, _, s in data.previous_days]
    chart.add(f"Forrige {label_} (samme dag i perioden)", previous[:len(data.days)])
    chart.add(f"Mål {pct(TARGET)}", [TARGET * 100] * len(data.days), show_dots=False,
              stroke_style={"width": 4, "dasharray": "12, 6"})
    return chart.render(is_unicode=True)


def _queues_svg(data: ReportData) -> str:
    label_ = PERIOD_LABELS[data.report.period]
    chart = pygal.Bar(**_config(range=(0, 100), title="Tilbagemelding rettidig pr. kø (%)"))
    chart.x_labels = [label("queue", q) for q in data.report.queues]
    for name, index in ((f"Denne {label_}", 0), (f"Forrige {label_}", 1)):
        chart.add(name, [None if pair[index].rettidig is None
                         else round(pair[index].rettidig * 100, 1)
                         for pair in data.report.queues.values()])
    return chart.render(is_unicode=True)


def _topics_svg(data: ReportData) -> str:
    label_ = PERIOD_LABELS[data.report.period]
    cur, prev = data.report.current, data.report.previous
    topics = [t for t, _ in cur.intents.most_common(10)]
    chart = pygal.HorizontalBar(**_config(title="Samtaler pr. emne (de 10 hyppigste)"))
    chart.x_labels = [label("topic", t) for t in topics]
    chart.add(f"Denne {label_}", [cur.intents[t] for t in topics])
    chart.add(f"Forrige {label_}", [prev.intents.get(t, 0) for t in topics])
    return chart.render(is_unicode=True)


def render_html(data: ReportData) -> str:
    rep = data.report
    cur, prev = rep.current, rep.previous
    label_ = PERIOD_LABELS[rep.period]
    this, before = cur.span, prev.span
    kpi = cur.straksafklaringsprocent
    state = "" if kpi is None else ("good" if kpi >= TARGET else "bad")
    verdict = ("" if kpi is None else
               " – målet er nået." if kpi >= TARGET else " – under målet.")
    out = [
        "<!DOCTYPE html>", '<html lang="da"><head><meta charset="utf-8">',
        f"<title>kcbot: rapport for {label_} {this}</title>", f"<style>{CSS}</style>",
        "</head><body>",
        f"<h1>kcbot: rapport for {label_} {this}</h1>",
        f"<p>Sammenlignet med forrige {label_} ({before}). Lavet {escape(when(data.now))}.</p>",
    ]
    if data.incomplete:
        out.append(f'<p class="note">Perioden er ikke slut: tallene gælder til og med '
                   f"{escape(when(data.now))} og ændrer sig endnu.</p>")
    out.append(f'<p>Straksafklaringsprocent: <span class="{state}">{pct(kpi)}</span>'
               f"{verdict} Mål {pct(TARGET)} (2014: {pct(BASELINE_2014)}).</p>")
    out += ["<h2>Udviklingen mod målet</h2>", f"<figure>{_trend_svg(data)}</figure>",
            "<h2>Køer</h2>", f"<figure>{_queues_svg(data)}</figure>",
            "<h2>Emner</h2>", f"<figure>{_topics_svg(data)}</figure>",
            "<h2>Tallene</h2>"]
    section = None
    for name, measure, now_value, before_value in _rows(rep):
        if name != section:
            if section is not None:
                out.append("</tbody></table>")
            section = name
            out += [f"<h3>{escape(name)}</h3>",
                    f"<table><thead><tr><th>Mål</th><th>Denne {label_}</th>"
                    f"<th>Forrige {label_}</th></tr></thead><tbody>"]
        out.append(f"<tr><td>{escape(measure)}</td><td>{escape(now_value)}</td>"
                   f"<td>{escape(before_value)}</td></tr>")
    if section is not None:
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
