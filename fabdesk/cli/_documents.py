"""What the commands that produce a document (statements, reports) share: the --month, --csv and
--pdf options, and writing the document as a manager asked (CSV, PDF, or a table on screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import out

__all__ = [
    "CsvOption",
    "LanguageOption",
    "MonthOption",
    "PdfOption",
    "document_language",
    "save_document",
]


def save_document(
    document: object,
    csv_path: Path | None,
    pdf_path: Path | None,
    *,
    local: object = None,
) -> None:
    """Write a report or statement as CSV (its amounts and days as data) and/or PDF (`local`:
    the same document said in its reader's language, when it has such forms), or print it as a
    table."""
    from fabdesk.accounting._documents import Document, to_csv, to_pdf

    assert isinstance(document, Document)
    if csv_path is not None:
        csv_path.write_text(to_csv(document), encoding="utf-8")
        out.print(f"CSV written to {csv_path}")
    if pdf_path is not None:
        printed = local if local is not None else document
        assert isinstance(printed, Document)
        pdf_path.write_bytes(to_pdf(printed))
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
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="fr, nl or en: the language of the PDF's amounts and days (46,00 / 24 nov. 2026). "
        "Default: the maker's own language, else the desk's (settings: desk.language).",
    ),
]


def document_language(ctx: typer.Context, chosen: str | None, own: str | None = None) -> str:
    """The language a PDF is printed in: the one chosen, else its reader's own, else the desk's."""
    from fabdesk.errors import InvalidValue
    from fabdesk.i18n import LANGUAGES

    language = chosen or own or str(ctx.obj.settings().desk.language)
    if language not in LANGUAGES:
        raise InvalidValue(
            "Choose fr, nl or en (got {language!r}).", language=language, error_code="language"
        )
    return language
