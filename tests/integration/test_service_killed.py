"""A service killed with SIGKILL leaves no pool process behind: its converters end with it."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from tests.helpers import BODY, make_pdf
from tests.integration import calls
from tests.integration.servers import free_port, start_service

pytestmark = pytest.mark.integration


def test_no_pool_process_outlives_a_killed_service(tmp_path: Path) -> None:
    service = start_service(tmp_path, free_port(), pool_size=2, pool_base_port=3160)
    # A verified PDF starts the fork server that forks the children reading uploads.
    assert calls.post(service.url + "/api/verify", data=make_pdf(BODY), headers={
        "Content-Type": "application/pdf"}).json()["count"] == 0
    pool = service.tree()[1:]
    names = sorted({p.name() for p in pool})
    assert "soffice.bin" in names and len(pool) >= 5, names  # two servers, offices, fork server
    assert any("forkserver" in " ".join(p.cmdline()) for p in pool)
    service.process.kill()  # kill -9: no signal handler, no clean-up of its own
    service.process.wait(10)
    _, alive = psutil.wait_procs(pool, timeout=5)
    # Before, they ran on (about 500 MB) until the next start of the service ended them.
    assert alive == [], [(p.pid, p.name()) for p in alive]
