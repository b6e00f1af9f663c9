"""Co-investors and funding shares: 100 % exactly, or none."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation
from fabdesk.models import EquipmentEventKind
from inventory.investors import (
    ShareSpec,
    add_investor,
    describe_shares,
    investor_holdings,
    parse_percent,
    set_shares,
    share_violations,
)
from inventory.lookups import get_item
from inventory.register import history
from tests.inventory.conftest import ACTOR, NOW, tag

LASER = tag("LAB1", 1)


def test_shares_adding_to_100_are_kept_and_each_investor_sees_them(world: Session) -> None:
    set_shares(
        world,
        LASER,
        [ShareSpec("REGION", 5000), ShareSpec("city", 3000), ShareSpec("LAB", 2000, 120)],
        actor=ACTOR,
        now=NOW,
        reason="grant 2024",
    )
    item = get_item(world, LASER)
    assert describe_shares(world, item) == "REGION 50 %, CITY 30 %, LAB 20 %"
    holdings = investor_holdings(world, "LAB")
    assert [
        (h.item.asset_tag, h.share.basis_points, h.share.usage_hours_per_year) for h in holdings
    ] == [(LASER, 2000, 120)]
    assert investor_holdings(world, "REGION")[0].site.code == "lab1"
    # Back to the lab's own funds: no shares at all.
    set_shares(world, LASER, [], actor=ACTOR, now=NOW, reason="grant cancelled")
    assert describe_shares(world, item) == ""
    assert investor_holdings(world, "REGION") == []
    events = [e for e in history(world, LASER) if e.kind == EquipmentEventKind.SHARES]
    assert [(e.old_value, e.new_value) for e in events] == [
        ("", "REGION 50 %, CITY 30 %, LAB 20 %"),
        ("REGION 50 %, CITY 30 %, LAB 20 %", ""),
    ]


@pytest.mark.parametrize(
    ("shares", "code"),
    [
        ([ShareSpec("REGION", 5000), ShareSpec("CITY", 4999)], "shares_total"),
        ([ShareSpec("REGION", 5000), ShareSpec("CITY", 5001)], "shares_total"),
        ([ShareSpec("REGION", 5000), ShareSpec("region", 5000)], "share_twice"),
        ([ShareSpec("REGION", 10000), ShareSpec("CITY", 0)], "share_range"),
        ([ShareSpec("REGION", 10000, -1)], "share_hours"),
    ],
)
def test_shares_not_adding_to_100_are_refused(
    world: Session, shares: list[ShareSpec], code: str
) -> None:
    set_shares(world, LASER, [ShareSpec("LAB", 10000)], actor=ACTOR, now=NOW)
    with pytest.raises(RuleViolation) as caught:
        set_shares(world, LASER, shares, actor=ACTOR, now=NOW)
    assert code in [v.code for v in caught.value.violations]
    assert describe_shares(world, get_item(world, LASER)) == "LAB 100 %"


def test_unknown_investor_is_refused(world: Session) -> None:
    with pytest.raises(NotFound):
        set_shares(world, LASER, [ShareSpec("NOBODY", 10000)], actor=ACTOR, now=NOW)


def test_investors_are_checked(world: Session) -> None:
    with pytest.raises(Conflict):
        add_investor(world, "region", "Again")
    with pytest.raises(InvalidValue) as caught:
        add_investor(world, "SCHOOL", "A school", enterprise_number="0241.372.821")
    assert caught.value.code == "enterprise_number_check"
    with pytest.raises(InvalidValue):
        add_investor(world, "two words", "X")
    school = add_investor(world, "school", "A school", enterprise_number="BE 0241372820")
    assert (school.code, school.enterprise_number) == ("SCHOOL", "0241372820")


@pytest.mark.parametrize(
    ("text", "points"),
    [("50", 5000), ("33.33", 3333), ("12.5%", 1250), ("0,5", 50), ("100", 10000)],
)
def test_percentages_read_as_basis_points(text: str, points: int) -> None:
    assert parse_percent(text) == points


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1000.5"])
def test_bad_percentages_are_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_percent(text)


@settings(max_examples=200)
@given(st.lists(st.integers(min_value=1, max_value=10000), min_size=1, max_size=6))
def test_shares_are_accepted_exactly_when_they_add_up_to_100(points: list[int]) -> None:
    shares = [ShareSpec(f"I{n}", p) for n, p in enumerate(points)]
    assert (share_violations(shares) == []) == (sum(points) == 10000)


@settings(max_examples=100)
@given(st.lists(st.integers(min_value=1, max_value=9999), min_size=1, max_size=5))
def test_any_split_of_100_percent_is_accepted(cuts: list[int]) -> None:
    edges = sorted({0, 10000, *cuts})
    shares = [ShareSpec(f"I{n}", b - a) for n, (a, b) in enumerate(itertools.pairwise(edges))]
    assert share_violations(shares) == []
