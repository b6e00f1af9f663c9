"""The maker API under `/api/v1/me/`: a maker's own bookings (book, cancel, extend), free slots,
the waitlist (join, accept an offer, leave) and their iCal address, with the personal access token
made at the kiosk. The same services as the kiosk and the CLI, the same refusal codes, and the
sentences in the maker's language. A maker only ever sees their own things."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from sqlmodel import Session

from fabdesk.api.deps import MakerDep, NowDep, SessionDep, StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import write_session
from fabdesk.errors import InvalidValue
from scheduling import mine
from scheduling.availability import FreeSlot, free_slots, free_slots_of_category, next_free_slot
from scheduling.bookings import book, cancel, extend
from scheduling.ical import calendar_token
from scheduling.machines import find_machine
from scheduling.waitlist import accept_offer, join, withdraw

router = APIRouter(prefix="/api/v1/me", tags=["maker"])

EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)

NO_NUL = r"^[^\x00]*$"
"""Codes are text a database can store: PostgreSQL refuses a NUL byte in a text value."""


def _plausible_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST} and {LATEST}")
    return value


def _plausible_instant(value: datetime) -> datetime:
    _plausible_day(value.date())
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]
"""An instant with its offset (`2026-11-05T14:00:00+01:00`), in a plausible year."""
Day = Annotated[date, AfterValidator(_plausible_day)]
Minutes = Annotated[int, Field(ge=1, le=24 * 60, description="A length in minutes.")]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A booking's or entry's number.")]
Tag = Annotated[str, Field(min_length=1, max_length=32, description="A machine's asset tag.")]


class Me(BaseModel):
    maker_id: int
    language: str


class NewBooking(BaseModel):
    asset_tag: Tag
    starts_at: Instant
    minutes: Minutes


class NewEnd(BaseModel):
    ends_at: Instant


class WaitRequest(BaseModel):
    asset_tag: Tag
    starts_at: Instant
    ends_at: Instant


class FreeSlotMine(BaseModel):
    asset_tag: str
    machine: str
    site: str
    starts_at: datetime
    ends_at: datetime


class CalendarAddress(BaseModel):
    url: str
    """The maker's own iCal feed: subscribe to it in a calendar application."""


def _with_tags(session: Session, slots: list[FreeSlot]) -> list[FreeSlotMine]:
    """Free slots with their machine's asset tag (what a booking names)."""
    names = mine.machine_names(session, (s.equipment_id for s in slots))
    return [
        FreeSlotMine(
            asset_tag=names[s.equipment_id].asset_tag,
            machine=s.name,
            site=s.site_code,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        for s in slots
    ]


@router.get("", response_model=Me, responses=refusals(401, 429), summary="Who this token is")
def whoami(maker: MakerDep) -> Me:
    return Me(maker_id=maker.maker_id, language=maker.language)


@router.get(
    "/bookings",
    response_model=list[mine.BookingView],
    responses=refusals(401, 429),
    summary="My bookings to come (and those that ended in the last 12 hours)",
)
def my_bookings(maker: MakerDep, session: SessionDep, now: NowDep) -> list[mine.BookingView]:
    return mine.my_bookings(session, maker.maker_id, now=now)


@router.post(
    "/bookings",
    response_model=mine.BookingView,
    status_code=201,
    responses=refusals(401, 404, 409, 422, 429),
    summary="Book a machine",
)
def book_machine(
    wanted: NewBooking, maker: MakerDep, state: StateDep, now: NowDep
) -> mine.BookingView:
    """Every booking rule applies (training, opening hours, length, horizon, quotas, overlaps);
    a refusal lists each broken rule's sentence, and its `code` is the first rule's."""
    with write_session(state.engine) as session:
        booking = book(
            session,
            maker_id=maker.maker_id,
            equipment_id=find_machine(session, wanted.asset_tag),
            starts_at=wanted.starts_at,
            ends_at=wanted.starts_at + timedelta(minutes=wanted.minutes),
            now=now,
            settings=state.settings.scheduler,
        )
        return mine.my_booking(session, maker.maker_id, booking.id or 0)


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=mine.BookingView,
    responses=refusals(401, 404, 422, 429),
    summary="Cancel one of my bookings",
)
def cancel_booking(
    booking_id: RowId, maker: MakerDep, state: StateDep, now: NowDep
) -> mine.BookingView:
    """Later than the cancellation cut-off it counts as a late cancellation."""
    with write_session(state.engine) as session:
        mine.my_booking(session, maker.maker_id, booking_id)
        cancel(
            session,
            booking_id=booking_id,
            now=now,
            maker_id=maker.maker_id,
            settings=state.settings.scheduler,
        )
        return mine.my_booking(session, maker.maker_id, booking_id)


@router.post(
    "/bookings/{booking_id}/extend",
    response_model=mine.BookingView,
    responses=refusals(401, 404, 422, 429),
    summary="Move the end of one of my bookings later",
)
def extend_booking(
    booking_id: RowId, wanted: NewEnd, maker: MakerDep, state: StateDep, now: NowDep
) -> mine.BookingView:
    with write_session(state.engine) as session:
        mine.my_booking(session, maker.maker_id, booking_id)
        extend(
            session,
            booking_id=booking_id,
            ends_at=wanted.ends_at,
            now=now,
            maker_id=maker.maker_id,
            settings=state.settings.scheduler,
        )
        return mine.my_booking(session, maker.maker_id, booking_id)


@router.get(
    "/free",
    response_model=list[FreeSlotMine],
    responses=refusals(401, 404, 422, 429),
    summary="Free slots of a machine or of a category, on a day",
)
def free(
    maker: MakerDep,
    session: SessionDep,
    state: StateDep,
    now: NowDep,
    day: Annotated[Day, Query(description="A day (site time)")],
    machine: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="An asset tag")
    ] = None,
    category: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="A category code")
    ] = None,
    site: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="A site code")
    ] = None,
    minutes: Annotated[int, Query(ge=5, le=24 * 60)] = 60,
) -> list[FreeSlotMine]:
    """Give `machine`, or `category` (with `site`, or across every site): stretches in which a
    booking of `minutes` fits."""
    if not (machine or category):
        raise InvalidValue(
            "Say which machine or which category: {hint}.",
            hint="machine=CF1-00001-R or category=laser",
            error_code="machine_or_category",
        )
    length = timedelta(minutes=minutes)
    rules = state.settings.scheduler
    if machine:
        slots = free_slots(
            session, find_machine(session, machine), day, length=length, now=now, settings=rules
        )
    else:
        assert category
        slots = free_slots_of_category(
            session, category, day, site_code=site, length=length, now=now, settings=rules
        )
    return _with_tags(session, slots)


@router.get(
    "/free/next",
    response_model=FreeSlotMine | None,
    responses=refusals(401, 422, 429),
    summary="The first free slot of a category (at one site, or any site)",
)
def first_free(
    maker: MakerDep,
    session: SessionDep,
    state: StateDep,
    now: NowDep,
    category: Annotated[str, Query(min_length=1, max_length=32, pattern=NO_NUL)],
    site: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    minutes: Annotated[int, Query(ge=5, le=24 * 60)] = 60,
) -> FreeSlotMine | None:
    """`null` when nothing is free within the booking horizon."""
    rules = state.settings.scheduler
    slot = next_free_slot(
        session,
        category,
        timedelta(minutes=minutes),
        now,
        site,
        days=rules.booking.max_days_ahead,
        settings=rules,
    )
    return _with_tags(session, [slot])[0] if slot else None


@router.get(
    "/waitlist",
    response_model=list[mine.WaitView],
    responses=refusals(401, 429),
    summary="My places on waitlists (waiting or offered)",
)
def my_waitlist(maker: MakerDep, session: SessionDep, now: NowDep) -> list[mine.WaitView]:
    return mine.my_waitlist(session, maker.maker_id, now=now)


@router.post(
    "/waitlist",
    response_model=mine.WaitView,
    status_code=201,
    responses=refusals(401, 404, 422, 429),
    summary="Wait for a taken slot",
)
def join_waitlist(
    wanted: WaitRequest, maker: MakerDep, state: StateDep, now: NowDep
) -> mine.WaitView:
    """When the slot frees, the first in line gets an offer to accept within
    `scheduler.waitlist_offer_minutes`."""
    with write_session(state.engine) as session:
        equipment_id = find_machine(session, wanted.asset_tag)
        entry = join(
            session,
            maker_id=maker.maker_id,
            equipment_id=equipment_id,
            starts_at=wanted.starts_at,
            ends_at=wanted.ends_at,
            now=now,
        )
        return mine.view_entry(entry, mine.machine_names(session, [equipment_id])[equipment_id])


@router.post(
    "/waitlist/{entry_id}/accept",
    response_model=mine.BookingView,
    responses=refusals(401, 404, 422, 429),
    summary="Accept an offer: the slot becomes my booking",
)
def accept(entry_id: RowId, maker: MakerDep, state: StateDep, now: NowDep) -> mine.BookingView:
    with write_session(state.engine) as session:
        booking = accept_offer(
            session,
            entry_id=entry_id,
            maker_id=maker.maker_id,
            now=now,
            settings=state.settings.scheduler,
        )
        return mine.my_booking(session, maker.maker_id, booking.id or 0)


@router.delete(
    "/waitlist/{entry_id}",
    status_code=204,
    response_class=Response,
    responses=refusals(401, 404, 429),
    summary="Leave a waitlist",
)
def leave_waitlist(entry_id: RowId, maker: MakerDep, state: StateDep, now: NowDep) -> Response:
    with write_session(state.engine) as session:
        withdraw(
            session,
            entry_id=entry_id,
            maker_id=maker.maker_id,
            now=now,
            settings=state.settings.scheduler,
        )
    return Response(status_code=204)


def _address(state: StateDep, token: str) -> CalendarAddress:
    return CalendarAddress(url=f"{state.settings.api.public_url}/api/v1/calendars/{token}.ics")


@router.post(
    "/calendar",
    response_model=CalendarAddress,
    responses=refusals(401, 429),
    summary="A new iCal address, shown once (only its hash is kept; the old one stops working)",
)
def new_calendar(maker: MakerDep, state: StateDep) -> CalendarAddress:
    with write_session(state.engine) as session:
        return _address(state, calendar_token(session, maker.maker_id))
