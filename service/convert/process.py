"""What the supervisor keeps running: a Process of three calls, and its record as an instance.

After Gotenberg's Process (start, stop, healthy): the supervisor knows nothing of LibreOffice,
ports or XML-RPC, only how to start a process, stop it, and ask whether it still runs.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class ProcessFailed(Exception):
    """A process could not be started, or did not come to serve; the message says why."""


class Process(Protocol):
    """A server the supervisor starts, stops and watches; it may be started again after a stop."""

    @property
    def address(self) -> str:
        """Where it serves (may change from one start to the next)."""

    @property
    def pid(self) -> int | None:
        """The current start's process id, for the health report; None when there is none."""

    def start(self, deadline: float, abort: Callable[[], bool]) -> None:
        """Start afresh and wait until it serves; raise ProcessFailed saying why it does not."""

    def stop(self, grace: float = 0.0) -> None:
        """End it and what it started: SIGTERM, `grace` seconds, then SIGKILL."""

    def failure(self) -> str | None:
        """None while it (and what it started) still runs, else how it ended."""


P = TypeVar("P", bound=Process)


class InstanceState(enum.StrEnum):
    """Where an instance stands, as health() reports it."""

    STARTING = "starting"  # a local process is being (re)started, or a remote not yet probed
    READY = "ready"  # idle, in the queue
    BUSY = "busy"  # checked out: converting, or being probed
    DEAD = "dead"  # failed; a local one is being killed and will restart
    UNHEALTHY = "unhealthy"  # a remote that failed; re-probed after a pause
    STOPPED = "stopped"


IN_SERVICE = (InstanceState.READY, InstanceState.BUSY)


@dataclass(frozen=True)
class Timings:
    """How often and how patiently instances are watched, probed, restarted and killed."""

    monitor_interval: float = 0.5  # seconds between liveness checks
    idle_probe_interval: float = 60.0  # probe a local instance idle this long: is it wedged?
    probe_timeout: float = 10.0
    # How much longer than a server's own conversion timeout a caller waits for its answer: the
    # server needs a moment to kill LibreOffice and answer; a stopped or wedged one never does.
    socket_grace: float = 3.0
    startup_poll: float = 0.25  # between probes of a starting server
    backoff_step: float = 0.5  # the first non-zero pause before a restart; doubles after
    max_backoff: float = 30.0
    remote_retry: float = 2.0  # least pause before a failed remote is probed again
    recycle_grace: float = 5.0  # SIGTERM, then SIGKILL, when recycling a healthy instance
    stop_grace: float = 3.0


def backoff(timings: Timings, failures: int, floor: float = 0.0) -> float:
    """Return the pause before the next start or probe: none at first, then doubling."""
    if failures <= 1:
        return floor
    return min(timings.max_backoff, max(floor, timings.backoff_step * 2 ** (failures - 2)))


@dataclass(eq=False)
class Instance(Generic[P]):
    """One process the supervisor hands out: a local one it runs, or a remote it only probes."""

    process: P
    remote: bool
    state: InstanceState = InstanceState.STARTING
    generation: int = 0  # bumped whenever it (re)enters service; stale reports are ignored
    conversions: int = 0  # over the instance's whole life
    since_start: int = 0
    restarts: int = 0
    last_error: str | None = None
    last_used: float = field(default_factory=time.monotonic)
    retry_at: float = 0.0  # remotes: when to probe again
    failures: int = 0  # consecutive failures, for the backoff
    recycle: bool = False
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return self.process.address

    def describe(self) -> dict[str, Any]:
        """Return the instance as health() lists it."""
        return {
            "address": self.address,
            "kind": "remote" if self.remote else "local",
            "state": self.state.value,
            "pid": self.process.pid,
            "conversions": self.conversions,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }
