"""A service killed with kill -9 leaves LibreOffice running; the next start ends it, same ports."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.conftest import load_sample
from tests.integration import calls
from tests.integration.servers import free_port, start_service

pytestmark = pytest.mark.integration
BASE_PORT = 2960  # this test's unoserver ports, clear of the other suites'


def test_the_next_start_ends_a_killed_services_libreoffice_and_reuses_its_ports(tmp_path) -> None:
    data_dir = tmp_path
    first = start_service(data_dir, free_port(), pool_size=1, pool_base_port=BASE_PORT)
    orphans = first.tree()[1:]  # the unoserver and its LibreOffice
    assert [p for p in orphans if p.name() == "soffice.bin"], first.log_tail()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    # Nothing ran the service's clean-up: its servers outlive it, holding the ports.
    assert all(p.is_running() for p in orphans)
    second = start_service(data_dir, free_port(), pool_size=1, pool_base_port=BASE_PORT)
    try:
        _, alive = psutil.wait_procs(orphans, timeout=15)
        assert alive == [], f"left running: {alive}"
        (instance,) = calls.get(second.url + "/health", timeout=5).json()["pool"]["instances"]
        assert instance["address"] == f"127.0.0.1:{BASE_PORT}"
        answer = calls.post(
            second.url + "/api/documents/ke_hoach",
            json=load_sample("seed_000_ke_hoach_y_tich"),
            timeout=120,
        )
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        # The converter's folder, profile and log are the service's alone.
        home = data_dir / "pool" / f"unoserver-{BASE_PORT}"
        for path in (data_dir / "pool", home, home / "profile", home / "unoserver.log"):
            assert path.stat().st_mode & 0o077 == 0, path
    finally:
        for orphan in orphans:  # when the test fails, leave no LibreOffice behind
            try:
                orphan.kill()
            except psutil.NoSuchProcess:
                pass
        assert second.stop() == [], "processes left running after SIGTERM"
