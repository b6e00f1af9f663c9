"""Cadastre files: import and export the register (CSV, .xlsx, JSON), open data, QR labels."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fabdesk import exit_codes
from fabdesk.cli._app import app, err, out, utc_now
from fabdesk.db import session_scope
from fabdesk.errors import ImportRejected, InvalidValue, readable
from fabdesk.i18n import counted

if TYPE_CHECKING:
    from inventory.register_import import RowProblem


def _format_of(path: Path, given: str | None, allowed: tuple[str, ...]) -> str:
    fmt = (given or path.suffix.lstrip(".") or allowed[0]).lower()
    if fmt not in allowed:
        raise InvalidValue(
            "Format {fmt!r} is not one of {allowed}.",
            fmt=fmt,
            allowed=", ".join(allowed),
            error_code="file_format",
        )
    return fmt


@app.command("import")
def import_register(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="A register file: .xlsx (one sheet per site, say), CSV as Excel saves it "
            "(any encoding, `;` or `,`), or the JSON of `fabdesk export`.",
            exists=True,
        ),
    ],
    acting: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="MEMBER",
            help="The manager you act as (member number; default: cli.manager in the "
            "settings): a site's manager imports their site's items only. Kept, by id, in the "
            "history of each item changed; refusals are told in your language.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added, changed and refused.")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="xlsx, csv or json (default: from the file name)."),
    ] = None,
) -> None:
    """Add and update items from a file: all of it, or nothing.

    A row whose asset tag is in the register updates that item (only the columns the file has;
    an empty cell clears an optional field); a row with a new tag adds an item; a row without a
    tag adds one with the next tag of its site. Headers may be the column names of `fabdesk
    export` or words in English, French or Dutch ("Étiquette", "Aankoopdatum"); euros as
    `1234,56` or `1234.56`; dates as `2026-11-21` or `21/11/2026`; shares in percent
    (`REGION:50;CITY:50`, hours a year after a second colon). Every refusal gives its line and
    column.
    """
    from fabdesk.models import id_of
    from inventory.csv_io import import_file
    from inventory.makers import get_maker
    from kiosk.i18n import translator

    kind = _format_of(file, fmt, ("csv", "xlsx", "json", "txt", "tsv"))
    data = file.read_bytes()
    with session_scope(ctx.obj.engine()) as session:
        manager = get_maker(session, ctx.obj.member(acting))
        manager_id, language = id_of(manager), manager.language
    gettext = translator(language).gettext
    try:
        with session_scope(ctx.obj.engine()) as session:
            name = file.name
            if kind in ("json", "xlsx") and not name.lower().endswith(f".{kind}"):
                name += f".{kind}"  # --format wins over the file's name
            plan = import_file(
                session, data, filename=name, manager_id=manager_id, now=utc_now(), dry_run=dry_run
            )
            if dry_run:
                session.rollback()
    except ImportRejected as error:
        _show_problems(
            error.params.get("problems", []), gettext, f"{file.name}: nothing was imported"
        )
        problems = error.params.get("problems") or []
        first = problems[0].render(gettext) if problems else error.params.get("message", "")
        said = readable({**error.params, "message": first}, language)
        headline = gettext(error.template).format(**said)
        err.print(f"[bold red]error:[/] {headline}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=exit_codes.IMPORT_REJECTED) from None
    if plan.added:
        table_out = Table("line", "asset tag", "", title="added" if not dry_run else "would add")
        for added in plan.added:
            table_out.add_row(
                str(added.line), added.asset_tag, "" if added.tag_given else "new tag"
            )
        out.print(table_out)
    if plan.changed:
        table_out = Table(
            "line",
            "asset tag",
            "field",
            "before",
            "after",
            title="changed" if not dry_run else "would change",
        )
        for change in plan.changed:
            table_out.add_row(
                str(change.line), change.asset_tag, change.field, change.old, change.new
            )
        out.print(table_out)
    if plan.problems:
        _show_problems(plan.problems, gettext, "refused")
    verb = "Would add" if dry_run else "Added"
    out.print(
        f"{verb} {counted(len(plan.added), 'item')}, {'would change' if dry_run else 'changed'} "
        f"{len(plan.updated)}, {counted(len(plan.problems), 'problem')}, from {file.name}."
        + (" Nothing was written (dry run)." if dry_run else ""),
        highlight=False,
    )


def _show_problems(
    problems: Sequence[RowProblem], gettext: Callable[[str], str], title: str
) -> None:
    table = Table("line", "column", "field", "problem", title=title)
    for problem in problems[:200]:
        sheet = f"{problem.sheet} " if problem.sheet else ""
        table.add_row(
            f"{sheet}{problem.line}", problem.column, problem.field, problem.render(gettext)
        )
    out.print(table)


@app.command("export")
def export_register(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="File to write; `-` writes CSV to standard output.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="xlsx, csv or json (default: from the file name)."),
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site (code).")] = None,
) -> None:
    """Write the whole register (or one site); `fabdesk import` reads it back.

    .xlsx: one sheet per site with readable headers, euros and dates a spreadsheet understands,
    and a History sheet (every change of every item, for reading). CSV: the same columns, one
    file. JSON: cents and basis points, with each item's history, which an import into another
    database brings back.
    """
    from inventory.csv_io import export_csv, export_json, export_xlsx

    kind = _format_of(file, fmt, ("csv", "xlsx", "json"))
    sys.stdout.flush()
    with session_scope(ctx.obj.engine()) as session:
        if kind == "xlsx":
            data = export_xlsx(session, site_code=site)
        else:
            data = (export_csv if kind == "csv" else export_json)(session, site_code=site).encode()
    if str(file) == "-":
        sys.stdout.buffer.write(data)  # a workbook too, for a pipe (`… | ssh host 'cat > x'`)
        sys.stdout.flush()
        return
    file.write_bytes(data)
    out.print(f"Wrote {file}.")


@app.command("opendata")
def opendata(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="File to write; `-` writes to standard output.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonld (schema.org) or dcat (the DCAT-AP catalogue for an open-data "
            "portal; needs inventory.opendata_publisher); default: from the file name.",
        ),
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site (default: the network).")] = None,
) -> None:
    """Publish the cadastre as open data (CSV, or JSON-LD with schema.org), without any personal
    data: no maker, no borrower, no notes; or the DCAT-AP catalogue that describes it (dataset,
    CSV and JSON-LD distributions at the API's public URL, publisher, licence, dates)."""
    from inventory.opendata import (
        make_publisher,
        open_items,
        opendata_catalogue,
        opendata_csv,
        opendata_jsonld,
    )

    kind = _format_of(file, fmt, ("csv", "jsonld", "dcat"))
    settings = ctx.obj.settings()
    with session_scope(ctx.obj.engine()) as session:
        items = open_items(session, site_code=site)
        if kind == "dcat":
            publisher = make_publisher(
                settings.inventory.opendata_publisher, settings.inventory.opendata_publisher_url
            )
            catalogue = opendata_catalogue(
                session, base_url=settings.api.public_url, publisher=publisher, today=date.today()
            )
    if kind == "dcat":
        text = catalogue
    elif kind == "csv":
        text = opendata_csv(items)
    else:
        text = opendata_jsonld(items, base_url=settings.api.public_url, published=date.today())
    if str(file) == "-":
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    out.print(f"Wrote {counted(len(items), 'item')} to {file}.")


# ---------------------------------------------------------------------------------------------
# labels


@app.command("labels")
def labels(
    ctx: typer.Context,
    target: Annotated[
        Path, typer.Argument(help="A .pdf file of label pages, or a folder for PNG/SVG files.")
    ],
    template: Annotated[
        str,
        typer.Option(
            help="Label stock of the PDF: a4-70x37 (A4 sheet, 24 labels of 70 x 37 mm) or "
            "roll-62 (62 mm continuous roll of a Brother QL printer, a 62 x 32 mm label a page)."
        ),
    ] = "a4-70x37",
    fmt: Annotated[
        str | None, typer.Option("--format", help="pdf, png or svg (default: pdf for *.pdf).")
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site's items.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only this item (repeat).")] = None,
    url: Annotated[
        str | None,
        typer.Option(help="QR content: this URL followed by the tag (default: settings)."),
    ] = None,
) -> None:
    """Print QR labels: QR code, asset tag, name and site, as PDF pages for label stock or one
    image file each. Names print in DejaVu Sans (Debian: fonts-dejavu-core), every letter."""
    from inventory.labels import TEMPLATES, label_sheet_pdf, labels_for, write_label_files

    if template not in TEMPLATES:
        raise InvalidValue(
            "Label template {template!r} is not one of {known}.",
            template=template,
            known=", ".join(TEMPLATES),
            error_code="label_template",
        )

    kind = (fmt or ("pdf" if target.suffix.lower() == ".pdf" else "png")).lower()
    if kind not in ("pdf", "png", "svg"):
        raise InvalidValue(
            "Label format {fmt!r} is not pdf, png or svg.", fmt=kind, error_code="label_format"
        )
    prefix = url if url is not None else ctx.obj.settings().inventory.label_url
    with session_scope(ctx.obj.engine()) as session:
        items = labels_for(session, site_code=site, asset_tags=tag or (), url_prefix=prefix)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as progress:
        task = progress.add_task("labels", total=len(items))

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        if kind == "pdf":
            label_sheet_pdf(items, target, template=TEMPLATES[template], progress=advance)
        else:
            write_label_files(items, target, fmt=kind, progress=advance)  # type: ignore[arg-type]
    out.print(f"Wrote {counted(len(items), 'label')} to {target}.")
