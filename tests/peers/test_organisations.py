"""Paying organisations: a maker books on behalf of a partner school, which is billed instead
(no maker cheque), and gets its own statement with its enterprise number."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from fabdesk import exit_codes
from fabdesk.accounting import (
    add_programme,
    check_ledger,
    issue_cheque,
    record_payment,
    reverse_charge,
)
from fabdesk.accounting.ledger import balance, find_account
from fabdesk.accounting.statements import (
    maker_statement,
    organisation_statement,
    statement_csv,
    statement_pdf,
)
from fabdesk.db import make_engine, session_scope, write_session
from fabdesk.errors import InvalidValue, NotFound, RuleViolation
from fabdesk.models import AccountKind, Booking, Equipment, LedgerAccount, Maker, id_of
from fabdesk.settings import DatabaseSettings
from inventory.investors import add_investor
from inventory.organisations import (
    add_organisation,
    link_maker,
    list_organisations,
    organisations_of,
    unlink_maker,
)
from scheduling.bookings import book
from tests.accounting.factories import ZONE
from tests.peers.conftest import LASER_RATE, charge_of, run_job
from tests.scheduling.conftest import NOW, TOMORROW, World, build_world, local
from tests.support.cli import fabdesk

SCHOOL_NUMBER = "0123.456.749"


def _school(world: World) -> int:
    with session_scope(world.engine) as session:
        school = add_organisation(
            session, code="erasmus", name="Erasmus school", enterprise_number=SCHOOL_NUMBER
        )
        link_maker(session, "ERASMUS", world.alice)
        link_maker(session, "erasmus", world.alice)  # twice: no change
        return id_of(school)


def _book(world: World, maker: int, hour: int, on_behalf_of: int | None) -> Booking:
    with write_session(world.engine) as session:
        return book(
            session,
            maker_id=maker,
            equipment_id=world.laser1,
            starts_at=local(TOMORROW, hour),
            ends_at=local(TOMORROW, hour + 1),
            now=NOW,
            settings=world.settings,
            on_behalf_of=on_behalf_of,
        )


def test_the_organisation_is_billed_instead_of_the_maker_and_no_cheque_is_spent(
    world: World,
) -> None:
    school = _school(world)
    with session_scope(world.engine) as session:
        add_investor(session, "REGION", "Brussels-Capital Region")
        add_programme(
            session,
            code="chq",
            name="Chèques-makers",
            funder_code="REGION",
            face_value_cents=10000,
            copay_basis_points=2000,
            valid_from=date(2026, 1, 1),
            valid_until=date(2027, 12, 31),
        )
        issue_cheque(session, programme_code="chq", maker_id=world.alice, today=NOW.date(),
                     now=NOW, zone=ZONE)  # fmt: skip
        assert [o.code for o in organisations_of(session, world.alice)] == ["ERASMUS"]
    booking = _book(world, world.alice, 10, school)
    assert booking.organisation_id == school
    usage = run_job(world, "A-00001-O", local(TOMORROW, 10, 5), minutes=30)
    charge = charge_of(world, usage)
    assert charge.organisation_id == school
    assert (charge.total_cents, charge.cheque_cents, charge.maker_cents) == (1500, 0, 1500)

    with session_scope(world.engine) as session:
        maker_account = find_account(session, AccountKind.MAKER, world.alice)
        assert maker_account is None or balance(session, maker_account) == 0
        school_account = find_account(session, AccountKind.ORGANISATION, school)
        assert school_account is not None
        named = session.get(LedgerAccount, school_account)
        assert named is not None
        assert named.name == "ERASMUS"
        assert balance(session, school_account) == 1500
        statement = organisation_statement(session, "erasmus", "2026-11")
        [line] = statement.lines
        assert (line.minutes, line.total_cents, line.vat_cents, line.maker_cents) == (
            30,
            1500,
            260,
            1500,
        )
        assert line.description.endswith("for ERASMUS")
        assert statement.enterprise_number == "0123456749"
        assert "enterprise number,0123.456.749" in statement_csv(statement)
        assert statement_pdf(statement, "en").startswith(b"%PDF")
        assert "1500" not in statement_csv(statement)  # euros, not cents
        assert "15.00" in statement_csv(statement)
        member = session.get(Maker, world.alice)
        assert member is not None
        assert maker_statement(session, member.member_number, "2026-11").lines == []

        pay = functools.partial(
            record_payment, session, organisation_id=school, now=local(TOMORROW, 19), zone=ZONE
        )
        pay(cents=1000, reference="BANK-1")
        assert balance(session, school_account) == 500
        assert organisation_statement(session, "erasmus", "2026-11").closing_cents == 500
        pay(cents=500, reference="BANK-2")
        reverse_charge(session, id_of(usage), now=local(TOMORROW, 20), zone=ZONE)
        assert balance(session, school_account) == -1500  # in credit after the correction
        record_payment(
            session,
            organisation_id=school,
            cents=1,
            reference="BANK-3",
            now=local(TOMORROW, 19),
            zone=ZONE,
        )
        assert balance(session, school_account) == -1501
        assert [
            line.maker_cents for line in organisation_statement(session, "erasmus", "2026-11").lines
        ] == [1500, -1000, -500, -1, -1500]  # fmt: skip  (time order: BANK-3 at 19:00)
        assert check_ledger(session).ok


def test_a_maker_not_linked_is_refused_with_a_code_and_nothing_is_booked(world: World) -> None:
    school = _school(world)
    with pytest.raises(RuleViolation) as refused:
        _book(world, world.bob, 10, school)
    assert refused.value.code == "not_linked_to_organisation"
    assert str(refused.value) == "You may not book on behalf of Erasmus school."
    with pytest.raises(NotFound):
        _book(world, world.alice, 10, 999_999)
    with session_scope(world.engine) as session:
        assert unlink_maker(session, "ERASMUS", world.alice)
        assert not unlink_maker(session, "ERASMUS", world.alice)
    with pytest.raises(RuleViolation):
        _book(world, world.alice, 10, school)
    with session_scope(world.engine) as session:
        assert session.exec(select(Booking)).all() == []
        with pytest.raises(InvalidValue):
            add_organisation(session, code="bad", name="Bad", enterprise_number="0123.456.748")
        assert [o.code for o in list_organisations(session)] == ["ERASMUS"]


def test_organisations_from_the_command_line(sqlite_url: str) -> None:
    """Real processes on a SQLite file, as the other accounting CLI tests. `fabdesk book` books
    by the real clock: the job runs on the next day the lab opens (Monday to Saturday)."""
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    world = build_world(engine)
    day = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=1)
    if day.weekday() == 6:
        day += timedelta(days=1)

    def ok(*args: str) -> str:
        done = fabdesk(*args, env={"FABDESK_DATABASE__URL": sqlite_url})
        assert done.returncode == 0, done.stderr
        return done.stdout

    ok("organisations", "add", "acme", "--name", "Acme SRL", "--enterprise-number", SCHOOL_NUMBER)
    ok("organisations", "link", "acme", "M-1")
    listed = ok("organisations", "list")
    assert "0123.456.749" in listed
    assert "M-1" in listed
    booked = ok("book", "M-1", "A-00001-O", f"{day} 10:00", "--on-behalf-of", "acme")
    assert "on behalf of ACME" in booked
    refused = fabdesk(
        "book", "M-2", "A-00001-O", f"{day} 14:00", "--on-behalf-of", "acme",
        env={"FABDESK_DATABASE__URL": sqlite_url},
    )  # fmt: skip
    assert refused.returncode == exit_codes.RULE_VIOLATION
    assert "You may not book on behalf of Acme SRL." in refused.stderr
    with session_scope(engine) as session:
        laser = session.get(Equipment, world.laser1)
        assert laser is not None
        laser.rate_cents_per_hour = LASER_RATE
        session.add(laser)
    run_job(world, "A-00001-O", local(day, 10, 5), minutes=30)
    engine.dispose()
    shown = ok("organisations", "statement", "acme", "--month", f"{day:%Y-%m}")
    assert "15.00" in shown
    assert "0123.456.749" in shown
    paid = ok("organisations", "pay", "acme", "15.00", "--reference", "BANK-7")
    assert "ACME now owes €0.00" in paid
    assert "Already recorded" in ok(
        "organisations", "pay", "acme", "15.00", "--reference", "BANK-7"
    )
