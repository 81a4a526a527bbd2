"""Load from a second process: renders at the service's capacity and at 4× it, for 60 s each.

Starts `python -m service serve` (real LibreOffice pool) with rate limits off, makes an API key,
then for each level runs that many client threads posting the seed plan for a PDF while a
poller asks `/health` ten times a second and the service's process tree is weighed every
second. Capacity is what the service admits at once: the pool's instances plus its queue
(VB_QUEUE_LENGTH). Prints, per level: statuses by code, p50/p95/p99 of 200s and of 503s,
/health p50/p99/max and its statuses, and RSS at the start, middle and end.

Run from the project root:  .venv/bin/python bench/load.py [--seconds 60] [--pool 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ServiceProcess, allocate_ports, free_tcp_port  # noqa: E402  (bench/bench.py)

SAMPLE = ROOT / "samples" / "seed_000_ke_hoach_y_tich.json"


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in ms."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(pct: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * pct))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 1), "count": len(ordered)}


def clients(url: str, headers: dict[str, str], count: int, stop: float) -> dict[str, Any]:
    """`count` threads posting renders until `stop`; statuses and latencies."""
    # Encoded once, as a load tool sends fixed bytes: the clients' own CPU stays small.
    body = json.dumps(json.loads(SAMPLE.read_text(encoding="utf-8"))).encode()
    headers = {**headers, "Content-Type": "application/json"}
    statuses: Counter[int] = Counter()
    times: dict[int, list[float]] = {200: [], 503: []}
    lock = threading.Lock()

    def loop() -> None:
        with requests.Session() as http:
            while time.monotonic() < stop:
                began = time.perf_counter()
                answer = http.post(url + "/api/documents/ke_hoach", data=body,
                                   headers=headers, timeout=180)
                took = time.perf_counter() - began
                with lock:
                    statuses[answer.status_code] += 1
                    times.setdefault(answer.status_code, []).append(took)
                if answer.status_code == 503:
                    time.sleep(0.2)  # as a client honouring a short Retry-After would

    threads = [threading.Thread(target=loop) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": dict(statuses), "ok": percentiles(times[200]),
            "busy": percentiles(times[503])}


def health(url: str, stop: float, out: Any = None) -> dict[str, Any]:
    """Ask /health ten times a second until `stop` (in a process of its own: the clients'
    threads would otherwise delay the poller's own reading of the answers)."""
    took: list[float] = []
    statuses: Counter[int] = Counter()
    with requests.Session() as http:
        while time.monotonic() < stop:
            began = time.perf_counter()
            try:
                statuses[http.get(url + "/health", timeout=5).status_code] += 1
            except requests.RequestException:
                statuses[0] += 1
            took.append(time.perf_counter() - began)
            time.sleep(0.1)
    found = {"statuses": dict(statuses), **percentiles(took)}
    if out is not None:
        out.put(found)
    return found


def weigh(pid: int, stop: float, samples: list[float]) -> None:
    """RSS of the service and its children in MiB, every second until `stop`."""
    while time.monotonic() < stop:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            samples.append(sum(p.memory_info().rss for p in procs) / 2**20)
        except psutil.Error:
            pass
        time.sleep(1.0)


def level(svc: ServiceProcess, count: int, seconds: float) -> dict[str, Any]:
    """One level of load: clients, health poller and memory, side by side."""
    stop = time.monotonic() + seconds
    memory: list[float] = []
    found: dict[str, Any] = {}
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    poller = context.Process(target=health, args=(svc.url, stop, answers))
    weigher = threading.Thread(target=weigh, args=(svc.pids()[0], stop, memory))
    poller.start()
    weigher.start()
    found["renders"] = clients(svc.url, svc.headers, count, stop)
    found["health"] = answers.get(timeout=60)
    poller.join()
    weigher.join()
    found["rss_mib"] = {"first": round(memory[0]), "middle": round(memory[len(memory) // 2]),
                        "last": round(memory[-1]), "median": round(statistics.median(memory))}
    return found


def main() -> int:
    """Start the service, load it at each level, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pool", type=int, default=2)
    parser.add_argument("--queue", type=int, default=8)
    parser.add_argument("--base-port", type=int, default=3500)
    args = parser.parse_args()
    capacity = args.pool + args.queue
    with tempfile.TemporaryDirectory(prefix="vb-load-") as folder:
        pool_port = allocate_ports(args.base_port, 1)[0][0]
        svc = ServiceProcess(free_tcp_port(), pool_port, Path(folder),
                             pool_size=args.pool, queue_length=args.queue, rate_limit=0)
        svc.start()
        try:
            clients(svc.url, svc.headers, args.pool, time.monotonic() + 5)  # warm up
            figures = {"capacity": capacity, "pool": args.pool, "queue": args.queue}
            for name, count in (("at_capacity", capacity), ("at_4x_capacity", 4 * capacity)):
                figures[name] = {"clients": count, **level(svc, count, args.seconds)}
        finally:
            svc.stop()
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
