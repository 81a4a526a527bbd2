"""Admission to the converter: a bounded queue in front of it, refused at once when full."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.core.converter import ConverterUnavailable


class QueueFull(ConverterUnavailable):
    """Every converter is busy and the queue in front of them is full: try again shortly."""


class Admission:
    """Lets `capacity` conversions run or wait at a time; one more is refused without waiting.

    Without it every request queued inside the web server until the converter's own wait ran
    out (15 s), and the health check queued behind them; with it a request either gets a
    converter soon or a 503 at once, and the server's threads stay free.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)
        self._lock = threading.Lock()
        self._inside = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a place for one conversion (or a whole issue); QueueFull when there is none."""
        if not self._slots.acquire(blocking=False):
            raise QueueFull(f"all {self.capacity} places for conversions are taken")
        with self._lock:
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
            self._slots.release()

    def refuse_when_full(self) -> None:
        """QueueFull at once while every place is taken, before the request is even read.

        Under overload most requests are refused; reading and validating each one first (to
        tell bad input before busy) would spend the CPU the admitted conversions and the health
        check need. When there is room, input is still checked first, then admitted.
        """
        if self._inside >= self.capacity:
            raise QueueFull(f"all {self.capacity} places for conversions are taken")

    @property
    def inside(self) -> int:
        """Conversions running or waiting now."""
        return self._inside
