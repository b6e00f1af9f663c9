"""The state of a fabdesk installation at a glance: database, scheduler, drivers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from fabdesk.db import check_connection
from fabdesk.models import Device, Equipment, JobRun, MachineStatus
from fabdesk.usage.heartbeats import MachineStatusView, machine_statuses


@dataclass(frozen=True)
class SchedulerRun:
    job: str
    last_run_at: datetime
    runner: str


@dataclass(frozen=True)
class MachineLine:
    view: MachineStatusView
    online: bool


@dataclass(frozen=True)
class Status:
    database: str
    """The database URL, password hidden."""
    schema_revisions: list[str]
    leader: str | None
    """The scheduler process that ran the latest job, if any ran in the last `leader_window`."""
    jobs: list[SchedulerRun]
    machines: list[MachineLine]
    never_heard: list[str]
    """Asset tags of machines with a registered device (not revoked) that never called."""

    @property
    def outbox_backlog(self) -> int:
        return sum(line.view.outbox_backlog or 0 for line in self.machines)


def installation_status(
    engine: Engine,
    *,
    now: datetime,
    offline_after: timedelta,
    leader_window: timedelta = timedelta(minutes=5),
) -> Status:
    """Read the status; raises DatabaseUnavailable (with what to fix) when the database is down."""
    check_connection(engine)
    with Session(engine) as session:
        revisions = [
            str(row[0])
            for row in session.connection().execute(
                sa.text("SELECT version_num FROM alembic_version ORDER BY version_num")
            )
        ]
        latest = sa.func.max(col(JobRun.started_at)).label("latest")
        runs = session.exec(select(JobRun.job, latest).group_by(col(JobRun.job))).all()
        jobs: list[SchedulerRun] = []
        for job, last in sorted(runs):
            runner = session.exec(
                select(JobRun.runner).where(JobRun.job == job, JobRun.started_at == last)
            ).first()
            jobs.append(SchedulerRun(job=job, last_run_at=last, runner=runner or ""))
        machines = [
            MachineLine(view=view, online=now - view.last_seen_at <= offline_after)
            for view in machine_statuses(session)
        ]
        heard = select(MachineStatus.equipment_id)
        never_heard = list(
            session.exec(
                select(Equipment.asset_tag)
                .join(Device, col(Device.equipment_id) == col(Equipment.id))
                .where(col(Device.revoked_at).is_(None), col(Equipment.id).not_in(heard))
                .distinct()
                .order_by(col(Equipment.asset_tag))
            ).all()
        )
    recent = [run for run in jobs if now - run.last_run_at <= leader_window]
    leader = max(recent, key=lambda run: run.last_run_at).runner if recent else None
    return Status(
        database=engine.url.render_as_string(hide_password=True),
        schema_revisions=revisions,
        leader=leader,
        jobs=jobs,
        machines=machines,
        never_heard=never_heard,
    )
