"""Makers' data: export everything held about a maker, erase what the books do not need."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from fabdesk.accounting.charges import maker_balance, post_usage_charge
from fabdesk.accounting.cheques import add_programme, issue_cheque
from fabdesk.accounting.ledger import check_ledger
from fabdesk.accounting.pricing import PriceRules
from fabdesk.db import Engine, session_scope
from fabdesk.models import Booking, Equipment, Maker, Notification, id_of, load_all
from fabdesk.ops.privacy import (
    ERASURE_POLICY,
    apply_retention,
    erase_maker,
    export_maker,
    maker_tables,
    write_export_pdf,
)
from scheduling.notifier import enqueue
from tests.accounting.factories import ZONE, add_usage
from tests.scheduling.conftest import NOW, TOMORROW, World, build_world, local


def _history(engine: Engine) -> World:
    """Alice books, uses the laser, is charged (partly from a cheque) and gets a message."""
    world = build_world(engine)
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(engine) as session:
        from fabdesk.models import Investor

        session.add(Investor(code="region", name="Brussels-Capital Region"))
        session.flush()
        add_programme(
            session,
            code="makers26",
            name="Chèques-makers 2026",
            funder_code="region",
            face_value_cents=10_000,
            copay_basis_points=2000,
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
        )
        issue_cheque(session, programme_code="makers26", maker_id=world.alice, today=NOW.date(),
                     now=NOW, zone=ZONE)  # fmt: skip
        laser = session.get(Equipment, world.laser1)
        assert laser is not None
        laser.rate_cents_per_hour = 3000
        alice = session.get(Maker, world.alice)
        usage = add_usage(
            session, laser, alice, ended_at=NOW - timedelta(days=2), active_seconds=37 * 60
        )
        post_usage_charge(session, id_of(usage), now=NOW, rules=PriceRules.default())
        enqueue(
            session,
            key="reminder-alice",
            kind="reminder",
            subject="Your laser booking",
            body="Dear Alice, see you tomorrow.",
            now=NOW,
            maker_id=world.alice,
            recipient="alice@example.org",
        )
    return world


def _all_text(session: Session) -> str:
    """Every value of every table, as one string to search."""
    chunks: list[str] = []
    for table in load_all().sorted_tables:
        for row in session.connection().execute(sa.select(table)):
            chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_every_table_that_points_at_makers_has_an_erasure_rule() -> None:
    assert {table.name for table, _ in maker_tables()} == set(ERASURE_POLICY)


def test_export_holds_everything_about_the_maker_and_nobody_else(
    engine: Engine, tmp_path: Path
) -> None:
    _history(engine)
    with session_scope(engine) as session:
        export = export_maker(session, "M-1")
    data = json.loads(export.to_json())
    assert data["maker"]["name"] == "Alice"
    assert data["maker"]["email"] == "alice@example.org"
    assert len(data["records"]["bookings"]) == 1
    assert len(data["records"]["certifications"]) == 2
    assert len(data["records"]["usage_sessions"]) == 1
    assert len(data["records"]["usage_charges"]) == 1
    assert len(data["records"]["cheques"]) == 1
    assert len(data["records"]["notifications"]) == 1
    assert "Bob" not in export.to_json()

    pdf = tmp_path / "alice.pdf"
    write_export_pdf(export, pdf, generated=NOW)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "M-1" in text
    assert "alice@example.org" in text


def test_erasure_leaves_no_personal_field_and_keeps_the_books(engine: Engine) -> None:
    world = _history(engine)
    with session_scope(engine) as session:
        owed_before = maker_balance(session, world.alice).owed_cents
        assert owed_before > 0
    with session_scope(engine) as session:
        report = erase_maker(session, "M-1", now=NOW)
    assert report.deleted["notifications"] == 1
    assert report.kept["bookings"] == 1
    with session_scope(engine) as session:
        everything = _all_text(session)
        for personal in ("Alice", "alice@example.org", "M-1\n"):
            assert personal not in everything
        assert "Bob" in everything, "another maker's data was touched"
        assert check_ledger(session).ok
        assert maker_balance(session, world.alice).owed_cents == owed_before
        assert len(session.exec(select(Booking).where(Booking.maker_id == world.alice)).all()) == 1


def test_retention_deletes_old_messages_and_erases_long_inactive_makers(engine: Engine) -> None:
    world = build_world(engine)
    world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(engine) as session:
        for n, sent in enumerate([NOW - timedelta(days=400), NOW - timedelta(days=10), None]):
            enqueue(session, key=f"k{n}", kind="x", subject="s", body="b", now=NOW)
            row = session.exec(select(Notification).where(Notification.key == f"k{n}")).one()
            row.sent_at = sent
            session.add(row)
    later = NOW + timedelta(days=3 * 365)
    with session_scope(engine) as session:
        report = apply_retention(session, now=NOW, notifications_days=180, inactive_maker_days=0)
    assert report.notifications_deleted == 1
    assert report.makers_erased == []
    with session_scope(engine) as session:
        # Alice and Carol were trained on 2026-01-01 and never came back; Bob books in 2026-11.
        report = apply_retention(
            session,
            now=later,
            notifications_days=180,
            inactive_maker_days=1270,  # since about 2026-06
        )
    assert sorted(report.makers_erased) == [world.alice, world.carol]
    with session_scope(engine) as session:
        bob = session.get(Maker, world.bob)
        assert bob is not None
        assert bob.name == "Bob"


def test_cli_exports_and_erases(database_url: str, tmp_path: Path) -> None:
    from tests.support.cli import fabdesk

    env = {"FABDESK_DATABASE__URL": database_url}
    added = fabdesk("makers", "add", "M7", "Zoë Peeters", "--email", "zoe@example.org", env=env)
    assert added.returncode == 0, added.stderr
    out = tmp_path / "export"
    result = fabdesk("makers", "export", "M7", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "M7.json").read_text())["maker"]["name"] == "Zoë Peeters"
    assert (out / "M7.pdf").read_bytes().startswith(b"%PDF")
    result = fabdesk("makers", "erase", "M7", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    result = fabdesk("makers", "export", "M7", "--out", str(out), env=env)
    assert result.returncode != 0
    assert "no maker M7" in result.stderr


def test_times_are_plain_in_the_export(engine: Engine) -> None:
    _history(engine)
    with session_scope(engine) as session:
        export = export_maker(session, "M-1")
    starts = export.records["bookings"][0]["starts_at"]
    assert datetime.fromisoformat(starts).tzinfo == UTC
