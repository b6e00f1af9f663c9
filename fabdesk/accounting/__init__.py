"""Accounting: pricing, the double-entry ledger, maker cheques, co-investor allocation, close.

The services other areas call are re-exported here:

- `post_usage_charge(session, usage_session_id, *, now, rules)` /
  `post_pending_charges(session, *, now, rules)` (the configured `PriceRules`, never defaults)
- `reverse_charge(session, usage_session_id, *, now, repost=None|rules)`
- `close_period(session, month, *, now, rules)` and `check_ledger(session)`
- `maker_balance(session, maker_id, today)` and `cheques_of(session, maker_id, today)` (kiosk)
- `expire_cheques(session, today)` (scheduler, daily)
- `record_payment(session, *, maker_id, cents, reference, now)` (the desk, bank imports)
- `materials.sell_material(session, *, site_id, code, quantity, maker_id, key, now, ...)` (the desk)
- `costs.set_equipment_cost(session, *, equipment_id, year, ...)` (the cost-price report)
- `statements.organisation_statement(session, code, month)` (paying organisations)
"""

from fabdesk.accounting.charges import (
    MakerBalance,
    maker_balance,
    post_pending_charges,
    post_usage_charge,
    record_payment,
    reverse_charge,
)
from fabdesk.accounting.cheques import (
    ChequeView,
    add_programme,
    cheques_of,
    expire_cheques,
    find_cheque,
    issue_cheque,
)
from fabdesk.accounting.close import close_period
from fabdesk.accounting.ledger import LedgerCheck, check_ledger
from fabdesk.accounting.pricing import PriceRules

__all__ = [
    "ChequeView",
    "LedgerCheck",
    "MakerBalance",
    "PriceRules",
    "add_programme",
    "check_ledger",
    "cheques_of",
    "close_period",
    "expire_cheques",
    "find_cheque",
    "issue_cheque",
    "maker_balance",
    "post_pending_charges",
    "post_usage_charge",
    "record_payment",
    "reverse_charge",
]
