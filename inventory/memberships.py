"""Makers who belong to a group: a co-investor's members (who use its usage rights) and an
organisation's (who may book on its behalf). Each kind has its own table, keyed (group id,
maker id); the group's own module names the group by its code and calls these."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import InvestorMember, Maker, OrganisationMember

Link = TypeVar("Link", InvestorMember, OrganisationMember)


def _table(link: type[Link]) -> sa.Table:
    table: sa.Table = link.__table__  # type: ignore[attr-defined]
    return table


def _group_column(link: type[Link]) -> Any:
    """The table's group id column: the first of its primary key (the other is the maker)."""
    return next(c for c in _table(link).primary_key.columns if c.name != "maker_id")


def add_member(session: Session, link: type[Link], group_id: int, maker_id: int) -> Link:
    """Put a maker in the group; adding twice changes nothing."""
    if session.get(Maker, maker_id) is None:
        raise NotFound("No maker has the id {id}.", id=maker_id, error_code="maker_not_found")
    member = session.get(link, (group_id, maker_id))
    if member is None:
        member = link(**{_group_column(link).name: group_id, "maker_id": maker_id})
        session.add(member)
        session.flush()
    return member


def remove_member(session: Session, link: type[Link], group_id: int, maker_id: int) -> bool:
    """Take a maker out of the group; False when they were not in it."""
    member = session.get(link, (group_id, maker_id))
    if member is None:
        return False
    session.delete(member)
    session.flush()
    return True


def members(session: Session, link: type[Link], group_id: int) -> list[Maker]:
    """The group's makers, by member number."""
    table = _table(link)
    return list(
        session.exec(
            select(Maker)
            .join(table, table.c.maker_id == col(Maker.id))
            .where(_group_column(link) == group_id)
            .order_by(col(Maker.member_number))
        ).all()
    )
