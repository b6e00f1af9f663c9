"""Register files as Excel makes them in Brussels: .xlsx, and CSV in Windows-1252 or UTF-16 with
`;`, CRLF, decimal commas, local dates, worded headers and blank rows; updates and dry runs."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from fabdesk.errors import ImportRejected
from fabdesk.i18n import catalogue_path, parse_po, translator
from fabdesk.identifiers import make_asset_tag
from fabdesk.models import Equipment, EquipmentEvent, EquipmentStatus, ManagerAction
from inventory.csv_io import export_xlsx, import_csv
from inventory.investors import item_shares
from inventory.lookups import get_item
from inventory.register import history
from inventory.register_import import import_table
from inventory.spreadsheet import COLUMNS, READABLE, column_of, parse_euros, read_table
from tests.inventory.conftest import NOW, make_manager, tag

LASER = tag("LAB1", 1)

FRENCH = [
    "Étiquette;Site;Catégorie;Nom;Marque;Date d'achat;Coût d'achat;Statut;Parts;Remarques",
    f"{LASER};lab1;laser;Découpeuse laser;Trotec;21/11/2023;1 234,56;;REGION:50;CITY:50;"
    "Lentille nettoyée",
    ";lab1;fdm;Imprimante Prusa « Été »;Prusa;02/01/2024;799,00;;;",
    ";lab2;handtools;Perceuse;Bosch;;45,5;;;",
    ";;;;;;;;;",
    ";;;;;;;;;",
]
"""What Excel writes in fr-BE as "CSV (séparateur: point-virgule)": one existing tag (updated),
two rows without a tag (given the next tags of their sites), two blank rows at the end."""


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _windows_1252(lines: list[str]) -> bytes:
    # The shares cell holds a `;`: Excel quotes it.
    text = "\r\n".join(lines).replace("REGION:50;CITY:50", '"REGION:50;CITY:50"') + "\r\n"
    return text.encode("cp1252")


def test_a_french_excel_csv_in_windows_1252_updates_and_adds(world: Session) -> None:
    manager = make_manager(world)
    data = _windows_1252(FRENCH)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    plan = import_csv(world, data, manager_id=manager, now=NOW, source="registre.csv")
    assert [(a.line, a.asset_tag, a.tag_given) for a in plan.added] == [
        (3, tag("LAB1", 4), False),
        (4, tag("LAB2", 2), False),
    ]
    assert {(c.field, c.old, c.new) for c in plan.changed} == {
        ("name", "Laser cutter", "Découpeuse laser"),
        ("acquired_on", "2022-01-10", "2023-11-21"),
        ("acquisition_cost_cents", "2000000", "123456"),
        ("shares", "", "CITY:50;REGION:50"),
        ("notes", "", "Lentille nettoyée"),
    }
    laser = get_item(world, LASER)
    assert (laser.name, laser.acquired_on, laser.acquisition_cost_cents) == (
        "Découpeuse laser",
        date(2023, 11, 21),
        123456,
    )
    assert {(i.code, s.basis_points) for i, s in item_shares(world, laser)} == {
        ("CITY", 5000),
        ("REGION", 5000),
    }
    events = [e for e in history(world, LASER) if e.reason == "imported from registre.csv"]
    assert {e.field for e in events} == {
        "name",
        "acquired_on",
        "acquisition_cost_cents",
        "shares",
        "notes",
    }
    assert {e.actor_id for e in events} == {manager}
    logged = world.exec(select(ManagerAction.action, ManagerAction.subject)).all()
    assert logged == [("register_imported", "registre.csv: 2 added, 1 changed")]
    printer = get_item(world, tag("LAB1", 4))
    assert (printer.name, printer.acquisition_cost_cents) == ("Imprimante Prusa « Été »", 79900)
    assert get_item(world, tag("LAB2", 2)).acquisition_cost_cents == 4550


def test_a_dutch_unicode_text_file_in_utf_16(world: Session) -> None:
    manager = make_manager(world)
    lines = [
        "Etiket\tVestiging\tCategorie\tNaam\tAankoopdatum\tAankoopprijs\tStatus\tOpmerkingen",
        f"{tag('NEW', 1)}\tlab2\tfdm\tPrinter Ğüzel Łódź\t01.02.2025\t1.299,99\tin_service\t"
        "Ş, ő, ź",
        "\t\t\t\t\t\t\t",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-16")  # Excel's "Unicode text": BOM + LE
    plan = import_csv(world, data, manager_id=manager, now=NOW, source="register.txt")
    assert [a.asset_tag for a in plan.added] == [tag("NEW", 1)]
    item = get_item(world, tag("NEW", 1))
    assert (item.name, item.acquired_on, item.acquisition_cost_cents, item.notes) == (
        "Printer Ğüzel Łódź",
        date(2025, 2, 1),
        129999,
        "Ş, ő, ź",
    )


def test_an_xlsx_made_by_hand_with_date_and_number_cells(world: Session) -> None:
    manager = make_manager(world)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "lab1"
    sheet.append(["Asset tag", "Site", "Category", "Name", "Acquired on", "Cost", "Shares"])
    sheet.append([None, "lab1", "laser", "Laser Ş", datetime(2025, 3, 4), 15000.5, "REGION:100"])
    sheet.append([None, None, None, None, None, None, None])
    notes = book.create_sheet("Read me")
    notes.append(["This sheet is notes for people"])
    buffer = io.BytesIO()
    book.save(buffer)
    plan = import_table(
        world, read_table(buffer.getvalue(), "x.xlsx"), manager_id=manager, now=NOW, source="x"
    )
    item = get_item(world, plan.added[0].asset_tag)
    assert (item.acquired_on, item.acquisition_cost_cents) == (date(2025, 3, 4), 1500050)


def test_refusals_name_line_and_column_in_the_managers_language_and_write_nothing(
    world: Session,
) -> None:
    manager = make_manager(world, language="fr")
    lines = [
        "Étiquette;Site;Catégorie;Nom;Date d'achat;Coût d'achat;Parts",
        f"{tag('NEW', 1)};lab1;laser;Bon;21/11/2026;12,50;",
        f"{tag('NEW', 2)};lab1;bateau;Mauvaise catégorie;31/02/2026;douze;REGION:40",
        f"{LASER};lab1;laser;Mise à jour;;;",
    ]
    before = (_count(world, Equipment), _count(world, EquipmentEvent))
    with pytest.raises(ImportRejected) as caught:
        import_csv(world, _windows_1252(lines), manager_id=manager, now=NOW, source="f.csv")
    assert (_count(world, Equipment), _count(world, EquipmentEvent)) == before
    french = translator("fr").gettext
    problems = caught.value.params["problems"]
    assert [(p.line, p.column, p.field, p.render(french)) for p in problems] == [
        (3, "C", "category", "il n'y a pas de category 'bateau'"),
        (3, "E", "acquired_on", "'31/02/2026' n'est pas une date comme 2026-11-21 ou 21/11/2026"),
        (3, "F", "acquisition_cost_eur", "'douze' n'est pas un montant en euros comme 1234,56"),
        (3, "G", "shares", "Les parts totalisent 40 %, pas 100 %."),
    ]


def test_a_dry_run_lists_added_changed_and_refused_and_writes_nothing(world: Session) -> None:
    manager = make_manager(world)
    text = (
        "asset_tag,site,category,name,rate_eur_per_hour\n"
        f"{LASER},lab1,laser,Laser cutter,18.50\n"
        ",lab1,fdm,New printer,\n"
        ",mars,fdm,Far printer,\n"
    )
    before = (_count(world, Equipment), _count(world, EquipmentEvent))
    plan = import_csv(world, text, manager_id=manager, now=NOW, dry_run=True)
    assert [(c.asset_tag, c.field, c.old, c.new) for c in plan.changed] == [
        (LASER, "rate_cents_per_hour", "0", "1850")
    ]
    assert [a.asset_tag for a in plan.added] == [tag("LAB1", 4)]
    assert [(p.line, p.field) for p in plan.problems] == [(4, "site")]
    assert (_count(world, Equipment), _count(world, EquipmentEvent)) == before


def test_only_a_manager_imports_and_a_site_manager_only_their_site(world: Session) -> None:
    from fabdesk.errors import AccessDenied
    from inventory.makers import NewMaker, register_maker

    maker = register_maker(world, NewMaker("M777", "Not a manager"))
    with pytest.raises(AccessDenied):
        import_csv(world, "name\nx\n", manager_id=maker.id or 0, now=NOW)
    local = make_manager(world, site_code="lab2")
    plan = import_csv(
        world, f"asset_tag,name\n{LASER},Renamed\n", manager_id=local, now=NOW, dry_run=True
    )
    assert [(p.field, p.message) for p in plan.problems] == [("site", "you manage site lab2 only")]


def _sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheets = {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
    book.close()
    sheets.pop("History")
    return sheets


def test_an_xlsx_round_trip_changes_nothing(world: Session, tmp_path: Path) -> None:
    from tests.inventory.test_csv_io import _dress_up, _empty_world

    manager = make_manager(world)
    _dress_up(world)
    data = export_xlsx(world)
    sheets = _sheets(data)
    assert list(sheets) == ["lab1", "lab2"]
    assert list(sheets["lab1"][0]) == [READABLE[c] for c in COLUMNS]
    assert all(column_of(READABLE[c]) == c for c in COLUMNS)
    events = _count(world, EquipmentEvent)
    same = import_table(world, read_table(data, "r.xlsx"), manager_id=manager, now=NOW, source="r")
    assert (same.added, same.changed, same.problems) == ([], [], [])
    assert _count(world, EquipmentEvent) == events
    _empty_world(world)
    again = import_table(world, read_table(data, "r.xlsx"), manager_id=manager, now=NOW, source="r")
    assert len(again.added) == 4
    assert _sheets(export_xlsx(world)) == sheets
    assert get_item(world, tag("LAB1", 3)).status == EquipmentStatus.LENT_OUT
    history_sheet = load_workbook(io.BytesIO(data), read_only=True)["History"]
    assert any(row[0] == LASER for row in history_sheet.iter_rows(values_only=True))


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("1234,56", 123456),
        ("1 234,56", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1234.5", 123450),
        ("€ 12", 1200),
        ("1.234", 123400),
        ("", None),
    ],
)
def test_euros_as_people_type_them(typed: str, cents: int | None) -> None:
    assert parse_euros(typed) == cents


def test_every_import_refusal_is_translated() -> None:
    templates = json.loads((Path(__file__).parent / "import_msgids.json").read_text())
    for language in ("fr", "nl"):
        entries = parse_po(catalogue_path(language).read_text(encoding="utf-8"), language)
        missing = [t for t in templates if not entries.get(t)]
        assert missing == [], language


def test_the_next_tag_counts_tags_given_in_the_same_file(world: Session) -> None:
    manager = make_manager(world)
    text = "site,category,name\nlab1,fdm,A\nlab1,fdm,B\nlab2,fdm,C\n"
    plan = import_csv(world, text, manager_id=manager, now=NOW)
    assert [a.asset_tag for a in plan.added] == [
        make_asset_tag("LAB1", 4),
        make_asset_tag("LAB1", 5),
        make_asset_tag("LAB2", 2),
    ]
