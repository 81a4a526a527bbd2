"""The database goes away for 10 s under a running service: 503s, then it recovers by itself.

A real PostgreSQL is stopped while a bulk job runs and clients issue: requests during the
outage answer 503 with Retry-After (never 500), nothing accepted is lost (every row of the
job is done exactly once), and the register's numbers run 01… without a gap or a double.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.store.database import Database
from service.store.jobs import SqlJobStore
from service.store.register import RegisterEntry
from tests.helpers import plan
from tests.integration import calls
from tests.integration.servers import (
    free_port,
    new_postgres_database,
    postgres_stopped,
    start_service,
)
from tests.integration.test_bulk import finished, post_job, scenario_table, wait_for

pytestmark = pytest.mark.integration
ROWS = 12


def test_a_database_away_for_ten_seconds_loses_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    url = new_postgres_database(postgres_url, "outage")
    service = start_service(tmp_path, free_port(), pool_size=1, pool_base_port=3060,
                            database_url=url, bulk_workers=1)
    try:
        issue = service.url + "/api/register/issue/ke_hoach"
        assert calls.post(issue, json=plan(), timeout=120).json()["number"] == 1
        table = scenario_table()
        table.rows = table.rows[:ROWS]
        job = post_job(service.url, table, allow_invalid=False)
        assert job.status_code == 202, job.text
        location = job.headers["Location"]
        wait_for(service.url, location, lambda p: p["done"] >= 2, what="2 rows done")
        with postgres_stopped(url):
            away = [calls.post(issue, json=plan(), timeout=120) for _ in range(3)]
            assert [a.status_code for a in away] == [503, 503, 503]
            assert away[0].headers["Retry-After"] == "5"
            assert "Cơ sở dữ liệu tạm thời không trả lời" in away[0].json()["message"]
            time.sleep(10)
        # Back by itself: the next issue takes 02, the job finishes every row once.
        back = calls.post(issue, json=plan(), timeout=120)
        assert back.status_code == 201 and back.json()["number"] == 2
        progress = wait_for(service.url, location, finished, what="done")
        assert (progress["done"], progress["failed"]) == (ROWS, 0)
        database = Database(url)
        try:
            rows = SqlJobStore(database).rows(progress["id"])
            assert [r.completions for r in rows] == [1] * ROWS
            with database.session() as session:
                numbers = sorted(n for (n,) in session.query(RegisterEntry.number))
            assert numbers == [1, 2]
        finally:
            database.dispose()
    finally:
        assert service.stop() == [], "processes left running after SIGTERM"
