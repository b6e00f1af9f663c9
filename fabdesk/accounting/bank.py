"""Payments read from the bank's statements: CODA (the Belgian banks' coded statement) and
ISO 20022 camt.053 XML.

Each credit is matched to an invoice by its **structured communication** (OGM-VCS, checked mod
97), else by **amount and name** (the one open invoice of that amount whose customer's name the
payer's name contains, or the reverse); a matched credit posts the customer's payment once
(`record_payment`, reference `bank:<bank reference>`). What cannot be matched is kept, listed
for the managers (`unmatched`). Every bank transaction is recorded once by the bank's reference:
importing a statement again records nothing new.

CODA (Febelfin, version 2): fixed records of 128 characters; a movement is a record `21`
(reference in positions 11-31, sign at 32, amount 33-47 with three decimals, communication
type at 62 and communication 63-115, `101` then twelve digits when structured, entry date
116-121 as DDMMYY), completed by records `22` and `23` (counterparty account 11-47 and name
48-82).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select
from stdnum.be import ogm_vcs

from fabdesk.accounting.charges import record_payment
from fabdesk.errors import ImportRejected
from fabdesk.models import BankTransaction, Invoice, Maker, Organisation

__all__ = [
    "BankLine",
    "ImportResult",
    "import_statement",
    "parse_camt053",
    "parse_coda",
    "unmatched",
]

log = logging.getLogger(__name__)

_OGM = re.compile(r"(\d{3})\D?(\d{4})\D?(\d{5})")


@dataclass(frozen=True)
class BankLine:
    reference: str
    booked_on: date
    amount_cents: int
    counterparty_name: str
    counterparty_account: str
    communication: str


@dataclass(frozen=True)
class ImportResult:
    new: int
    already_imported: int
    matched: int
    unmatched: list[BankTransaction]


def _structured(text: str) -> str | None:
    """The twelve digits of a valid structured communication found in `text`, if any."""
    for found in _OGM.finditer(text):
        digits = "".join(found.groups())
        if ogm_vcs.is_valid(digits):
            return digits
    return None


def _coda_date(text: str) -> date:
    return date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))


def parse_coda(text: str, *, source: str = "CODA") -> list[BankLine]:
    """The movements of a CODA file (see the module docstring for the positions read)."""
    lines: list[BankLine] = []
    account = ""
    current: dict[str, str] = {}

    def flush() -> None:
        if current:
            amount = int(current["amount"]) // 10  # three decimals: mills to cents
            structured = current["type"] == "1" and current["communication"].startswith("101")
            communication = (
                current["communication"][3:15] if structured else current["communication"].strip()
            )
            lines.append(
                BankLine(
                    reference=f"coda:{account}:{current['reference'].strip()}:{current['seq']}",
                    booked_on=_coda_date(current["entry"]),
                    amount_cents=-amount if current["sign"] == "1" else amount,
                    counterparty_name=current.get("name", "").strip(),
                    counterparty_account=current.get("account", "").strip(),
                    communication=communication,
                )
            )
            current.clear()

    for number, record in enumerate(text.splitlines(), start=1):
        if not record.strip():
            continue
        if len(record) != 128:
            raise ImportRejected(
                "{source}, line {line}: a CODA record has 128 characters, not {length}.",
                source=source,
                line=number,
                length=len(record),
            )
        if record[0] == "1":
            account = record[5:42].strip().split(" ")[0]
        elif record[:2] == "21" and record[6:10] == "0000":  # a movement (not a detail of one)
            flush()
            current.update(
                seq=record[2:6],
                reference=record[10:31],
                sign=record[31],
                amount=record[32:47],
                type=record[61],
                communication=record[62:115],
                entry=record[115:121],
            )
        elif record[:2] == "23" and current and record[2:6] == current["seq"]:
            current.update(account=record[10:47], name=record[47:82])
    flush()
    return lines


def parse_camt053(text: str, *, source: str = "camt.053") -> list[BankLine]:
    """The booked entries of an ISO 20022 camt.053 statement (any version of the namespace)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise ImportRejected(
            "{source}, line {line}: not XML ({error}).",
            source=source,
            line=error.position[0],
            error=str(error),
        ) from None

    def local(element: ET.Element) -> str:
        return element.tag.rsplit("}", 1)[-1]

    def find(element: ET.Element, path: str) -> str:
        node: ET.Element | None = element
        for part in path.split("/"):
            node = (
                next((child for child in node if local(child) == part), None)
                if node is not None
                else None
            )
        return (node.text or "").strip() if node is not None else ""

    lines: list[BankLine] = []
    for statement in root.iter():
        if local(statement) != "Stmt":
            continue
        account = find(statement, "Acct/Id/IBAN")
        for entry in (child for child in statement if local(child) == "Ntry"):
            status = find(entry, "Sts") or find(entry, "Sts/Cd")
            if status and status != "BOOK":
                continue  # pending or information only
            details = next((node for node in entry.iter() if local(node) == "TxDtls"), entry)
            reference = (
                find(entry, "AcctSvcrRef") or find(details, "Refs/AcctSvcrRef")
                or find(entry, "NtryRef")
            )  # fmt: skip
            amount = int(Decimal(find(entry, "Amt")) * 100)
            credit = find(entry, "CdtDbtInd") == "CRDT"
            structured = find(details, "RmtInf/Strd/CdtrRefInf/Ref")
            lines.append(
                BankLine(
                    reference=f"camt:{account}:{reference}",
                    booked_on=date.fromisoformat(find(entry, "BookgDt/Dt")[:10]),
                    amount_cents=amount if credit else -amount,
                    counterparty_name=find(details, "RltdPties/Dbtr/Nm")
                    or find(details, "RltdPties/Dbtr/Pty/Nm"),
                    counterparty_account=find(details, "RltdPties/DbtrAcct/Id/IBAN"),
                    communication=structured or find(details, "RmtInf/Ustrd"),
                )
            )
    return lines


def _customer_name(session: Session, invoice: Invoice) -> str:
    if invoice.organisation_id is not None:
        organisation = session.get(Organisation, invoice.organisation_id)
        return organisation.name if organisation else ""
    maker = session.get(Maker, invoice.maker_id)
    return maker.name if maker else ""


def _match(session: Session, line: BankLine) -> tuple[Invoice | None, str]:
    digits = _structured(line.communication)
    if digits is not None:
        found = session.exec(select(Invoice).where(Invoice.communication == digits)).first()
        if found is not None and not found.credit_note:
            return found, "communication"
    paid = select(BankTransaction.invoice_id).where(col(BankTransaction.invoice_id).is_not(None))
    candidates = session.exec(
        select(Invoice).where(
            Invoice.to_pay_cents == line.amount_cents,
            col(Invoice.credit_note).is_(False),
            col(Invoice.id).not_in(paid),
        )
    ).all()
    payer = line.counterparty_name.casefold()
    named = [
        invoice
        for invoice in candidates
        if payer
        and (name := _customer_name(session, invoice).casefold())
        and (name in payer or payer in name)
    ]
    return (named[0], "amount+name") if len(named) == 1 else (None, "")


def import_statement(
    session: Session, text: str, *, now: datetime, zone: ZoneInfo, source: str
) -> ImportResult:
    """Import a CODA or camt.053 statement (told apart by its first character): record each
    transaction once, match credits to invoices and post their payments (see the module
    docstring). Bad input raises ImportRejected and records nothing."""
    parse = parse_camt053 if text.lstrip().startswith("<") else parse_coda
    lines = parse(text, source=source)
    known = set(
        session.exec(
            select(BankTransaction.reference).where(
                col(BankTransaction.reference).in_([line.reference for line in lines])
            )
        ).all()
    )
    new = matched = 0
    left: list[BankTransaction] = []
    for line in lines:
        if line.reference in known:
            continue
        known.add(line.reference)
        invoice, how = _match(session, line) if line.amount_cents > 0 else (None, "")
        row = BankTransaction(
            reference=line.reference[:80],
            booked_on=line.booked_on,
            amount_cents=line.amount_cents,
            counterparty_name=line.counterparty_name[:140],
            counterparty_account=line.counterparty_account[:40],
            communication=(_structured(line.communication) or line.communication)[:140],
            invoice_id=invoice.id if invoice else None,
            matched_by=how,
        )
        session.add(row)
        session.flush()
        new += 1
        if invoice is not None:
            record_payment(
                session,
                maker_id=invoice.maker_id if invoice.organisation_id is None else None,
                organisation_id=invoice.organisation_id,
                cents=line.amount_cents,
                reference=f"bank:{line.reference}"[:90],
                now=now,
                zone=zone,
            )
            matched += 1
        elif line.amount_cents > 0:
            left.append(row)
    log.info("bank_statement_imported", extra={"new": new, "matched": matched})
    return ImportResult(new, len(lines) - new, matched, left)


def unmatched(session: Session) -> list[BankTransaction]:
    """Credits received that no invoice was matched to, oldest first (for the managers)."""
    return list(
        session.exec(
            select(BankTransaction)
            .where(col(BankTransaction.invoice_id).is_(None), BankTransaction.amount_cents > 0)
            .order_by(col(BankTransaction.booked_on), col(BankTransaction.id))
        ).all()
    )
