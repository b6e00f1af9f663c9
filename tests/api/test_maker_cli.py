"""`fabdesk tokens …` and `fabdesk waitlist …` as a manager runs them (real processes), on SQLite
and PostgreSQL: list and revoke a maker's phone tokens; put a maker in line for a taken slot and
accept the offer when it frees."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from fabdesk import exit_codes
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.errors import Unauthenticated
from fabdesk.models import Maker, id_of
from fabdesk.settings import SchedulerSettings
from inventory.maker_tokens import authenticate_maker, issue_token
from inventory.makers import certify
from scheduling.bookings import book, cancel
from scheduling.machines import find_machine
from tests.api.test_cli import fabdesk

LASER = "CF1-00001-R"
BRUSSELS = ZoneInfo("Europe/Brussels")


def _maker(engine: Engine, member_number: str) -> int:
    with write_session(engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == member_number)).one()
        certify(session, maker, "laser", granted_on=date(2026, 1, 1))
        return id_of(maker)


def test_a_manager_lists_and_revokes_a_makers_tokens(seeded_url: str, api_engine: Engine) -> None:
    maker_id = _maker(api_engine, "M00001")
    now = datetime.now(UTC)
    with write_session(api_engine) as session:
        phone = issue_token(session, maker_id, label="kiosk cityfab1", now=now)
    listed = fabdesk(seeded_url, "tokens", "list", "M00001")
    assert listed.returncode == 0, listed.stderr
    assert phone.hint in listed.stdout
    assert phone.token not in listed.stdout
    assert "kiosk cityfab1" in listed.stdout
    assert "never" in listed.stdout
    revoked = fabdesk(seeded_url, "tokens", "revoke", str(phone.token_id))
    assert revoked.returncode == 0, revoked.stderr
    again = fabdesk(seeded_url, "tokens", "revoke", str(phone.token_id))
    assert again.returncode == exit_codes.CONFLICT
    assert "already revoked" in again.stderr
    assert phone.hint not in fabdesk(seeded_url, "tokens", "list", "M00001", "--active").stdout
    with session_scope(api_engine) as session, pytest.raises(Unauthenticated) as refused:
        authenticate_maker(session, phone.token, now=now)
    assert refused.value.code == "token_revoked"
    helped = fabdesk(seeded_url, "tokens", "--help")
    assert "kiosk" in helped.stdout
    assert "revoke" in helped.stdout


def _next_thursday_at_three() -> datetime:
    today = datetime.now(BRUSSELS).date()
    day = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    return datetime.combine(day, time(15), BRUSSELS)


def test_a_manager_puts_a_maker_in_line_and_accepts_the_offer(
    seeded_url: str, api_engine: Engine
) -> None:
    alice, _ = _maker(api_engine, "M00001"), _maker(api_engine, "M00002")
    starts = _next_thursday_at_three()
    with write_session(api_engine) as session:
        taken = book(
            session,
            maker_id=alice,
            equipment_id=find_machine(session, LASER),
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            now=datetime.now(UTC),
            settings=SchedulerSettings(),
        )
    when = f"{starts:%Y-%m-%d %H:%M}"
    free = fabdesk(seeded_url, "waitlist", "join", "M00002", LASER, when.replace("15:", "18:"))
    assert free.returncode != 0
    assert "book it instead" in free.stderr
    joined = fabdesk(seeded_url, "waitlist", "join", "M00002", LASER, when, "--length", "1h")
    assert joined.returncode == 0, joined.stderr
    entry_id = joined.stdout.strip().rstrip(".").rsplit(" ", 1)[-1]
    listed = fabdesk(seeded_url, "waitlist", "list", "M00002")
    assert "waiting" in listed.stdout
    early = fabdesk(seeded_url, "waitlist", "accept", entry_id, "--maker", "M00002")
    assert early.returncode != 0
    assert "no open offer" in early.stderr
    with write_session(api_engine) as session:
        cancel(
            session,
            booking_id=taken.id or 0,
            now=datetime.now(UTC),
            maker_id=alice,
            settings=SchedulerSettings(),
        )
    assert "offered" in fabdesk(seeded_url, "waitlist", "list", "M00002").stdout
    other = fabdesk(seeded_url, "waitlist", "accept", entry_id, "--maker", "M00001")
    assert other.returncode != 0, "only the maker in line accepts"
    accepted = fabdesk(seeded_url, "waitlist", "accept", entry_id, "--maker", "M00002")
    assert accepted.returncode == 0, accepted.stderr
    assert "Offer accepted: booking" in accepted.stdout
