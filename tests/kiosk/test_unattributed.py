"""A manager assigns at the kiosk the uses nobody could be named for (issue 15): the session
waits in the list, the manager scans the maker's badge (or F6: the lab's own use), and it is
charged then, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import (
    AccountKind,
    BadgeDecision,
    Equipment,
    LedgerAccount,
    Maker,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import Settings
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.follow_up import after_ingest
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import ALLOW, EventBatch, EventKind, Outcome
from kiosk.screens.flagged import FlaggedScreen
from kiosk.screens.unattributed import UnattributedScreen
from tests.api.events import CLOCK_TOLERANCE, event
from tests.kiosk.conftest import NOW, SIZE, Lab
from tests.kiosk.pilot import MakeApp, manager_home, scan, screen_text, settle

TAG = "CF1-00001-R"


def _unbooked_jobs(engine: Engine, settings: Settings, count: int) -> list[int]:
    """The machine's driver reports `count` jobs this morning, with no badge and no booking."""
    events = []
    for number in range(count):
        run, start = uuid.uuid4(), NOW - timedelta(hours=2 - number)
        events += [
            event(EventKind.SESSION_STARTED, start, run, job_name=f"part{number}.svg"),
            event(
                EventKind.SESSION_ENDED,
                start + timedelta(minutes=20),
                run,
                active_seconds=1200.0,
                outcome=Outcome.DONE,
            ),
        ]
    with write_session(engine) as session:
        token = register_device(
            session, equipment_tag=TAG, name="pi", now=NOW - timedelta(days=1)
        ).token
        result = ingest_batch(
            session,
            authenticate(session, token),
            EventBatch(events=events),
            now=NOW,
            clock_tolerance=CLOCK_TOLERANCE,
        )
        follow = after_ingest(
            session,
            result.touched_session_ids,
            result.finished_session_ids,
            now=NOW,
            settings=settings,
        )
        assert follow.charged == [], "nobody to charge: they wait"
        return sorted(result.touched_session_ids)


async def test_a_manager_assigns_a_use_by_scanning_the_makers_badge(
    lab: Lab, engine: Engine, settings: Settings, make_app: MakeApp
) -> None:
    jobs = _unbooked_jobs(engine, settings, 2)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnattributedScreen)
        first, second = (line.session_id for line in screen.lines)  # the oldest first
        assert sorted([first, second]) == jobs
        await scan(pilot, (lab.fr_maker.badge_id or "").lower())  # readers differ in case
        assert f"Session {first} assigned and charged." in screen_text(app)
        assert [line.session_id for line in screen.lines] == [second]
        await pilot.press("f6")
        await settle(pilot)
        assert screen.lines == []
        assert "Every use has someone to pay for it." in screen_text(app)

    with session_scope(engine) as session:
        charges = {charge.usage_session_id: charge for charge in session.exec(select(UsageCharge))}
        assert set(charges) == {first, second}
        assert charges[first].maker_id == lab.fr_maker.id
        used = session.get(UsageSession, second)
        assert used is not None
        assert used.lab_site_id is not None
        assert used.assigned_by_id == lab.manager.id
        account = session.exec(
            select(LedgerAccount).where(LedgerAccount.kind == AccountKind.LAB)
        ).one()
        assert account.name.endswith("lab use")


def _flagged_use(engine: Engine, *, flagged: bool) -> None:
    """A use the driver allowed offline; the server, on its arrival, refused it (or not)."""
    with write_session(engine) as session:
        machine = session.exec(select(Equipment).where(Equipment.asset_tag == TAG)).one()
        maker = session.exec(select(Maker).where(Maker.member_number == "M00004")).one()
        session.add(
            BadgeDecision(
                equipment_id=id_of(machine),
                maker_id=maker.id,
                badge_hash="0" * 64,
                decided_at=NOW - timedelta(hours=1),
                recorded_at=NOW,
                result="not_certified" if flagged else ALLOW,
                source="offline",
                offline_result=ALLOW,
                flagged=flagged,
            )
        )


@pytest.mark.parametrize(
    ("language", "title", "column"),
    [
        ("fr", "Utilisations permises hors ligne que le serveur refuse", "Refusé car"),
        ("nl", "Offline toegelaten gebruik dat de server weigert", "Geweigerd omdat"),
        ("en", "Uses allowed offline that the server refuses", "Refused because"),
    ],
)
async def test_f7_lists_the_uses_allowed_offline_that_the_server_refused(
    lab: Lab, engine: Engine, make_app: MakeApp, language: str, title: str, column: str
) -> None:
    _flagged_use(engine, flagged=True)
    _flagged_use(engine, flagged=False)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        app.choose_language(language)  # the manager's language at this kiosk
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FlaggedScreen)
        assert [
            (line.machine, line.member, line.refused, line.offline) for line in screen.lines
        ] == [(TAG, "M00004", "not_certified", ALLOW)]
        assert screen.lines[0].when == "24/11/2026 09:00"  # 08:00 UTC, in Brussels
        assert title in screen_text(app)
        assert column in [str(c.label) for c in screen.table().columns.values()]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, UnattributedScreen)
