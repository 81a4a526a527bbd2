"""One supervisor over any Process: keep instances in service and hand them out one at a time.

After Gotenberg's ProcessSupervisor. Every local instance has a thread: start its process,
serve until the instance is retired (crash, hang, failed probe, `max_tasks` done), stop it,
back off, start it again. One monitor thread notices dead processes, probes instances idle for
long, and probes failed remotes back into service; remotes run elsewhere and are never
restarted. Callers check an instance out, use it, and check it in (or retire it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic

from service.convert.process import (
    IN_SERVICE,
    Instance,
    InstanceState,
    P,
    ProcessFailed,
    Timings,
    backoff,
)
from service.core.converter import ConverterUnavailable

log = logging.getLogger("service.convert")


class Supervisor(Generic[P]):
    """Keep instances in service; `cond` guards `instances`, `idle` and `stopping`."""

    def __init__(
        self,
        remotes: Sequence[P],
        make_local: Callable[[], list[P]],
        probe: Callable[[P, float], object],
        *,
        max_tasks: int,
        acquire_timeout: float,
        startup_timeout: float,
        remote_timeout: float,
        timings: Timings,
    ) -> None:
        self._make_local = make_local  # called once, by start()
        self._probe_process = probe  # raises when the process does not answer in time
        self.max_tasks = max_tasks  # a local process is restarted after this many (leaks)
        self.acquire_timeout = acquire_timeout
        self.startup_timeout = startup_timeout
        self.remote_timeout = remote_timeout  # a remote's probe waits behind others' work
        self.timings = timings
        self.cond = threading.Condition()
        self.idle: deque[Instance[P]] = deque()
        self.instances = [Instance(process=remote, remote=True) for remote in remotes]
        self.started = False
        self.stopping = False
        self._stop_event = threading.Event()
        self._monitor: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Make the local processes and start the threads; say whether this call started them."""
        with self.cond:
            if self.stopping:
                raise RuntimeError("a stopped pool cannot be started again")
            if self.started:
                return False
            local = [Instance(process=process, remote=False) for process in self._make_local()]
            self.instances[:0] = local
            self.started = True
            for number, inst in enumerate(local):
                inst.thread = _run_in_thread(self._supervise, f"convert-{number}", inst)
            self._monitor = _run_in_thread(self._watch, "convert-monitor")
        log.info(
            "converter pool starting: local %s, remote %s",
            ", ".join(i.address for i in self.instances if not i.remote) or "-",
            ", ".join(i.address for i in self.instances if i.remote) or "-",
        )
        return True

    def wait_ready(self, timeout: float) -> bool:
        """Block until every instance is in service or timeout passes; say whether they are."""
        with self.cond:
            ok = self.cond.wait_for(
                lambda: self.stopping or all(i.state in IN_SERVICE for i in self.instances),
                timeout=timeout,
            )
            states = [(i.address, i.state.value, i.last_error) for i in self.instances]
            ok = ok and not self.stopping
        if not ok:
            log.warning("converter pool not fully ready after %g s: %s", timeout, states)
        return ok

    def stop(self) -> None:
        """Stop every local process; safe to call more than once."""
        with self.cond:
            if self.stopping:
                return
            self.stopping = True
            self._stop_event.set()
            for inst in self.instances:
                inst.state = InstanceState.STOPPED
                inst.wake.set()
            self.idle.clear()
            self.cond.notify_all()
        # Each instance's thread stops its own process (SIGTERM, grace, SIGKILL), all at once.
        for inst in self.instances:
            if inst.thread is not None:
                inst.thread.join(self.timings.stop_grace + 15)
                if inst.thread.is_alive():
                    log.error("converter %s: supervisor stuck, killing its process", inst.address)
                    inst.process.stop()
        if self._monitor is not None:
            self._monitor.join(5)
        log.info("converter pool stopped")

    def report(self) -> dict[str, Any]:
        """The instances' states as health() shows them, without touching any process."""
        with self.cond:
            instances = [i.describe() for i in self.instances]
            stopping = self.stopping
        ready = sum(i["state"] in IN_SERVICE for i in instances)
        return {
            "ok": ready > 0 and not stopping,
            "ready": ready,
            "size": len(instances),
            "busy": sum(i["state"] == InstanceState.BUSY for i in instances),
            "instances": instances,
        }

    # -- checking instances out and in --------------------------------------------------------

    def checkout(self, avoid: tuple[Instance[P], int] | None) -> tuple[Instance[P], int]:
        """Take an idle instance, preferring one other than `avoid`; wait up to acquire_timeout."""
        deadline = time.monotonic() + self.acquire_timeout
        with self.cond:
            if not self.started:
                raise ConverterUnavailable("the converter pool has not been started")
            while True:
                if self.stopping:
                    raise ConverterUnavailable("the converter pool is stopped")
                inst = self._pick_idle(avoid)
                if inst is not None:
                    self.idle.remove(inst)
                    inst.state = InstanceState.BUSY
                    inst.last_used = time.monotonic()
                    return inst, inst.generation
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    busy = sum(i.state == InstanceState.BUSY for i in self.instances)
                    total = len(self.instances)
                    raise ConverterUnavailable(
                        f"no converter free within {self.acquire_timeout:g} s "
                        f"({busy} of {total} busy, {total - busy} out of service)"
                    )
                self.cond.wait(remaining)

    def _pick_idle(self, avoid: tuple[Instance[P], int] | None) -> Instance[P] | None:
        if avoid is None:
            return self.idle[0] if self.idle else None
        bad, bad_gen = avoid
        for inst in self.idle:
            if inst is not bad or inst.generation != bad_gen:
                return inst
        if bad in self.idle:
            # Only the instance that just failed is free: take it if no other is in service.
            others = (i for i in self.instances if i is not bad)
            if not any(i.state in IN_SERVICE for i in others):
                return bad
        return None

    def release(
        self, inst: Instance[P], gen: int, *, done: bool = False, error: str | None = None
    ) -> None:
        """Give a checked-out instance back, or recycle it after max_tasks."""
        with self.cond:
            if inst.generation != gen or inst.state != InstanceState.BUSY:
                return  # retired meanwhile; its thread owns it now
            inst.last_used = time.monotonic()
            if error is not None:
                inst.last_error = error
            if done:
                inst.conversions += 1
                inst.since_start += 1
                inst.failures = 0
                if self._due_for_recycling_locked(inst):
                    log.info("recycling %s after %d conversions", inst.address, inst.since_start)
                    inst.recycle = True
                    self.retire_locked(inst, None)
                    return
            self.enter_service_locked(inst)

    def _due_for_recycling_locked(self, inst: Instance[P]) -> bool:
        """Whether a local instance has converted enough to be restarted now.

        Instances under even load reach max_tasks together; restarting them together
        would leave the pool with none (health 503, requests waiting 15 s). So an instance
        waits while no other is in service, up to twice the count (leaks stay bounded).
        """
        if inst.remote or inst.since_start < self.max_tasks:
            return False
        others = [i for i in self.instances if i is not inst]
        in_service = any(i.state in IN_SERVICE for i in others)
        return in_service or not others or inst.since_start >= 2 * self.max_tasks

    # -- moving instances in and out of service -----------------------------------------------

    def enter_service_locked(self, inst: Instance[P]) -> None:
        """Queue an instance as idle and wake whoever waits for one (`cond` held)."""
        inst.state = InstanceState.READY
        inst.last_used = time.monotonic()
        self.idle.append(inst)
        self.cond.notify_all()

    def retire(self, inst: Instance[P], gen: int, reason: str) -> None:
        """Take a failed instance out of service (a local one gets restarted)."""
        with self.cond:
            if inst.generation != gen or inst.state not in IN_SERVICE:
                return  # already handled
            log.warning("converter %s out of service: %s", inst.address, reason)
            self.retire_locked(inst, reason)

    def retire_locked(self, inst: Instance[P], reason: str | None) -> None:
        """Take an instance out of service; reason None recycles a healthy one (`cond` held)."""
        if inst in self.idle:
            self.idle.remove(inst)
        if reason is not None:
            inst.last_error = reason
            inst.failures += 1
        if inst.remote:
            self._mark_unhealthy_locked(inst)
        else:
            inst.state = InstanceState.DEAD
            inst.wake.set()
        self.cond.notify_all()

    def _mark_unhealthy_locked(self, inst: Instance[P]) -> None:
        inst.state = InstanceState.UNHEALTHY
        floor = self.timings.remote_retry
        inst.retry_at = time.monotonic() + backoff(self.timings, inst.failures, floor=floor)

    # -- local instances ----------------------------------------------------------------------

    def _supervise(self, inst: Instance[P]) -> None:
        """Run one local instance: start, serve until retired, stop, back off, start again."""
        restart = False
        while not self.stopping:
            try:
                self._run_once(inst, restart)
            except Exception:  # a bug here must not leave the instance dead for good
                log.exception("converter %s: supervisor error", inst.address)
                with self.cond:
                    if not self.stopping:
                        inst.state = InstanceState.DEAD
                        inst.failures += 1
                inst.process.stop()
            restart = True
        inst.process.stop(grace=self.timings.stop_grace)

    def _run_once(self, inst: Instance[P], restart: bool) -> None:
        """Start the instance's process, serve until it is retired, then stop it."""
        if restart:
            delay = 0.0 if inst.recycle else backoff(self.timings, inst.failures)
            if delay and self._stop_event.wait(delay):
                return
        with self.cond:
            if self.stopping:
                return
            if restart:
                inst.restarts += 1
            inst.recycle = False
            inst.state = InstanceState.STARTING
            inst.wake.clear()
        started = time.monotonic()
        problem = None
        try:
            inst.process.start(started + self.startup_timeout, self._stop_event.is_set)
        except ProcessFailed as exc:
            problem = str(exc)
        with self.cond:
            if self.stopping:
                return
            if problem is None:
                inst.generation += 1
                inst.since_start = 0
                self.enter_service_locked(inst)
                log.info(
                    "converter %s ready (pid %s) in %.1f s",
                    inst.address,
                    inst.process.pid,
                    time.monotonic() - started,
                )
            else:
                inst.state = InstanceState.DEAD
                inst.failures += 1
                inst.last_error = problem
                log.error("converter %s: %s", inst.address, problem)
        if problem is None:
            inst.wake.wait()  # until retired, recycled or stopping
            if self.stopping:
                return
        inst.process.stop(grace=self.timings.recycle_grace if inst.recycle else 0.0)

    # -- watching and probing -----------------------------------------------------------------

    def _watch(self) -> None:
        """Notice dead local processes, re-probe unhealthy remotes, probe long-idle instances."""
        while not self._stop_event.wait(self.timings.monitor_interval):
            now = time.monotonic()
            probes: list[tuple[Instance[P], int]] = []
            with self.cond:
                for inst in self.instances:
                    problem = inst.process.failure() if inst.state in IN_SERVICE else None
                    if problem is not None:
                        self.retire_locked(inst, f"process {problem}")
                    elif inst.remote and inst.state in (
                        InstanceState.STARTING,
                        InstanceState.UNHEALTHY,
                    ):
                        if now >= inst.retry_at:
                            inst.retry_at = float("inf")  # no second probe while this one runs
                            probes.append((inst, -1))
                    elif (
                        not inst.remote  # a remote may be busy with other clients' work
                        and inst.state == InstanceState.READY
                        and inst in self.idle
                        and now - inst.last_used >= self.timings.idle_probe_interval
                    ):
                        self.idle.remove(inst)
                        inst.state = InstanceState.BUSY
                        probes.append((inst, inst.generation))
            for inst, gen in probes:
                _run_in_thread(self._probe, "convert-probe", inst, gen)

    def _probe(self, inst: Instance[P], gen: int) -> None:
        """Probe an instance; gen -1 brings a remote in, else a wedged one goes out."""
        timeout = self.timings.probe_timeout
        if inst.remote:
            timeout = max(timeout, self.remote_timeout)
        try:
            self._probe_process(inst.process, timeout)
        except Exception as exc:
            reason = f"probe failed: {type(exc).__name__}: {exc}"
            if gen != -1:
                self.retire(inst, gen, reason)
                return
            with self.cond:
                if inst.state in (InstanceState.STARTING, InstanceState.UNHEALTHY):
                    inst.failures += 1
                    inst.last_error = reason
                    self._mark_unhealthy_locked(inst)
            return
        with self.cond:
            if gen == -1:
                if inst.state not in (InstanceState.STARTING, InstanceState.UNHEALTHY):
                    return
                log.info("remote converter %s in service", inst.address)
                inst.generation += 1
            elif inst.generation != gen or inst.state != InstanceState.BUSY:
                return
            self.enter_service_locked(inst)


def _run_in_thread(target: Callable[..., None], name: str, *args: Any) -> threading.Thread:
    """Start target(*args) in a daemon thread: a stuck process must not block exit."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread
