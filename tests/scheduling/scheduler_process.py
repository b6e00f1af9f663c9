"""A scheduler process for the leader tests: `python -m tests.scheduling.scheduler_process OUT`.

Runs the real SchedulerService against FABDESK_DATABASE__URL with one job, `tick` (every second),
that records "pid slot" in the outbox inside the job's transaction (what a run commits is what
counts: a leader killed mid-run commits nothing), and touches the file OUT once it leads.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from fabdesk.db import make_engine
from fabdesk.settings import load_settings
from scheduling.jobs import JobContext, JobSpec, SchedulerService
from scheduling.notifier import enqueue


def main(out: Path) -> None:
    def tick(session: Session, context: JobContext, now: datetime) -> int:
        slot = spec.slot(now, context.settings.scheduler.timezone).isoformat()
        out.touch()
        return int(
            enqueue(
                session,
                key=f"tick:{os.getpid()}:{slot}",
                kind="tick",
                subject=slot,
                body=str(os.getpid()),
                now=now,
            )
        )

    spec = JobSpec("tick", tick, every=timedelta(seconds=1))
    settings = load_settings()
    engine = make_engine(settings.database)
    service = SchedulerService(settings, engine, jobs={"tick": spec})
    service.run_forever()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
