"""Rendering of statements and reports: CSV text, and PDF (reportlab) with bar and line charts.

A document says amounts, days and words through `Forms`: as data in a CSV (`DATA`: `1234.56`,
`2026-11-24`, English headings that programs read), in a reader's language and local form in a
PDF (`local_forms`: the catalogues of `fabdesk.i18n` and Babel's fr_BE, nl_BE or en_GB,
"1 234,56", "mar. 24 nov. 2026", "1 234,56 €", "solde d'ouverture")."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = ["DATA", "Document", "Forms", "local_forms", "to_csv", "to_pdf"]


@dataclass(frozen=True)
class Forms:
    """How a document says an amount (cents, under a heading that says EUR), a day, and an
    amount in a sentence."""

    amount: Callable[[int], str]
    day: Callable[[date], str]
    money: Callable[[int], str]
    hours: Callable[[float], str]
    """Seconds said as hours, to the hundredth."""
    grams: Callable[[float], str] = "{:.1f}".format
    """A weight in grams, to the tenth."""
    say: Callable[[str], str] = str
    """A msgid (heading, label, sentence) in the reader's language; as written in a CSV."""


def euros(cents: int) -> str:
    """`1234` -> `12.34` (no symbol: for tables and CSV)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f}"


DATA = Forms(
    amount=euros,
    day=date.isoformat,
    money=lambda cents: f"EUR {euros(cents)}",
    hours=hours,
)
"""The forms of a CSV file, read by programs."""


def local_forms(language: str) -> Forms:
    """The forms of a PDF read by a person of `language` (Babel: fr_BE, nl_BE, en_GB)."""
    from fabdesk.i18n import translator

    words = translator(language)

    def printable(say: Callable[[int], str]) -> Callable[[int], str]:
        # The PDF's standard fonts lack the narrow no-break space of fr_BE's thousands.
        return lambda cents: say(cents).replace("\u202f", "\xa0")

    def said(value: float, pattern: str) -> str:
        from babel.numbers import format_decimal

        return str(format_decimal(value, pattern, locale=words.locale)).replace("\u202f", "\xa0")

    return Forms(
        amount=printable(words.amount),
        day=words.day,
        money=printable(words.money),
        hours=lambda seconds: said(seconds / 3600, "#,##0.00"),
        grams=lambda grams: said(grams, "#,##0.0"),
        say=words.gettext,
    )


@dataclass
class Chart:
    """A bar chart (one bar group per category, one series per name), or with `line`, a line
    chart (one point per category, e.g. per month; one line per name)."""

    title: str
    categories: list[str]
    series: dict[str, list[float]]
    unit: str = ""
    line: bool = False


@dataclass
class Document:
    """A table a manager reads, with a heading, notes and an optional chart."""

    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    chart: Chart | None = None
    more_charts: list[Chart] = field(default_factory=list)


def to_csv(document: Document) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(document.header)
    writer.writerows(document.rows)
    return buffer.getvalue()


_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _chart_drawing(chart: Chart, width: float) -> object:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(width, 230)
    drawing.add(
        String(0, 215, chart.title + (f" ({chart.unit})" if chart.unit else ""), fontSize=10)
    )
    plot = HorizontalLineChart() if chart.line else VerticalBarChart()
    plot.x, plot.y, plot.width, plot.height = 40, 50, width - 180, 150
    names = list(chart.series)
    plot.data = [chart.series[name] or [0] for name in names]
    plot.categoryAxis.categoryNames = [c[:14] for c in chart.categories] or [""]
    plot.categoryAxis.labels.angle = 30
    plot.categoryAxis.labels.boxAnchor = "ne"
    plot.categoryAxis.labels.fontSize = 7
    plot.valueAxis.valueMin = 0
    plot.valueAxis.labels.fontSize = 7
    for index in range(len(names)):
        colour = colors.HexColor(_COLOURS[index % len(_COLOURS)])
        if chart.line:
            plot.lines[index].strokeColor = colour
            plot.lines[index].strokeWidth = 1.5
        else:
            plot.bars[index].fillColor = colour
    drawing.add(plot)
    if len(names) > 1:
        legend = Legend()
        legend.x, legend.y = width - 130, 190
        legend.fontSize = 7
        legend.colorNamePairs = [
            (colors.HexColor(_COLOURS[i % len(_COLOURS)]), name[:22])
            for i, name in enumerate(names)
        ]
        drawing.add(legend)
    return drawing


def to_pdf(document: Document) -> bytes:
    """A one-table PDF (A4), the chart first when there is one. Byte-identical for equal input."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    wide = len(document.header) > 7
    size = landscape(A4) if wide else A4
    template = SimpleDocTemplate(
        buffer, pagesize=size, title=document.title, invariant=1, leftMargin=36, rightMargin=36
    )
    styles = getSampleStyleSheet()
    story: list[object] = [Paragraph(document.title, styles["Title"])]
    for note in document.notes:
        story.append(Paragraph(note, styles["Normal"]))
    story.append(Spacer(1, 8))
    charts = [document.chart] if document.chart is not None else []
    for chart in charts + document.more_charts:
        if chart.categories:
            story.append(_chart_drawing(chart, size[0] - 72))
            story.append(Spacer(1, 8))
    table = Table(
        [document.header, *document.rows] if document.rows else [document.header], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    template.build(story)
    return buffer.getvalue()


def column(rows: Sequence[Sequence[object]], index: int) -> list[object]:
    return [row[index] for row in rows]
