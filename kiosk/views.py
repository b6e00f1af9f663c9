"""Service results turned into the plain values the screens draw (no rule, no SQL here)."""

from __future__ import annotations

from fabdesk.db import Engine, session_scope
from inventory.register import site_equipment
from kiosk.i18n import N_
from kiosk.messages import MachineLine

STATUS_LABELS: dict[str, str] = {
    "in_service": N_("In service"),
    "out_of_order": N_("Out of order"),
    "maintenance": N_("Maintenance"),
    "lent_out": N_("Lent out"),
    "retired": N_("Retired"),
}
"""The msgid shown for each equipment status."""


def read_machines(engine: Engine, site: str) -> tuple[str, list[MachineLine]]:
    """The site's name and its machines (bookable or not), in asset-tag order."""
    with session_scope(engine) as session:
        listing = site_equipment(session, site)
        lines = [
            MachineLine(
                asset_tag=item.asset_tag,
                name=item.name,
                category={"fr": category.name_fr, "nl": category.name_nl, "en": category.name_en},
                status=item.status.value,
                bookable=item.bookable,
            )
            for item, category in listing.items
        ]
        return listing.site.name, lines
