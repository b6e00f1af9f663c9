"""Registering a driver device: its machine's tag is read as the register reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from fabdesk.db import Engine, session_scope
from fabdesk.errors import FabdeskError, InvalidValue, NotFound
from fabdesk.identifiers import make_asset_tag
from fabdesk.models import Device
from fabdesk.usage.devices import register_device

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def test_a_tag_in_lower_case_names_the_machine_by_its_printed_tag(
    api_engine: Engine, machines: list[str]
) -> None:
    with session_scope(api_engine) as session:
        registered = register_device(session, equipment_tag=machines[0].lower(), name="", now=NOW)
    assert (registered.equipment_tag, registered.device.name) == (machines[0], machines[0])


@pytest.mark.parametrize(
    ("typed", "error", "code"),
    [
        (make_asset_tag("CF1", 99_999), NotFound, "item_not_found"),
        ("CF1-00001-Q", InvalidValue, "asset_tag_check"),
        ("laser", InvalidValue, "asset_tag_format"),
    ],
)
def test_an_unknown_or_mistyped_tag_is_refused_and_nothing_is_written(
    api_engine: Engine, typed: str, error: type[FabdeskError], code: str
) -> None:
    with Session(api_engine) as session, pytest.raises(error) as caught:
        register_device(session, equipment_tag=typed, name="pi", now=NOW)
    assert caught.value.code == code
    with Session(api_engine) as session:
        assert session.exec(select(func.count()).select_from(Device)).one() == 0
