"""Rate limits: a steady rate per caller with a short burst, then 429 with Retry-After."""

from __future__ import annotations

from service.core.rate_limit import RateLimiter
from tests.conftest import client_as, log_in


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(60, burst=3, clock=lambda: now[0])
    assert [limiter.wait_for("a") for _ in range(4)] == [0, 0, 0, 1]
    assert limiter.wait_for("b") == 0  # another caller has its own bucket
    now[0] += 1.0  # one request a second refills
    assert limiter.wait_for("a") == 0
    assert limiter.wait_for("a") == 1
    assert RateLimiter(0).wait_for("a") == 0  # 0: no limit


def test_a_key_past_its_rate_gets_429_and_others_do_not(make_app) -> None:
    app = make_app(rate_limit=12)  # 12 a minute, 5 at once
    busy, calm = client_as(app, "busy"), client_as(app, "calm")
    statuses = [busy.get("/api/types").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = busy.get("/api/types")
    assert refused.headers["Retry-After"] == "5"
    assert refused.json["message"] == (
        "Quá nhiều yêu cầu từ tài khoản hoặc khóa API này; vui lòng thử lại sau 5 giây."
    )
    assert calm.get("/api/types").status_code == 200
    assert app.test_client(token=None).get("/health").status_code == 200  # never limited


def test_log_in_attempts_from_one_address_are_limited(make_app) -> None:
    app = make_app(login_rate_limit=6)  # 5 at once
    client = app.test_client(token=None)
    # Other names each time: one name's own wrong passwords are slowed by the login throttle.
    statuses = [log_in(client, f"ai-do-{n}", "sai").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
