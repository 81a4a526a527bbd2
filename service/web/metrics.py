"""Prometheus metrics at /metrics: requests, latency, the converter, its queue, bulk rows.

Each app has its own registry (tests build many apps in one process). Request counts are kept
as requests finish; the services' state is read by a collector when Prometheus scrapes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from service.usecases.ports import RegisterQuery
from service.usecases.services import Services
from service.web.context import EXTENSION
from service.web.request_log import route_label

log = logging.getLogger("service.web.metrics")
KEY = "vb_metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text format Prometheus reads
# From a 5 ms page to a 120 s issue that waited for a restarted converter.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# A client may send any method token: anything else is counted as "other", not as a new label.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class HttpMetrics:
    """One app's registry and the request metrics kept in it."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    @classmethod
    def create(cls) -> HttpMetrics:
        """A fresh registry with the request counter and the latency histogram."""
        registry = CollectorRegistry()
        requests = Counter(
            "vanban_http_requests_total", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=registry,
        )
        latency = Histogram(
            "vanban_http_request_duration_seconds", "Time to answer an HTTP request, by route",
            ["route"], buckets=BUCKETS, registry=registry,
        )
        return cls(registry, requests, latency)


class ServiceCollector:
    """The services' state read at scrape time: queue, converter, bulk rows, register."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        """Every source's metrics; a source that fails is left out and marked down."""
        up = GaugeMetricFamily("vanban_metrics_source_up",
                               "1 when the source's metrics could be read", labels=["source"])
        sources: dict[str, Callable[[], Iterable[Metric]]] = {
            "queue": self.queue, "converter": self.converter,
            "bulk": self.bulk, "register": self.register,
        }
        for name, read in sources.items():
            try:
                found = list(read())
            except Exception:  # a database that is down must not blank the other metrics
                log.warning("metrics: reading %s failed", name, exc_info=True)
                found = []
                up.add_metric([name], 0)
            else:
                up.add_metric([name], 1)
            yield from found
        yield up

    def queue(self) -> Iterator[Metric]:
        """Conversions admitted now (running or waiting) and how many may be."""
        admission = self.services.admission
        yield GaugeMetricFamily("vanban_converter_queue_depth",
                                "Web conversions running or waiting for a converter",
                                value=admission.inside)
        yield GaugeMetricFamily("vanban_converter_queue_capacity",
                                "Web conversions admitted at once; one more is refused (503)",
                                value=admission.capacity)

    def converter(self) -> Iterator[Metric]:
        """Instances by state, and each instance's conversions and restarts so far."""
        converter = self.services.converter
        if converter is None:
            return  # DOCX only: there is nothing to report
        health = converter.health()
        instances = health.get("instances") or []
        yield GaugeMetricFamily("vanban_converter_up", "1 when the converter can take work",
                                value=1 if health.get("ok") else 0)
        states = GaugeMetricFamily("vanban_converter_instances", "Converter instances by state",
                                   labels=["state"])
        for state in sorted({str(i["state"]) for i in instances}):
            states.add_metric([state], sum(str(i["state"]) == state for i in instances))
        yield states
        conversions = CounterMetricFamily("vanban_converter_conversions",
                                          "Conversions by converter instance", labels=["address"])
        restarts = CounterMetricFamily("vanban_converter_restarts",
                                       "Restarts by converter instance", labels=["address"])
        for instance in instances:
            conversions.add_metric([str(instance["address"])], instance.get("conversions") or 0)
            restarts.add_metric([str(instance["address"])], instance.get("restarts") or 0)
        yield conversions
        yield restarts

    def bulk(self) -> Iterator[Metric]:
        """Rows of the unfinished bulk jobs by state."""
        rows = GaugeMetricFamily("vanban_bulk_rows", "Rows of unfinished bulk jobs by state",
                                 labels=["state"])
        for state, count in self.services.bulk.backlog().items():
            rows.add_metric([state], count)
        yield rows

    def register(self) -> Iterator[Metric]:
        """Entries issued into the outgoing register (a count; the one row read is small)."""
        total = self.services.register.search(RegisterQuery(), page=1, per_page=1).total
        yield GaugeMetricFamily("vanban_register_entries",
                                "Entries issued into the outgoing register", value=total)


def start_timer() -> None:
    """Before every other hook (access checks included): note when the request began."""
    g.metrics_started = time.perf_counter()


def count_request(response: Response) -> Response:
    """After every request: count it by route, method and status, and time it."""
    metrics: HttpMetrics = current_app.extensions[KEY]
    route = route_label()
    method = request.method if request.method in METHODS else "other"
    metrics.requests.labels(route, method, str(response.status_code)).inc()
    started = g.pop("metrics_started", None)
    if started is not None:  # None when something failed before the hooks ran
        metrics.latency.labels(route).observe(time.perf_counter() - started)
    return response


def scrape() -> Response:
    """The app's metrics in Prometheus' text format."""
    metrics: HttpMetrics = current_app.extensions[KEY]
    return Response(generate_latest(metrics.registry), content_type=CONTENT_TYPE)


def init_app(app: Flask) -> None:
    """Count and time every request and serve GET /metrics (needs the metrics permission)."""
    metrics = HttpMetrics.create()
    metrics.registry.register(ServiceCollector(app.extensions[EXTENSION]))
    app.extensions[KEY] = metrics
    # First, so a request refused by the access check is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(count_request)
    app.add_url_rule("/metrics", endpoint="metrics", view_func=scrape, methods=["GET"])
