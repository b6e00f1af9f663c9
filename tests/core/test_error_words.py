"""A refusal's parameters as a person reads them: local ISO days and instants in the local form,
and what a person typed left as they typed it, even when it looks like a date (a refusal must
never fail while being worded: the API would answer 500)."""

from __future__ import annotations

from fabdesk.errors import NotFound, readable


def test_days_and_instants_read_in_the_local_form() -> None:
    shown = readable({"day": "2026-12-25", "at": "2026-12-25T10:00+01:00", "n": 3})
    assert shown == {"day": "25/12/2026", "at": "25/12 10:00", "n": 3}


def test_what_a_person_typed_stays_as_typed() -> None:
    for typed in ("2026-13-45", "2026-12-45T25:99", "0000-00-00"):
        refused = NotFound("No machine with asset tag {tag}.", tag=typed)
        assert str(refused) == f"No machine with asset tag {typed}."
