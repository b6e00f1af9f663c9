"""Creating a booking on PostgreSQL with 300,000 bookings stored, against a nearly empty database
(goal: within 1.2x). The same network as bench_scheduling (3 sites x 40 machines), built with
800 days of history and with none; medians of `bench_scheduling`'s booking scenario, and how
PostgreSQL planned the booking checks (generic plans are planned once per connection)."""

from __future__ import annotations

import random
import time

from benchmarks import bench_scheduling
from fabdesk.db import make_engine, upgrade
from fabdesk.settings import DatabaseSettings

DAYS = (0, 800)


def main() -> None:
    from tests.support.postgres import running_postgres

    medians: dict[int, tuple[float, float]] = {}
    with running_postgres() as server:
        for days in DAYS:
            with server.admin() as admin:
                admin.execute(f"CREATE DATABASE scale{days}")
            engine = make_engine(DatabaseSettings(url=server.url(f"scale{days}"), pool_size=4))
            upgrade(engine)
            rng = random.Random(20261124)
            start = time.perf_counter()
            count = bench_scheduling.build(engine, days, rng)
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            print(f"[{count} bookings] loaded in {time.perf_counter() - start:.0f} s")
            results: dict[str, float] = {}
            bench_scheduling.scenario_book(engine, results, rng)
            medians[days] = (results["create a booking"], results["create a booking (CPU)"])
            with engine.connect() as connection:
                plans = connection.exec_driver_sql(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                    "WHERE strpos(statement, 'FROM maintenance_windows') > 0"
                ).all()
            engine.dispose()
            print(
                f"[{count} bookings] create a booking: {medians[days][0]:.2f} ms "
                f"(CPU {medians[days][1]:.2f} ms); booking checks (generic, custom) plans: {plans}"
            )
    ratio = medians[DAYS[1]][0] / medians[DAYS[0]][0]
    print(f"ratio full / empty: {ratio:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
