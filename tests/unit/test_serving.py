"""The health probe's own lane: answered while every worker thread is busy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from waitress import wasyncore
from waitress.server import create_server

from service.web.serving import ProbeLaneDispatcher, is_probe


class Blocking:
    """A WSGI app whose /slow holds its worker until released; anything else answers at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        if path == "/slow":
            self.entered.set()
            self.release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [path.encode()]


@pytest.fixture()
def served() -> Iterator[tuple[str, Blocking]]:
    """The blocking app on one worker thread plus the probe lane, on a free loopback port."""
    app = Blocking()
    dispatcher = ProbeLaneDispatcher(1)
    server = create_server(app, host="127.0.0.1", port=0, _dispatcher=dispatcher)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    port = server.socket.getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    app.release.set()
    # Closed on the loop's own thread: closing a socket under its select() there is EBADF.
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(5)
    assert not thread.is_alive()
    dispatcher.shutdown()


def request_line(command: str, path: str) -> Any:
    """A parsed request as waitress hands it to the dispatcher."""
    return type("Request", (), {"command": command, "path": path, "error": None})()


def test_only_a_plain_get_or_head_of_health_is_a_probe() -> None:
    assert is_probe(request_line("GET", "/health"))
    assert is_probe(request_line("HEAD", "/api/health"))
    assert not is_probe(request_line("POST", "/health"))
    assert not is_probe(request_line("GET", "/health/x"))
    assert not is_probe(request_line("GET", "/api/documents/ke_hoach"))


def test_health_answers_while_the_only_worker_is_busy(served: tuple[str, Blocking]) -> None:
    url, app = served
    slow = threading.Thread(target=requests.get, args=(url + "/slow",), kwargs={"timeout": 15})
    slow.start()
    assert app.entered.wait(5)
    assert requests.get(url + "/health", timeout=2).text == "/health"
    with pytest.raises(requests.Timeout):  # the same request elsewhere waits for the worker
        requests.get(url + "/other", timeout=0.5)
    app.release.set()
    slow.join(15)
    assert requests.get(url + "/other", timeout=5).text == "/other"
