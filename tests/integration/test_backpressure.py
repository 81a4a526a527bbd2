"""Under more load than the converter takes: 200 or an immediate 503, and /health stays fast."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import load_sample
from tests.integration import calls
from tests.integration.servers import free_port, start_service

pytestmark = pytest.mark.integration
CLIENTS = 8  # four times what one instance and one waiting place admit


def test_overload_gets_200_or_an_immediate_503_and_health_stays_fast(tmp_path) -> None:
    service = start_service(tmp_path, free_port(), pool_size=1, pool_base_port=2980,
                            queue_length=1)
    seed = load_sample("seed_000_ke_hoach_y_tich")
    answers: list[tuple[int, float]] = []
    health: list[float] = []
    done = threading.Event()

    def render() -> None:
        began = time.monotonic()
        status = calls.post(service.url + "/api/documents/ke_hoach", json=seed,
                               timeout=120).status_code
        answers.append((status, time.monotonic() - began))

    def watch_health() -> None:
        while not done.is_set():
            began = time.monotonic()
            assert calls.get(service.url + "/health", timeout=5).status_code == 200
            health.append(time.monotonic() - began)
            time.sleep(0.05)

    try:
        watcher = threading.Thread(target=watch_health)
        watcher.start()
        with ThreadPoolExecutor(CLIENTS) as clients:
            for _ in range(3):  # three waves of eight at once
                list(clients.map(lambda _: render(), range(CLIENTS)))
        done.set()
        watcher.join(10)
    finally:
        done.set()
        assert service.stop() == [], "processes left running after SIGTERM"
    statuses = [status for status, _ in answers]
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 3
    assert statuses.count(503) >= 3, statuses
    assert max(seconds for status, seconds in answers if status == 503) < 1.0
    health.sort()
    assert len(health) >= 5 and health[int(len(health) * 0.99) - 1] < 0.1, health[-5:]
