"""Paying organisations: partner schools and companies that pay for what their makers book on
their behalf (billed to the organisation's ledger account, its enterprise number on its
statement), and the makers linked to each."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from fabdesk.accounting.ledger import account_id
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.identifiers import parse_enterprise_number
from fabdesk.models import AccountKind, Maker, Organisation, OrganisationMember, id_of
from inventory import memberships

__all__ = [
    "add_organisation",
    "get_organisation",
    "link_maker",
    "list_organisations",
    "organisation_makers",
    "organisations_of",
    "unlink_maker",
]

_CODE = re.compile(r"^[A-Z0-9_\-]{1,32}$")


def add_organisation(
    session: Session,
    *,
    code: str,
    name: str,
    enterprise_number: str,
    email: str = "",
    address: str = "",
) -> Organisation:
    """Register a paying organisation; its enterprise number must pass its check digits; its
    address is printed on its invoices."""
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidValue(
            "Organisation code {code!r} must be 1 to 32 letters, digits, - or _.",
            code=code,
            error_code="organisation_code",
        )
    if not name.strip():
        raise InvalidValue("The organisation needs a name.", error_code="organisation_name")
    number = parse_enterprise_number(enterprise_number)
    if session.exec(
        select(Organisation.id).where(
            (Organisation.code == code) | (Organisation.enterprise_number == number)
        )
    ).first():
        raise Conflict(
            "An organisation with code {code} or enterprise number {number} already exists.",
            code=code,
            number=number,
            error_code="organisation_taken",
        )
    organisation = Organisation(
        code=code,
        name=name.strip(),
        enterprise_number=number,
        email=email.strip(),
        address=address.strip(),
    )
    session.add(organisation)
    session.flush()
    # Its ledger account, named, so the accountant's export says whom it is.
    account_id(session, AccountKind.ORGANISATION, id_of(organisation), organisation.code)
    return organisation


def get_organisation(session: Session, code: str) -> Organisation:
    found = session.exec(
        select(Organisation).where(Organisation.code == code.strip().upper())
    ).first()
    if found is None:
        raise NotFound(
            "There is no organisation {code!r}.", code=code, error_code="organisation_not_found"
        )
    return found


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.exec(select(Organisation).order_by(col(Organisation.code))).all())


def link_maker(session: Session, organisation_code: str, maker_id: int) -> OrganisationMember:
    """Let a maker book on behalf of an organisation (linking twice changes nothing)."""
    organisation = get_organisation(session, organisation_code)
    return memberships.add_member(session, OrganisationMember, id_of(organisation), maker_id)


def unlink_maker(session: Session, organisation_code: str, maker_id: int) -> bool:
    """The maker may no longer book on the organisation's behalf (bookings made stay billed to
    it); False when they were not linked."""
    organisation = get_organisation(session, organisation_code)
    return memberships.remove_member(session, OrganisationMember, id_of(organisation), maker_id)


def organisation_makers(session: Session, organisation_code: str) -> list[Maker]:
    organisation = get_organisation(session, organisation_code)
    return memberships.members(session, OrganisationMember, id_of(organisation))


def organisations_of(session: Session, maker_id: int) -> list[Organisation]:
    """The organisations a maker may book for (for the kiosk's choice), by name."""
    return list(
        session.exec(
            select(Organisation)
            .join(
                OrganisationMember,
                col(OrganisationMember.organisation_id) == col(Organisation.id),
            )
            .where(OrganisationMember.maker_id == maker_id)
            .order_by(col(Organisation.name))
        ).all()
    )
