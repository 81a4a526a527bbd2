"""Wrong passwords slow down the name and address they came from, never the account elsewhere.

After `max_failures` wrong passwords for one name from one address, that pair waits; each
wait is twice the last, up to a day. The account's owner, from an address that did not fail,
logs in as always, so nobody can lock another out; names that exist and names that do not are
slowed alike, so the answer does not tell which exist.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_WAIT = 24 * 3600.0
MAX_PAIRS = 100_000  # beyond this many, those not waiting are forgotten first


class LoginThrottle:
    """Failures and waits per (name, address), in this process."""

    def __init__(
        self, max_failures: int, lockout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max(1, max_failures)
        self.lockout = lockout_seconds
        self.clock = clock
        self._pairs: dict[tuple[str, str], tuple[int, int, float]] = {}  # failures, locks, until
        self._lock = threading.Lock()

    def wait(self, name: str, address: str) -> int:
        """Whole seconds this pair must still wait (0: it may try)."""
        with self._lock:
            _, _, until = self._pairs.get(_key(name, address), (0, 0, 0.0))
        return max(0, math.ceil(until - self.clock()))

    def failed(self, name: str, address: str) -> int:
        """Count a wrong password; the seconds to wait now (0 until the pair is held)."""
        key, now = _key(name, address), self.clock()
        with self._lock:
            failures, locks, until = self._pairs.get(key, (0, 0, 0.0))
            failures += 1
            if failures >= self.max_failures:
                locks += 1
                until = now + min(MAX_WAIT, self.lockout * 2 ** (locks - 1))
                failures = 0
            self._pairs[key] = (failures, locks, until)
            if len(self._pairs) > MAX_PAIRS:
                self._forget(now)
        return max(0, math.ceil(until - now))

    def succeeded(self, name: str, address: str) -> None:
        """A right password: the pair starts afresh."""
        with self._lock:
            self._pairs.pop(_key(name, address), None)

    def _forget(self, now: float) -> None:
        for key in [k for k, (_, _, until) in self._pairs.items() if until <= now]:
            del self._pairs[key]


def _key(name: str, address: str) -> tuple[str, str]:
    return name.strip().lower(), address
