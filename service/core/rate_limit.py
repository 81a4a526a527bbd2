"""Token buckets per caller: a steady rate with a short burst, then "wait this long"."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_CALLERS = 10_000  # beyond this many buckets, full ones are forgotten (they hold nothing)


class RateLimiter:
    """`per_minute` requests a minute per key, up to `burst` at once; 0 means no limit."""

    def __init__(
        self, per_minute: int, burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(5, per_minute // 4))
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> int:
        """Take one request for the key: 0 when allowed, else whole seconds until one is."""
        if self.rate <= 0:
            return 0
        now = self.clock()
        with self._lock:
            tokens, when = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - when) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / self.rate))
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_CALLERS:
                self._forget_full(now)
            return 0

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: forgetting them changes nothing."""
        full = [k for k, (t, w) in self._buckets.items() if t + (now - w) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
