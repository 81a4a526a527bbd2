"""The WSGI server: waitress, with the health probe on a lane of its own.

Under overload every worker thread is busy with a conversion or a quick 503, and a probe
queued behind them would time out exactly when the service is busy but alive; a load
balancer would then drop it. So `GET /health` goes to one thread that serves nothing else.
"""

from __future__ import annotations

from typing import Any

from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

PROBE_PATHS = frozenset({"/health", "/api/health"})


def is_probe(request: Any) -> bool:
    """Tell whether a parsed request is the health probe (GET or HEAD, nothing to read)."""
    return (
        getattr(request, "command", None) in ("GET", "HEAD")
        and getattr(request, "path", None) in PROBE_PATHS
        and not getattr(request, "error", None)
    )


class ProbeLaneDispatcher(ThreadedTaskDispatcher):
    """Waitress's worker threads, plus one thread that serves only health probes."""

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.set_thread_count(threads)
        self.probes = ThreadedTaskDispatcher()
        self.probes.set_thread_count(1)

    def add_task(self, task: Any) -> None:
        """Queue a channel's next request: a probe on its own lane, the rest as usual."""
        requests = getattr(task, "requests", None)
        if requests and is_probe(requests[0]):
            self.probes.add_task(task)
        else:
            super().add_task(task)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        """Stop both lanes."""
        self.probes.shutdown(cancel_pending, timeout)
        return bool(super().shutdown(cancel_pending, timeout))


def serve(app: Any, host: str, port: int, threads: int) -> None:
    """Serve the app until interrupted, with `threads` workers and the probe lane."""
    dispatcher = ProbeLaneDispatcher(threads)
    server = create_server(app, host=host, port=port, _dispatcher=dispatcher)
    try:
        server.run()
    finally:
        server.close()
        dispatcher.shutdown()
