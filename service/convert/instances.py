"""The instances a converter pool hands out, and the supervision that keeps them in service.

Every local instance has a supervisor thread: start a unoserver, serve until the instance is
retired (crash, hang, failed probe, max_conversions), kill it, back off, start it again. One
monitor thread notices dead processes, probes instances idle for long, and probes failed
remotes back into service; remotes run elsewhere and are never restarted.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from service.convert.unoserver_process import (
    SOCKET_GRACE,
    Slot,
    UnoserverClient,
    UnoserverProcess,
    claim_slot,
)
from service.core.files import private_folder

if TYPE_CHECKING:
    from service.convert.pool import PoolConfig

log = logging.getLogger("service.convert")


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
    idle_probe_interval: float = 60.0  # info() a local instance idle this long: is it wedged?
    probe_timeout: float = 10.0
    socket_grace: float = SOCKET_GRACE  # waited beyond conversion_timeout for an answer
    startup_poll: float = 0.25  # between info() calls to a starting unoserver
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
class Instance:
    """One converter the pool hands out: a local process slot or a remote address."""

    index: int
    address: str
    remote: bool
    slot: Slot | None = None  # local: ports and directory
    process: UnoserverProcess | None = None
    state: InstanceState = InstanceState.STARTING
    generation: int = 0  # bumped whenever it (re)enters service; stale reports are ignored
    conversions: int = 0  # over the slot's whole life
    since_start: int = 0
    restarts: int = 0
    last_error: str | None = None
    last_used: float = field(default_factory=time.monotonic)
    retry_at: float = 0.0  # remotes: when to probe again
    failures: int = 0  # consecutive failures, for the backoff
    recycle: bool = False
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def describe(self) -> dict[str, Any]:
        """Return the instance as health() lists it."""
        return {
            "address": self.address,
            "kind": "remote" if self.remote else "local",
            "state": self.state.value,
            "pid": self.process.pid if self.process is not None else None,
            "conversions": self.conversions,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }

    def client(self) -> UnoserverClient:
        """A client for the instance: a local one's calls carry its current process's secret."""
        if self.process is not None:
            return self.process.client()
        return UnoserverClient(self.address)

    def lost_libreoffice(self) -> bool:
        """After a fault, tell whether the server lost its LibreOffice (it exits soon after)."""
        if self.remote or self.process is None:
            return False
        return not self.process.alive()


class Supervisor:
    """Keep a pool's instances in service; `cond` guards `instances`, `idle` and `stopping`."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self.timings = config.timings
        self.cond = threading.Condition()
        self.idle: deque[Instance] = deque()
        self.instances = [
            Instance(index=config.size + i, address=remote, remote=True)
            for i, remote in enumerate(config.remotes)
        ]
        self.started = False
        self.stopping = False
        self._stop_event = threading.Event()
        self._monitor: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> bool:
        """Claim the local slots and start the threads; say whether this call started them."""
        with self.cond:
            if self.stopping:
                raise RuntimeError("a stopped pool cannot be started again")
            if self.started:
                return False
            self.instances[:0] = self._claim_local_instances()
            self.started = True
            for inst in self.instances:
                if not inst.remote:
                    inst.thread = _run_in_thread(self._supervise, f"convert-{inst.index}", inst)
            self._monitor = _run_in_thread(self._watch, "convert-monitor")
        log.info(
            "converter pool starting: local %s, remote %s",
            ", ".join(i.address for i in self.instances if not i.remote) or "-",
            ", ".join(self.config.remotes) or "-",
        )
        return True

    def _claim_local_instances(self) -> list[Instance]:
        """Make one instance per local slot, its ports and directory held for this pool."""
        cfg = self.config
        if cfg.size:
            private_folder(cfg.work_dir)
        local: list[Instance] = []
        held: set[int] = set()
        for i in range(cfg.size):
            slot = claim_slot(cfg.work_dir, cfg.base_port, reserved=held)
            held.update((slot.port, slot.uno_port))
            address = f"127.0.0.1:{slot.port}"
            local.append(Instance(index=i, address=address, remote=False, slot=slot))
        return local

    def stop(self) -> None:
        """Kill every local instance with its LibreOffice; safe to call more than once."""
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
        # Each supervisor kills its own process group (SIGTERM, grace, SIGKILL), all at once.
        for inst in self.instances:
            if inst.thread is not None:
                inst.thread.join(self.timings.stop_grace + 15)
                if inst.thread.is_alive() and inst.process is not None:
                    log.error("converter %s: supervisor stuck, killing its process", inst.address)
                    inst.process.kill()
        if self._monitor is not None:
            self._monitor.join(5)
        for inst in self.instances:
            if inst.slot is not None:
                inst.slot.release()
        log.info("converter pool stopped")

    # -- moving instances in and out of service (callers hold `cond`) -------------------------

    def enter_service_locked(self, inst: Instance) -> None:
        """Queue an instance as idle and wake whoever waits for one."""
        inst.state = InstanceState.READY
        inst.last_used = time.monotonic()
        self.idle.append(inst)
        self.cond.notify_all()

    def retire(self, inst: Instance, gen: int, reason: str) -> None:
        """Take a failed instance out of service (a local one gets restarted)."""
        with self.cond:
            if inst.generation != gen or inst.state not in IN_SERVICE:
                return  # already handled
            log.warning("converter %s out of service: %s", inst.address, reason)
            self.retire_locked(inst, reason)

    def retire_locked(self, inst: Instance, reason: str | None) -> None:
        """Take an instance out of service; reason None recycles a healthy one."""
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

    def _mark_unhealthy_locked(self, inst: Instance) -> None:
        inst.state = InstanceState.UNHEALTHY
        floor = self.timings.remote_retry
        inst.retry_at = time.monotonic() + backoff(self.timings, inst.failures, floor=floor)

    # -- local instances ----------------------------------------------------------------------

    def _supervise(self, inst: Instance) -> None:
        """Run one local instance: start, serve until retired, kill, back off, start again."""
        restart = False
        while not self.stopping:
            try:
                self._run_once(inst, restart)
            except Exception:  # a bug here must not leave the slot dead for good
                log.exception("converter %s: supervisor error", inst.address)
                with self.cond:
                    if not self.stopping:
                        inst.state = InstanceState.DEAD
                        inst.failures += 1
                if inst.process is not None:
                    inst.process.kill()
            restart = True
        if inst.process is not None:
            inst.process.kill(grace=self.timings.stop_grace)

    def _run_once(self, inst: Instance, restart: bool) -> None:
        """Start one unoserver for the instance, serve until it is retired, then kill it."""
        cfg = self.config
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
            try:
                slot = self._slot_for(inst)
                proc = UnoserverProcess(
                    cfg.server_command, slot.port, slot.uno_port, slot.home, cfg.conversion_timeout
                )
                proc.start()
            except (OSError, RuntimeError) as exc:
                inst.failures += 1
                inst.state = InstanceState.DEAD
                inst.last_error = f"cannot start unoserver: {exc}"
                log.error("converter %s: %s", inst.address, inst.last_error)
                return
            inst.process = proc
        started = time.monotonic()
        problem = proc.wait_ready(
            started + cfg.startup_timeout, self._stop_event.is_set, poll=self.timings.startup_poll
        )
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
                    proc.pid,
                    time.monotonic() - started,
                )
            else:
                inst.state = InstanceState.DEAD
                inst.failures += 1
                inst.last_error = f"startup failed: {problem}"
                log.error("converter %s %s", inst.address, inst.last_error)
        if problem is None:
            inst.wake.wait()  # until retired, recycled or stopping
            if self.stopping:
                return
        proc.kill(grace=self.timings.recycle_grace if inst.recycle else 0.0)

    def _slot_for(self, inst: Instance) -> Slot:
        """Keep the instance's ports unless a stranger took them meanwhile."""
        assert inst.slot is not None
        if inst.slot.ports_free():
            return inst.slot
        inst.slot.release()
        held = {
            port
            for other in self.instances
            if other is not inst and other.slot is not None
            for port in (other.slot.port, other.slot.uno_port)
        }
        inst.slot = claim_slot(self.config.work_dir, self.config.base_port, reserved=held)
        inst.address = f"127.0.0.1:{inst.slot.port}"
        log.warning("converter %d moved to %s: its ports were taken", inst.index, inst.address)
        return inst.slot

    # -- watching and probing -----------------------------------------------------------------

    def _watch(self) -> None:
        """Notice dead local processes, re-probe unhealthy remotes, probe long-idle instances."""
        while not self._stop_event.wait(self.timings.monitor_interval):
            now = time.monotonic()
            probes: list[tuple[Instance, int]] = []
            with self.cond:
                for inst in self.instances:
                    proc = inst.process
                    if inst.state in IN_SERVICE and proc is not None and not proc.alive():
                        code = proc.returncode()
                        log.warning(
                            "converter %s exited (code %s); log: %s",
                            inst.address,
                            code,
                            proc.log_tail(300),
                        )
                        self.retire_locked(inst, f"process exited (code {code})")
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

    def _probe(self, inst: Instance, gen: int) -> None:
        """Ask an instance for info(); gen -1 brings a remote in, else a wedged one goes out."""
        # A remote's info() waits behind whatever conversion it is running for someone else.
        timeout = self.timings.probe_timeout
        if inst.remote:
            timeout = max(timeout, self.config.conversion_timeout + self.timings.socket_grace)
        try:
            inst.client().info(timeout)
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
    """Start target(*args) in a daemon thread: a stuck LibreOffice must not block exit."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread
