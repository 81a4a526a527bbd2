"""Issuing into the register against plain renders, on real LibreOffice, in one run.

Measures, for `--seconds` each with `--clients` threads on a pool of `--pool` instances:
- plain PDF renders per second (the baseline);
- issues per second, all in one agency's series, and spread over one series per client;
- the latency of a DOCX-only render (which writes an audit event) alone, and while the
  clients issue: the register must not hold up work that does not need its number.

Run from the project root:  .venv/bin/python bench/issue_register.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.composition import build_services
from service.settings import Settings
from service.usecases.services import Services

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed_000_ke_hoach_y_tich.json"


def plan(series: int, *, issued: bool = False) -> dict[str, Any]:
    """The seed plan, of commune number `series` (its own number series); dated by the
    register when `issued`."""
    payload: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    if issued:
        payload["number"] = None
        payload["date"] = None
    if series:
        payload["issuer"] = {**payload["issuer"], "agency": f"Ủy ban nhân dân xã Số {series}"}
    return payload


def rate(work: Callable[[int], None], clients: int, seconds: float) -> float:
    """Documents per second when `clients` threads call work(client) for `seconds`."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def loop(client: int) -> None:
        while time.monotonic() < stop:
            work(client)
            done[client] += 1

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def docx_latency(services: Services, count: int) -> dict[str, float]:
    """p50 and p95 in ms of DOCX-only renders (each writes its audit event)."""
    payload = plan(0)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        services.documents.render("ke_hoach", payload, actor="bench")
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.05)
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95) - 1]}


def while_issuing(services: Services, clients: int, seconds: float) -> dict[str, float]:
    """DOCX render latency while `clients` threads issue into one series."""
    result: dict[str, float] = {}
    background = threading.Thread(
        target=rate, args=(lambda c: issue(services, 0), clients, seconds)
    )
    background.start()
    time.sleep(min(2.0, seconds / 4))
    result.update(docx_latency(services, 30))
    background.join()
    return result


def issue(services: Services, series: int) -> None:
    """Issue the plan into the register."""
    services.issuer.issue("ke_hoach", plan(series, issued=True), actor="bench")


def render_pdf(services: Services) -> None:
    """A plain PDF render, as the API does it."""
    rendered = services.documents.render("ke_hoach", plan(0), actor="bench")
    services.documents.to_pdf(rendered, signing=True)


def main() -> int:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--base-port", type=int, default=3400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vb-issue-bench-") as folder:
        settings = Settings.from_env({}, data_dir=Path(folder), pool_size=args.pool,
                                     pool_base_port=args.base_port)
        services = build_services(settings, wait=True)
        try:
            render_pdf(services)  # warm every path once
            issue(services, 0)
            figures = {
                "plain_pdf_per_s": rate(lambda c: render_pdf(services), args.clients,
                                        args.seconds),
                "issue_one_series_per_s": rate(lambda c: issue(services, 0), args.clients,
                                               args.seconds),
                "issue_own_series_per_s": rate(lambda c: issue(services, c + 1), args.clients,
                                               args.seconds),
                "docx_idle": docx_latency(services, 30),
                "docx_while_issuing": while_issuing(services, args.clients, args.seconds),
            }
        finally:
            services.close()
    plain = figures["plain_pdf_per_s"]
    figures["issue_one_series_vs_plain"] = figures["issue_one_series_per_s"] / plain
    figures["issue_own_series_vs_plain"] = figures["issue_own_series_per_s"] / plain
    figures["docx_p50_while_issuing_vs_idle"] = (
        figures["docx_while_issuing"]["p50_ms"] / figures["docx_idle"]["p50_ms"]
    )
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
