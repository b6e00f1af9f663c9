"""What the commands that produce a document (statements, reports) share: the --month, --csv and
--pdf options, and writing the document as a manager asked (CSV, PDF, or a table on screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import out

__all__ = ["CsvOption", "MonthOption", "PdfOption", "save_document"]


def save_document(document: object, csv_path: Path | None, pdf_path: Path | None) -> None:
    """Write a report or statement as CSV and/or PDF, or print it as a table."""
    from fabdesk.accounting._documents import Document, to_csv, to_pdf

    assert isinstance(document, Document)
    if csv_path is not None:
        csv_path.write_text(to_csv(document), encoding="utf-8")
        out.print(f"CSV written to {csv_path}")
    if pdf_path is not None:
        pdf_path.write_bytes(to_pdf(document))
        out.print(f"PDF written to {pdf_path}")
    if csv_path is None and pdf_path is None:
        table = Table(*document.header, title=document.title)
        for row in document.rows:
            table.add_row(*row)
        out.print(table)
        for note in document.notes:
            out.print(note)


MonthOption = Annotated[str, typer.Option("--month", help="The month, as YYYY-MM.")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Write a CSV file.", dir_okay=False)]
PdfOption = Annotated[
    Path | None, typer.Option("--pdf", help="Write a PDF file (with a chart).", dir_okay=False)
]
