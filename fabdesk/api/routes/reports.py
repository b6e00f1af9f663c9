"""Manager reports (a manager's token): booked, used and charged (a site's manager: their site's
only), and the ledger for the accountant (network admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from fabdesk.accounting.export import export_csv
from fabdesk.accounting.months import ledger_zone
from fabdesk.accounting.reconcile import reconcile, reconciliation_csv
from fabdesk.actors import check_site, scope_site
from fabdesk.api.deps import ActorDep, NowDep, SessionDep, StateDep
from fabdesk.api.routes.common import Month, refusals

router = APIRouter(prefix="/api/v1/reports", tags=["manager"])


@router.get(
    "/reconcile.csv",
    responses={**refusals(401, 403, 404, 422, 429), 200: {"content": {"text/csv": {}}}},
    response_class=Response,
    summary="Booked, used and charged, per booking, with the gaps",
)
def reconcile_report(
    actor: ActorDep,
    session: SessionDep,
    state: StateDep,
    now: NowDep,
    month: Month,
    site: str | None = None,
) -> Response:
    """A site's manager gets their site's (another site: 403 `outside_scope`)."""
    report = reconcile(
        session,
        month,
        now=now,
        zone=ledger_zone(state.settings.scheduler),
        site_code=scope_site(session, actor, site),
    )
    return Response(reconciliation_csv(report), media_type="text/csv")


@router.get(
    "/ledger.csv",
    responses={**refusals(401, 403, 422, 429), 200: {"content": {"text/csv": {}}}},
    response_class=Response,
    summary="The ledger of a month, one line per posting, for the accountant",
)
def ledger_report(actor: ActorDep, session: SessionDep, state: StateDep, month: Month) -> Response:
    """The whole network's books: network admins only."""
    check_site(session, actor, None)
    body = export_csv(session, month, vat_rate=state.settings.accounting.vat_rate)
    return Response(body, media_type="text/csv")
