"""What checking the caller costs a request, against a warm render, in one run.

The checks every request makes, timed alone: an API key (look-up by id, SHA-256, expiry), a
log-in session's account (look-up by id, still active, password stamp) and the rate limiter;
and, through the in-process app with a real LibreOffice pool of one, a warm JSON → PDF render
with the key. Each check's median is given as a share of the render's median.

Run from the project root:  .venv/bin/python bench/auth_cost.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.composition import build_services  # noqa: E402
from service.core.rate_limit import RateLimiter  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.web.app import create_app  # noqa: E402

SAMPLE = ROOT / "samples" / "seed_000_ke_hoach_y_tich.json"
PASSWORD = "mat-khau-do-chi-phi"


def median_ms(call: Callable[[], Any], count: int) -> float:
    """The median time of `count` calls in ms."""
    times = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> int:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vb-auth-") as folder:
        settings = Settings.from_env({}, data_dir=Path(folder), pool_size=1,
                                     pool_base_port=3600, rate_limit=0)
        services = build_services(settings, wait=True)
        try:
            app = create_app(services)
            _, token = services.api_keys.create("bench", ["render"], units=None,
                                                created_by="bench", known_types=["ke_hoach"])
            account, _ = services.accounts.create("bench", "quan_tri", None, password=PASSWORD)
            assert account.id is not None
            key = {"Authorization": f"Bearer {token}"}
            plain = app.test_client()
            payload = json.loads(SAMPLE.read_text(encoding="utf-8"))
            limiter = RateLimiter(10**9)  # the default's bucket arithmetic, never refusing

            def render() -> None:
                assert plain.post("/api/documents/ke_hoach", json=payload,
                                  headers=key).status_code == 200

            for _ in range(5):
                render()
            figures = {
                "api_key_check_ms": median_ms(lambda: services.api_keys.authenticate(token),
                                              args.requests),
                "session_check_ms": median_ms(lambda: services.accounts.principal(account.id),
                                              args.requests),
                "rate_limit_ms": median_ms(lambda: limiter.wait_for("key:bench"),
                                           args.requests),
                "warm_render_ms": median_ms(render, args.renders),
            }
        finally:
            services.close()
    for name in ("api_key_check", "session_check", "rate_limit"):
        figures[f"{name}_share_of_render"] = figures[f"{name}_ms"] / figures["warm_render_ms"]
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
