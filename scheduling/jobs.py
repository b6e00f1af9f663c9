"""The background jobs (APScheduler 3.x, jobs kept in the `scheduler_jobs` table) and the
service that runs them on the elected leader only.

Every job is a function `(session, context, now) -> int` registered with `@job(...)`; the job
store keeps only `run_job(job_id)`, so adding a job is a decorated function here. Each run claims
(job, slot) in `scheduler_runs` inside the job's own transaction: a slot never runs twice, even
across scheduler processes, and a run that fails leaves the slot free for the next try. After
downtime, missed runs are coalesced into one (`coalesce=True`, `misfire_grace_time`).

`fabdesk serve` calls `start_scheduler(settings, engine)` and `shutdown()` on exit;
`fabdesk scheduler` runs it alone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from fabdesk.db import write_session
from fabdesk.errors import Localized
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingState,
    Certification,
    Equipment,
    EquipmentCategory,
    JobRun,
    MaintenanceWindow,
    Site,
)
from fabdesk.settings import Settings
from scheduling import attendance, letters, notifier, releases, waitlist
from scheduling.leader import LeaderLock

__all__ = [
    "JOBS",
    "JobContext",
    "JobSpec",
    "SchedulerService",
    "job",
    "run_job",
    "start_scheduler",
]

log = logging.getLogger(__name__)

Work = Callable[[Session, "JobContext", datetime], int]


@dataclass(frozen=True)
class JobContext:
    """What jobs run with: set by the leader's SchedulerService for its process."""

    settings: Settings
    engine: Engine
    notifier: notifier.Notifier
    clock: Callable[[], datetime]
    runner: str
    jobs: dict[str, JobSpec]


@dataclass(frozen=True)
class JobSpec:
    id: str
    work: Work
    every: timedelta | None = None
    """Run every so often (the slot is the start of the period)."""
    cron: dict[str, Any] | None = None
    """Or run on a calendar (CronTrigger fields, in the scheduler's timezone; one slot a day)."""

    def trigger(self, timezone: str) -> IntervalTrigger | CronTrigger:
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), timezone=timezone)
        return CronTrigger(timezone=timezone, **(self.cron or {}))

    def slot(self, now: datetime, timezone: str) -> datetime:
        if self.every is not None:
            step = self.every.total_seconds()
            return datetime.fromtimestamp(now.timestamp() // step * step, UTC)
        local_day = now.astimezone(ZoneInfo(timezone)).date()
        return datetime.combine(local_day, datetime.min.time(), UTC)


JOBS: dict[str, JobSpec] = {}
"""Every job the leader schedules, by id."""


def job(
    job_id: str, *, every: timedelta | None = None, cron: dict[str, Any] | None = None
) -> Callable[[Work], Work]:
    """Register a job: `@job("month_close", cron={"day": 1, "hour": 2})`."""

    def register(work: Work) -> Work:
        JOBS[job_id] = JobSpec(job_id, work, every=every, cron=cron)
        return work

    return register


_context: JobContext | None = None
_context_lock = threading.Lock()


def run_job(job_id: str) -> None:
    """What the job store calls: claim the slot, then do the work, in one transaction."""
    context = _context
    spec = context.jobs.get(job_id) if context is not None else None
    if context is None or spec is None:
        log.warning("job_skipped", extra={"job": job_id})
        return
    now = context.clock()
    slot = spec.slot(now, context.settings.scheduler.timezone)
    try:
        with write_session(context.engine) as session:
            if not _claim(session, job_id, slot, now, context.runner):
                log.info("job_already_ran", extra={"job": job_id, "slot": slot.isoformat()})
                return
            done = spec.work(session, context, now)
    except Exception:  # a job boundary: logged with its traceback, retried at the next run
        log.exception("job_failed", extra={"job": job_id})
        return
    if done:
        log.info("job_done", extra={"job": job_id, "count": done})


def _claim(session: Session, job_id: str, slot: datetime, now: datetime, runner: str) -> bool:
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(JobRun)
        .values(job=job_id, slot=slot, started_at=now, runner=runner[:80])
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(JobRun.__table__.c.job)  # type: ignore[attr-defined]
    )
    # RETURNING, not rowcount: SQLAlchemy reports -1 for this statement on psycopg, which
    # would let a second scheduler run a slot already claimed.
    return result.first() is not None


# -- the jobs ------------------------------------------------------------------------------


@job("release_no_shows", every=timedelta(minutes=1))
def release_no_shows(session: Session, context: JobContext, now: datetime) -> int:
    """Complete finished bookings and release no-shows, so the machines are free again."""
    finished = attendance.complete_finished(session, now)
    released = releases.release_no_shows(session, now, context.settings.scheduler)
    return len(finished) + len(released)


@job("expire_waitlist_offers", every=timedelta(minutes=1))
def expire_waitlist_offers(session: Session, context: JobContext, now: datetime) -> int:
    return len(waitlist.expire_offers(session, now, context.settings.scheduler))


@job("send_reminders", every=timedelta(minutes=5))
def send_reminders(session: Session, context: JobContext, now: datetime) -> int:
    """Write a reminder for each booking starting within `reminder_minutes` (once each)."""
    horizon = now + timedelta(minutes=context.settings.scheduler.reminder_minutes)
    rows = session.exec(
        select(Booking, Equipment.name, Site.timezone)
        .join(Equipment, col(Equipment.id) == Booking.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(
            Booking.state == BookingState.BOOKED,
            col(Booking.starts_at) > now,
            col(Booking.starts_at) <= horizon,
        )
    ).all()
    written = 0
    for booking, name, timezone in rows:
        written += notifier.enqueue_booking_message(
            session, booking, machine_name=name, timezone=timezone, kind="booking_reminder", now=now
        )
    return written


@job("deliver_notifications", every=timedelta(minutes=1))
def deliver_notifications(session: Session, context: JobContext, now: datetime) -> int:
    return notifier.deliver_pending(session, context.notifier, now)


@job("certification_warnings", cron={"hour": 7, "minute": 0})
def certification_warnings(session: Session, context: JobContext, now: datetime) -> int:
    """Warn makers whose certification expires within `certification_warning_days`."""
    today = now.astimezone(ZoneInfo(context.settings.scheduler.timezone)).date()
    until = today + timedelta(days=context.settings.scheduler.certification_warning_days)
    rows = session.exec(
        select(Certification, EquipmentCategory)
        .join(EquipmentCategory, col(EquipmentCategory.id) == Certification.category_id)
        .where(col(Certification.expires_on) >= today, col(Certification.expires_on) <= until)
    ).all()
    written = 0
    for certification, category in rows:
        expires: date = certification.expires_on or today
        written += notifier.enqueue_letter(
            session,
            key=f"certification_expiry:{certification.id}:{expires.isoformat()}",
            kind="certification_expiry",
            maker_id=certification.maker_id,
            params={
                "category": Localized(
                    en=category.name_en, fr=category.name_fr, nl=category.name_nl
                ),
                "day": expires,
            },
            timezone=context.settings.scheduler.timezone,
            now=now,
        )
    return written


@job("training_lapse_warnings", cron={"hour": 7, "minute": 10})
def training_lapse_warnings(session: Session, context: JobContext, now: datetime) -> int:
    """Warn makers whose unused certification lapses within `lapse_warning_days` (once a lapse)."""
    from scheduling.lapses import lapsing

    scheduler = context.settings.scheduler
    today = now.astimezone(ZoneInfo(scheduler.timezone)).date()
    written = 0
    for row in lapsing(
        session, today=today, within_days=scheduler.lapse_warning_days, timezone=scheduler.timezone
    ):
        written += notifier.enqueue_letter(
            session,
            key=f"training_lapse:{row.maker_id}:{row.category_code}:{row.lapses_on.isoformat()}",
            kind="training_lapse",
            maker_id=row.maker_id,
            params={"category": row.category, "day": row.lapses_on, "since": row.last_active},
            timezone=scheduler.timezone,
            now=now,
        )
    return written


@job("maintenance_alerts", cron={"hour": 7, "minute": 5})
def maintenance_alerts(session: Session, context: JobContext, now: datetime) -> int:
    """Tell makers whose bookings fall in a maintenance window starting within two days."""
    rows = session.exec(
        select(MaintenanceWindow, Booking, Equipment.name, Site.timezone)
        .join(Booking, col(Booking.equipment_id) == MaintenanceWindow.equipment_id)
        .join(Equipment, col(Equipment.id) == MaintenanceWindow.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(
            col(MaintenanceWindow.starts_at) > now,
            col(MaintenanceWindow.starts_at) <= now + timedelta(days=2),
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.starts_at) < MaintenanceWindow.ends_at,
            col(Booking.ends_at) > MaintenanceWindow.starts_at,
        )
    ).all()
    written = 0
    for window, booking, name, timezone in rows:
        written += notifier.enqueue_booking_message(
            session,
            booking,
            machine_name=name,
            timezone=timezone,
            kind="maintenance_conflict",
            now=now,
            reason=window.reason,
        )
    return written


@job("overdue_loans", cron={"hour": 8, "minute": 10})
def overdue_loans(session: Session, context: JobContext, now: datetime) -> int:
    """Tell the managers, once a day, of the items whose loan is overdue."""
    from inventory.loans import overdue_notices

    desk = context.settings.desk
    timezone = context.settings.scheduler.timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    written = 0
    for notice in overdue_notices(
        session, today, desk_email=desk.managers_email, desk_language=desk.language
    ):
        written += notifier.write_letter(
            session,
            key=f"overdue_loans:{today.isoformat()}:{notice.maker_id or 'desk'}",
            kind="overdue_loans",
            language=notice.language,
            recipient=notice.recipient,
            params=notice.params,
            timezone=timezone,
            now=now,
            maker_id=notice.maker_id,
        )
    return written


@job("machines_offline", every=timedelta(minutes=5))
def machines_offline(session: Session, context: JobContext, now: datetime) -> int:
    """Tell the managers, once per outage, of each machine whose driver has gone silent."""
    from fabdesk.usage.heartbeats import silent_machines

    after = timedelta(minutes=context.settings.scheduler.offline_minutes)
    written = 0
    desk = context.settings.desk
    for view in silent_machines(session, now=now, after=after):
        written += notifier.write_letter(
            session,
            key=f"offline:{view.equipment_tag}:{view.last_seen_at.isoformat()}",
            kind="machine_offline",
            language=desk.language,
            recipient=desk.managers_email,
            params={
                "machine": view.equipment_tag,
                "last_seen": view.last_seen_at,
                "state": letters.Word(letters.MACHINE_STATES[view.state.value]),
            },
            timezone=context.settings.scheduler.timezone,
            now=now,
        )
    return written


@job("post_pending_charges", every=timedelta(minutes=5))
def post_pending_charges(session: Session, context: JobContext, now: datetime) -> int:
    """Charge finished sessions the ingest could not (a safety net; normally none)."""
    from fabdesk.accounting.charges import post_pending_charges as post
    from fabdesk.accounting.pricing import PriceRules

    return post(
        session,
        now=now,
        rules=PriceRules.from_settings(
            context.settings.accounting, context.settings.scheduler.timezone
        ),
    )


@job("expire_cheques", cron={"hour": 0, "minute": 30})
def expire_cheques(session: Session, context: JobContext, now: datetime) -> int:
    """Return what is left on expired maker cheques to their programme."""
    from fabdesk.accounting.cheques import expire_cheques as expire

    zone = ZoneInfo(context.settings.scheduler.timezone)
    return expire(session, now.astimezone(zone).date(), zone=zone)


@job("month_close", cron={"day": 1, "hour": 2, "minute": 0})
def month_close(session: Session, context: JobContext, now: datetime) -> int:
    """Close every ended month still open, oldest first (a closed month never changes). A month
    whose usage sessions wait for a manager (docs/attribution.md) stops the job there: it is
    logged, and closed by a later run once they are assigned."""
    from fabdesk.accounting.close import close_period
    from fabdesk.accounting.ledger import last_closed_month
    from fabdesk.accounting.months import month_of, next_month
    from fabdesk.accounting.pricing import PriceRules
    from fabdesk.errors import RuleViolation
    from fabdesk.models import LedgerPosting

    current = month_of(now.astimezone(ZoneInfo(context.settings.scheduler.timezone)).date())
    last = last_closed_month(session)
    first = last and next_month(last)
    if first is None:
        first = session.exec(select(sa.func.min(LedgerPosting.month))).one()
    rules = PriceRules.from_settings(
        context.settings.accounting, context.settings.scheduler.timezone
    )
    closed = 0
    month = first
    while month is not None and month < current:
        try:
            with session.begin_nested():
                close_period(session, month, now=now, rules=rules)
        except RuleViolation as refused:
            if refused.code != "period_has_unattributed_sessions":
                raise
            log.warning("month_close_waits_for_managers", extra={"month": month})
            break
        closed += 1
        month = next_month(month)
    return closed


@job("apply_retention", cron={"hour": 3, "minute": 0})
def apply_retention(session: Session, context: JobContext, now: datetime) -> int:
    """Delete old sent messages and old backups; erase long-inactive makers when the settings
    ask for it."""
    from fabdesk.ops.backup import prune_backups
    from fabdesk.ops.privacy import apply_retention as apply

    privacy = context.settings.privacy
    report = apply(
        session,
        now=now,
        notifications_days=privacy.notifications_days,
        inactive_maker_days=privacy.inactive_maker_days,
    )
    pruned = prune_backups(
        privacy.backups(),
        now=now.astimezone().replace(tzinfo=None),
        daily_days=privacy.backup_daily_days,
        keep_days=privacy.backup_days,
    )
    return report.notifications_deleted + len(report.makers_erased) + len(pruned)


@job("cancel_underfilled_trainings", every=timedelta(hours=1))
def cancel_underfilled_trainings(session: Session, context: JobContext, now: datetime) -> int:
    """Cancel trainings still below their minimum close to their start, and tell the makers."""
    from inventory.trainings import cancel_underfilled_sessions

    notice = context.settings.desk.training_notice_hours
    return len(cancel_underfilled_sessions(session, now, notice))


# -- the service ---------------------------------------------------------------------------


class _JobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # untyped base class
    """APScheduler's SQLAlchemy job store on fabdesk's engine, which it must not dispose of:
    the engine is shared with the rest of the process (the API)."""

    def shutdown(self) -> None:
        return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SchedulerService:
    """Elects a leader (leader.py); on the leader, runs an APScheduler BackgroundScheduler
    whose jobs live in the database; stops it when the lock is lost or at shutdown."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        notifier_: notifier.Notifier | None = None,
        clock: Callable[[], datetime] = _utc_now,
        jobs: dict[str, JobSpec] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.jobs = JOBS if jobs is None else jobs
        self.context = JobContext(
            settings=settings,
            engine=engine,
            notifier=notifier_ or notifier.make_notifier(settings.scheduler.smtp),
            clock=clock,
            runner=f"{socket.gethostname()}:{os.getpid()}",
            jobs=self.jobs,
        )
        self.lock = LeaderLock(engine, settings.scheduler.leader_lock_key)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wait_for_jobs = True
        self.became_leader = threading.Event()

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._elect, name="fabdesk-leader", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Elect and run in this thread until `shutdown` is called from another (or Ctrl-C)."""
        try:
            self._elect()
        finally:
            self._stop_jobs()
            self.lock.release()

    def shutdown(self, wait: bool = True, timeout: float = 30.0) -> None:
        """Stop leading. `wait`: for the jobs under way to end; without it they are left to end
        by themselves (`fabdesk serve` and `fabdesk scheduler` bound that: cli/_stopping.py).
        The leader's thread gets `timeout` seconds to give the lock back."""
        self._wait_for_jobs = wait
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            if self._thread.is_alive():  # stuck in the database: the process may end without it
                log.warning("scheduler_leader_busy", extra={"seconds": timeout})

    def _elect(self) -> None:
        poll = self.settings.scheduler.leader_poll_seconds
        while not self._stop.is_set():
            if self.scheduler is None:
                if self.lock.try_acquire():
                    log.info("scheduler_leader", extra={"runner": self.context.runner})
                    self._start_jobs()
            elif not self.lock.still_held():
                log.warning("scheduler_deposed", extra={"runner": self.context.runner})
                self._stop_jobs()
            self._stop.wait(poll)
        self._stop_jobs()
        self.lock.release()

    def _start_jobs(self) -> None:
        global _context
        with _context_lock:
            _context = self.context
        timezone = self.settings.scheduler.timezone
        scheduler = BackgroundScheduler(
            jobstores={"default": _JobStore(engine=self.engine, tablename="scheduler_jobs")},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.scheduler.misfire_grace_seconds,
            },
            timezone=timezone,
        )
        scheduler.start(paused=True)
        wanted = set()
        for spec in self.jobs.values():
            wanted.add(spec.id)
            trigger = spec.trigger(timezone)
            existing = scheduler.get_job(spec.id)
            # Keep a stored job with the same trigger: its next run time carries missed runs.
            if existing is not None and str(existing.trigger) == str(trigger):
                continue
            scheduler.add_job(
                run_job, trigger, args=[spec.id], id=spec.id, name=spec.id, replace_existing=True
            )
        for stored in scheduler.get_jobs():
            if stored.id not in wanted:
                stored.remove()
        scheduler.resume()
        self.scheduler = scheduler
        self.became_leader.set()

    def _stop_jobs(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=self._wait_for_jobs)
            self.scheduler = None


def start_scheduler(
    settings: Settings, engine: Engine, *, notifier_: notifier.Notifier | None = None
) -> SchedulerService:
    """Start the scheduler service in a background thread (for `fabdesk serve`); call
    `shutdown()` on exit. Only the elected leader among processes runs the jobs."""
    service = SchedulerService(settings, engine, notifier_=notifier_)
    service.start()
    return service
