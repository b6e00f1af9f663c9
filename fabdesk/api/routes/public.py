"""Public endpoints (no token, no personal data): the open-data cadastre, availability, and each
machine's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from fabdesk.api.deps import NowDep, SessionDep, StateDep
from fabdesk.api.routes.common import Day, refusals
from fabdesk.errors import NotFound
from inventory.opendata import (
    make_publisher,
    open_items,
    opendata_catalogue,
    opendata_csv,
    opendata_jsonld,
)
from scheduling.availability import free_slots, site_board, today_at
from scheduling.ical import machine_feed
from scheduling.machines import find_machine

router = APIRouter(prefix="/api/v1", tags=["public"])

SiteQuery = Annotated[str | None, Query(max_length=32, description="A site code; all if absent.")]


@router.get(
    "/opendata/cadastre.jsonld",
    responses={**refusals(404), 200: {"content": {"application/ld+json": {}}}},
    response_class=Response,
    summary="The equipment cadastre as JSON-LD (schema.org)",
)
def cadastre_jsonld(
    session: SessionDep, state: StateDep, now: NowDep, site: SiteQuery = None
) -> Response:
    """Every item of the cadastre, or of one site: no personal data at all."""
    body = opendata_jsonld(
        open_items(session, site_code=site),
        base_url=state.settings.api.public_url,
        published=now.date(),
    )
    return Response(body, media_type="application/ld+json")


@router.get(
    "/opendata/catalogue.jsonld",
    responses={**refusals(404), 200: {"content": {"application/ld+json": {}}}},
    response_class=Response,
    summary="The DCAT-AP catalogue of the open data, for open-data portals",
)
def catalogue_jsonld(session: SessionDep, state: StateDep, now: NowDep) -> Response:
    """The dataset (the cadastre), its CSV and JSON-LD distributions, publisher, licence, dates;
    404 until `inventory.opendata_publisher` is set."""
    inventory = state.settings.inventory
    if not inventory.opendata_publisher.strip():
        raise NotFound(
            "This server publishes no open-data catalogue (inventory.opendata_publisher is not "
            "set).",
            error_code="catalogue_not_published",
        )
    body = opendata_catalogue(
        session,
        base_url=state.settings.api.public_url,
        publisher=make_publisher(inventory.opendata_publisher, inventory.opendata_publisher_url),
        today=now.date(),
    )
    return Response(body, media_type="application/ld+json")


@router.get(
    "/opendata/cadastre.csv",
    responses={**refusals(404), 200: {"content": {"text/csv": {}}}},
    response_class=Response,
    summary="The equipment cadastre as CSV",
)
def cadastre_csv(session: SessionDep, site: SiteQuery = None) -> Response:
    return Response(opendata_csv(open_items(session, site_code=site)), media_type="text/csv")


class BlockPublic(BaseModel):
    starts_at: datetime
    ends_at: datetime
    kind: str
    """booking, buffer or maintenance (who booked is never shown)."""


class MachineDayPublic(BaseModel):
    asset_tag: str
    name: str
    category: str
    status: str
    bookable: bool
    taken: list[BlockPublic]


class BoardPublic(BaseModel):
    site: str
    day: date
    closed: str | None
    opening: list[tuple[datetime, datetime]]
    machines: list[MachineDayPublic]


@router.get(
    "/sites/{site}/board",
    response_model=BoardPublic,
    responses=refusals(404, 422),
    summary="A site's day: every machine and when it is taken",
)
def board(site: str, session: SessionDep, now: NowDep, day: Day = None) -> BoardPublic:
    found = site_board(session, site, day or today_at(session, now, site_code=site))
    return BoardPublic(
        site=found.site_code,
        day=found.day,
        closed=found.closed,
        opening=list(found.opening),
        machines=[
            MachineDayPublic(
                asset_tag=m.asset_tag,
                name=m.name,
                category=m.category_code,
                status=m.status.value,
                bookable=m.bookable,
                taken=[
                    BlockPublic(starts_at=b.starts_at, ends_at=b.ends_at, kind=b.kind)
                    for b in m.blocks
                ],
            )
            for m in found.machines
        ],
    )


class FreeSlotPublic(BaseModel):
    starts_at: datetime
    ends_at: datetime


@router.get(
    "/machines/{tag}/free",
    response_model=list[FreeSlotPublic],
    responses=refusals(404, 422),
    summary="The free stretches of a machine on a day",
)
def machine_free(
    tag: str,
    session: SessionDep,
    state: StateDep,
    now: NowDep,
    day: Day = None,
    minutes: Annotated[int, Query(ge=5, le=24 * 60)] = 60,
) -> list[FreeSlotPublic]:
    """Stretches of at least `minutes` in which a booking fits."""
    machine = find_machine(session, tag)
    slots = free_slots(
        session,
        machine,
        day or today_at(session, now, equipment_id=machine),
        length=timedelta(minutes=minutes),
        now=now,
        settings=state.settings.scheduler,
    )
    return [FreeSlotPublic(starts_at=s.starts_at, ends_at=s.ends_at) for s in slots]


@router.get(
    "/machines/{tag}/calendar.ics",
    responses={**refusals(404), 200: {"content": {"text/calendar": {}}}},
    response_class=Response,
    summary="A machine's bookings as an iCal feed (RFC 5545)",
)
def machine_calendar(tag: str, session: SessionDep, now: NowDep) -> Response:
    feed = machine_feed(session, find_machine(session, tag), now)
    return Response(feed, media_type="text/calendar")


@router.get(
    "/calendars/{token}.ics",
    responses={**refusals(404), 200: {"content": {"text/calendar": {}}}},
    response_class=Response,
    summary="A maker's own bookings as an iCal feed (behind the maker's secret token)",
)
def maker_calendar(token: str, session: SessionDep, now: NowDep) -> Response:
    from scheduling.ical import maker_feed

    return Response(maker_feed(session, token, now), media_type="text/calendar")
