"""The accountant's ledger export: one line per posting, euros, VAT, sources; it balances."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabdesk.accounting.charges import reverse_charge
from fabdesk.accounting.export import COLUMNS, export_csv, export_lines
from fabdesk.db import session_scope
from fabdesk.errors import InvalidValue
from fabdesk.models import Maker, UsageSession
from tests.accounting.factories import ZONE
from tests.peers.conftest import charge_of, cli, run_job
from tests.scheduling.conftest import TOMORROW, World, local

RATE = Decimal("0.21")


def _ledger(world: World) -> tuple[UsageSession, UsageSession]:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    kept = run_job(world, "A-00001-O", local(TOMORROW, 10), minutes=37)
    reversed_usage = run_job(world, "A-00001-O", local(TOMORROW, 11), minutes=20)
    with session_scope(world.engine) as session:
        reverse_charge(session, reversed_usage.id or 0, now=local(TOMORROW, 13), zone=ZONE)
    return kept, reversed_usage


def test_every_transaction_balances_in_euros_with_its_vat_and_source(world: World) -> None:
    kept_usage, reversed_usage = _ledger(world)
    kept, reversed_uuid = str(kept_usage.uuid), str(reversed_usage.uuid)
    with session_scope(world.engine) as session:
        lines = export_lines(session, "2026-11")
        text = export_csv(session, "2026-11", vat_rate=RATE)
    assert len({line.transaction_id for line in lines}) == 3
    debits: dict[int, Decimal] = defaultdict(Decimal)
    credits: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        assert line.debit.as_tuple().exponent == -2
        assert line.credit.as_tuple().exponent == -2
        assert (line.debit == 0) != (line.credit == 0)
        debits[line.transaction_id] += line.debit
        credits[line.transaction_id] += line.credit
    assert debits == credits
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    by_source = {row["reference"]: row for row in rows}
    charge = by_source[f"usage:{kept}"]
    assert charge["transaction_kind"] == "charge"
    assert charge["date"] == "2026-11-24"
    # 37 minutes at 30 euros an hour = 18.50 VAT included; its VAT at 21 % is 3.21
    vat_cents = charge_of(world, kept_usage).vat_cents
    assert Decimal(charge["vat"]) == Decimal(vat_cents) / 100 == Decimal("3.21")
    assert charge["vat_rate"] == "0.21"
    maker_line = next(
        row
        for row in rows
        if row["reference"] == f"usage:{kept}" and row["account_code"].startswith("maker:")
    )
    assert maker_line["debit"] == "18.50"
    assert maker_line["credit"] == "0.00"
    reversal = next(row for row in rows if row["transaction_kind"] == "reversal")
    assert reversal["reference"].startswith("reverses:")
    assert reversed_uuid in reversal["reference"]
    assert Decimal(reversal["vat"]) < 0


def test_other_months_and_bad_months(world: World) -> None:
    _ledger(world)
    with session_scope(world.engine) as session:
        assert export_lines(session, "2026-12") == []
        assert export_csv(session, "2026-10", vat_rate=RATE) == ",".join(COLUMNS) + "\n"
        with pytest.raises(InvalidValue) as bad:
            export_lines(session, "11/2026")
        assert bad.value.code == "month"


def test_cli_exports_to_a_file(world: World, database_url: str, tmp_path: Path) -> None:
    _ledger(world)
    target = tmp_path / "ledger-2026-11.csv"
    result = cli(database_url, "ledger", "export", "--month", "2026-11", "--out", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert sum(Decimal(row["debit"]) for row in rows) == sum(Decimal(row["credit"]) for row in rows)
    assert {row["transaction_kind"] for row in rows} == {"charge", "reversal"}


_slots: dict[str, int] = {}
"""Jobs run so far per database: the examples of one test share its world, a slot per job."""


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one world, growing per example
)
@given(
    jobs=st.lists(
        st.tuples(st.integers(min_value=1, max_value=59), st.booleans()), min_size=1, max_size=3
    )
)
def test_any_mix_of_charges_and_reversals_exports_balanced(
    world: World, jobs: list[tuple[int, bool]]
) -> None:
    """Whatever the amounts, each transaction's euro debits equal its euro credits."""
    database = str(world.engine.url)
    with session_scope(world.engine) as session:
        alice = session.get(Maker, world.alice)
        assert alice is not None
        badge = alice.member_number  # a card's printed number reads as its badge
    for minutes, reverse in jobs:
        _slots[database] = slot = _slots.get(database, 0) + 1
        usage = run_job(
            world,
            "A-00002-M",
            local(TOMORROW, 0) + timedelta(hours=slot),
            minutes=minutes,
            badge=badge,
        )
        if reverse:
            with session_scope(world.engine) as session:
                reverse_charge(session, usage.id or 0, now=local(TOMORROW, 23, 59), zone=ZONE)
    with session_scope(world.engine) as session:
        lines = export_lines(session, "2026-11")
    debits: dict[int, Decimal] = defaultdict(Decimal)
    credits: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        debits[line.transaction_id] += line.debit
        credits[line.transaction_id] += line.credit
    assert debits == credits
    assert sum(debits.values()) > 0
