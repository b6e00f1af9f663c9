"""The attacks run against the real peers of the other test areas: the peers' world (a charge, a
dispute) and the API's seeded database served by uvicorn, on SQLite and PostgreSQL."""

from tests.api.conftest import (  # noqa: F401  (fixtures)
    api_engine,
    api_settings,
    manager_token,
    seeded_postgres_template,
    seeded_sqlite_template,
    seeded_url,
    site_manager_token,
)
from tests.kiosk.conftest import lab, make_app, ticker  # noqa: F401  (fixtures)
from tests.peers.conftest import admin, world  # noqa: F401  (fixtures)
