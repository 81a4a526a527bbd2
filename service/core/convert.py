"""DOCX to PDF through a supervised pool of unoserver instances, one document per instance.

LibreOffice converts one document at a time, hangs on some files and leaks over long runs, so
the pool runs N unoserver processes (each with its own ports and profile), checks them out one
caller at a time, kills and restarts an instance that crashes, hangs or has converted
`max_conversions` documents, and retries a failed conversion once on another instance.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import sys
import threading
import time
import xmlrpc.client
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pypdf import PdfReader, PdfWriter

from service.core.unoserver_process import (
    SOCKET_GRACE,
    Slot,
    UnoserverClient,
    UnoserverProcess,
    claim_slot,
)

log = logging.getLogger("service.convert")

PDF_VERSIONS = (1, 2, 3)  # PDF/A-1b, PDF/A-2b, PDF/A-3b
EOF_WINDOW = 1024  # %%EOF must sit in the last KiB, where readers look for it
ZIP_SIGNATURE = b"PK\x03\x04"  # every DOCX is a ZIP file


@dataclass(frozen=True)
class PoolConfig:
    """How many converters to run and how to supervise them."""

    size: int = os.cpu_count() or 1  # local unoserver instances (0 allowed when remotes are given)
    base_port: int = 2100  # instance i: XML-RPC base_port+2*i, UNO +1 (ports in use are skipped)
    conversion_timeout: float = 60.0  # seconds per conversion before the instance is restarted
    max_conversions: int = 200  # restart an instance after this many conversions (leaks)
    acquire_timeout: float = 15.0  # wait this long for a free healthy instance
    startup_timeout: float = 60.0
    remotes: tuple[str, ...] = ()  # "host:port" of unoservers run elsewhere; never restarted
    work_dir: Path = Path("var/pool")  # profiles (one per instance) and logs
    server_command: tuple[str, ...] = (sys.executable, "-m", "unoserver.server")

    @classmethod
    def from_settings(cls, settings: Any) -> PoolConfig:
        """The pool's configuration from the service Settings (web app, CLI, bulk workers)."""
        return cls(
            size=settings.pool_size,
            base_port=settings.pool_base_port,
            conversion_timeout=settings.conversion_timeout,
            max_conversions=settings.max_conversions,
            acquire_timeout=settings.acquire_timeout,
            remotes=tuple(settings.remote_unoservers),
            work_dir=settings.data_dir / "pool",
        )


class ConversionError(Exception):
    """A document could not be converted to PDF."""


class ConverterUnavailable(ConversionError):
    """No converter could take the work in time; try again later."""


class ConversionFailed(ConversionError):
    """The conversion failed on two instances, or the output was not a PDF."""


@runtime_checkable
class Converter(Protocol):
    """What the rest of the service needs from a converter."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes: ...

    def health(self) -> dict[str, Any]: ...


def filter_options(pdf_version: int | None) -> list[str]:
    """Return the PDF export filter options for plain PDF (None) or PDF/A-1b/2b/3b."""
    if pdf_version is None:
        return []
    if pdf_version not in PDF_VERSIONS:
        raise ValueError(f"pdf_version must be None, 1, 2 or 3, not {pdf_version!r}")
    return [f"SelectPdfVersion={pdf_version}", "UseTaggedPDF=true"]


def validate_pdf(data: bytes) -> int:
    """Check that data is a readable PDF with at least one page; return the page count."""
    if not isinstance(data, bytes | bytearray):
        raise ValueError(f"expected bytes, got {type(data).__name__}")
    if not data.startswith(b"%PDF-"):
        raise ValueError(f"not a PDF: starts with {bytes(data[:40])!r}")
    if b"%%EOF" not in data[-EOF_WINDOW:]:
        raise ValueError("truncated PDF: no %%EOF at the end")
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise ValueError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    if pages < 1:
        raise ValueError("PDF has no pages")
    return pages


# Instance states, as health() reports them.
STARTING = "starting"  # a local process is being (re)started, or a remote not yet probed
READY = "ready"  # idle, in the queue
BUSY = "busy"  # checked out: converting, or being probed
DEAD = "dead"  # failed; a local one is being killed and will restart
UNHEALTHY = "unhealthy"  # a remote that failed; re-probed after a pause
STOPPED = "stopped"


class _BrokenInstance(Exception):
    """The instance itself failed (crash, hang, dropped connection); it has been taken out."""


class _BadOutput(Exception):
    """The instance answered, but not with a usable PDF; the instance itself is fine."""


@dataclass(eq=False)
class _Instance:
    """One converter the pool hands out: a local process slot or a remote address."""

    index: int
    address: str
    remote: bool
    slot: Slot | None = None  # local: ports and directory
    process: UnoserverProcess | None = None
    state: str = STARTING
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
        return {
            "address": self.address,
            "kind": "remote" if self.remote else "local",
            "state": self.state,
            "pid": self.process.pid if self.process is not None else None,
            "conversions": self.conversions,
            "restarts": self.restarts,
            "last_error": self.last_error,
        }


class ConverterPool:
    """A supervised pool of unoserver instances that converts DOCX to PDF."""

    monitor_interval = 0.5  # seconds between liveness checks
    idle_probe_interval = 60.0  # info() a local instance idle this long, to catch a wedged one
    probe_timeout = 10.0
    max_backoff = 30.0
    recycle_grace = 5.0  # SIGTERM, then SIGKILL, when recycling a healthy instance
    stop_grace = 3.0

    def __init__(self, config: PoolConfig) -> None:
        if config.size < 0:
            raise ValueError("size must be >= 0")
        if config.size == 0 and not config.remotes:
            raise ValueError("a pool needs local instances (size > 0) or remotes")
        if config.max_conversions < 1:
            raise ValueError("max_conversions must be >= 1")
        for remote in config.remotes:
            _check_address(remote)
        self.config = config
        self._cond = threading.Condition()
        self._idle: deque[_Instance] = deque()
        self._instances = [
            _Instance(index=config.size + i, address=remote, remote=True)
            for i, remote in enumerate(config.remotes)
        ]
        self._started = False
        self._stopping = False
        self._stop_event = threading.Event()
        self._monitor: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, wait: bool = False) -> None:
        """Start the instances in the background; with wait, block until all are ready."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("a stopped pool cannot be started again")
            if not self._started:
                self._start_locked()
        if wait:
            self.wait_ready(self.config.startup_timeout)

    def _start_locked(self) -> None:
        cfg = self.config
        if cfg.size:
            cfg.work_dir.mkdir(parents=True, exist_ok=True)
            held: set[int] = set()
            for i in range(cfg.size):
                slot = claim_slot(cfg.work_dir, cfg.base_port, reserved=held)
                held.update((slot.port, slot.uno_port))
                self._instances.insert(
                    i, _Instance(index=i, address=f"127.0.0.1:{slot.port}", remote=False, slot=slot)
                )
        self._started = True
        atexit.register(self.stop)
        for inst in self._instances:
            if not inst.remote:
                inst.thread = threading.Thread(
                    target=self._supervise, args=(inst,), name=f"convert-{inst.index}", daemon=True
                )
                inst.thread.start()
        self._monitor = threading.Thread(target=self._watch, name="convert-monitor", daemon=True)
        self._monitor.start()
        log.info(
            "converter pool starting: local %s, remote %s",
            ", ".join(i.address for i in self._instances if not i.remote) or "-",
            ", ".join(cfg.remotes) or "-",
        )

    def wait_ready(self, timeout: float) -> bool:
        """Block until every instance is in service or timeout passes; say whether they are."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self._stopping or all(i.state in (READY, BUSY) for i in self._instances),
                timeout=timeout,
            )
            states = [(i.address, i.state, i.last_error) for i in self._instances]
            ok = ok and not self._stopping
        if not ok:
            log.warning("converter pool not fully ready after %g s: %s", timeout, states)
        return ok

    def stop(self) -> None:
        """Kill every local instance with its LibreOffice; safe to call more than once."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._stop_event.set()
            for inst in self._instances:
                inst.state = STOPPED
                inst.wake.set()
            self._idle.clear()
            self._cond.notify_all()
        atexit.unregister(self.stop)
        # Each supervisor kills its own process group (SIGTERM, grace, SIGKILL), all at once.
        for inst in self._instances:
            if inst.thread is not None:
                inst.thread.join(self.stop_grace + 15)
                if inst.thread.is_alive() and inst.process is not None:
                    log.error("converter %s: supervisor stuck, killing its process", inst.address)
                    inst.process.kill()
        if self._monitor is not None:
            self._monitor.join(5)
        for inst in self._instances:
            if inst.slot is not None:
                inst.slot.release()
        log.info("converter pool stopped")

    def __enter__(self) -> ConverterPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- converting ---------------------------------------------------------------------------

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        """Convert a DOCX to PDF (PDF/A-1b/2b/3b with pdf_version 1/2/3); retry once."""
        options = filter_options(pdf_version)
        if not docx.startswith(ZIP_SIGNATURE):
            # LibreOffice would import any bytes as plain text and "succeed".
            raise ConversionFailed("the input is not a DOCX (no ZIP signature)")
        errors: list[str] = []
        avoid: tuple[_Instance, int] | None = None
        for _attempt in range(2):
            try:
                inst, gen = self._checkout(avoid)
            except ConverterUnavailable as exc:
                if errors:
                    raise ConverterUnavailable(f"{exc}; first attempt: {errors[0]}") from exc
                raise
            started = time.monotonic()
            try:
                pdf = self._convert_on(inst, gen, docx, options)
            except _BrokenInstance as exc:
                errors.append(f"{inst.address}: {exc}")
                log.warning("conversion on %s failed, instance taken out: %s", inst.address, exc)
            except _BadOutput as exc:
                errors.append(f"{inst.address}: {exc}")
                log.warning("conversion on %s gave no usable PDF: %s", inst.address, exc)
                self._release(inst, gen, error=str(exc))
            else:
                self._release(inst, gen, converted=True)
                log.debug(
                    "converted %d bytes of DOCX to %d of PDF on %s in %.2f s",
                    len(docx),
                    len(pdf),
                    inst.address,
                    time.monotonic() - started,
                )
                return pdf
            avoid = (inst, gen)
        raise ConversionFailed("conversion failed twice: " + "; ".join(errors))

    def _convert_on(self, inst: _Instance, gen: int, docx: bytes, options: list[str]) -> bytes:
        """Run one attempt on a checked-out instance; retire the instance if it broke."""
        timeout = self.config.conversion_timeout + SOCKET_GRACE
        try:
            data = UnoserverClient(inst.address).convert(docx, options, timeout)
        except xmlrpc.client.Fault as fault:
            message = _fault_text(fault)
            if _fault_means_dead(message) or self._lost_libreoffice(inst):
                self._retire(inst, gen, f"LibreOffice failed: {message}")
                raise _BrokenInstance(message) from fault
            # The server is fine: LibreOffice could not load or export this document.
            raise _BadOutput(f"unoserver error: {message}") from fault
        except TimeoutError as exc:
            reason = f"no answer within {timeout:g} s"
            self._retire(inst, gen, reason)
            raise _BrokenInstance(reason) from exc
        except Exception as exc:  # refused, reset, HTTP or XML garbage: the instance is suspect
            reason = f"connection failed: {type(exc).__name__}: {exc}"
            self._retire(inst, gen, reason)
            raise _BrokenInstance(reason) from exc
        try:
            validate_pdf(data)
        except ValueError as exc:
            raise _BadOutput(str(exc)) from exc
        return data

    def _lost_libreoffice(self, inst: _Instance) -> bool:
        """After a fault, tell whether the server lost its LibreOffice (it exits soon after)."""
        if inst.remote or inst.process is None:
            return False
        return not inst.process.alive()

    def _checkout(self, avoid: tuple[_Instance, int] | None) -> tuple[_Instance, int]:
        """Take an idle instance, preferring one other than `avoid`; wait up to acquire_timeout."""
        deadline = time.monotonic() + self.config.acquire_timeout
        with self._cond:
            if not self._started:
                raise ConverterUnavailable("the converter pool has not been started")
            while True:
                if self._stopping:
                    raise ConverterUnavailable("the converter pool is stopped")
                inst = self._pick_idle(avoid)
                if inst is not None:
                    self._idle.remove(inst)
                    inst.state = BUSY
                    inst.last_used = time.monotonic()
                    return inst, inst.generation
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    states = [i.state for i in self._instances]
                    raise ConverterUnavailable(
                        f"no converter free within {self.config.acquire_timeout:g} s "
                        f"({states.count(BUSY)} of {len(states)} busy, "
                        f"{len(states) - states.count(BUSY)} out of service)"
                    )
                self._cond.wait(remaining)

    def _pick_idle(self, avoid: tuple[_Instance, int] | None) -> _Instance | None:
        if avoid is None:
            return self._idle[0] if self._idle else None
        bad, bad_gen = avoid
        for inst in self._idle:
            if inst is not bad or inst.generation != bad_gen:
                return inst
        if bad in self._idle:
            # Only the instance that just failed is free: take it if no other is in service.
            if not any(i is not bad and i.state in (READY, BUSY) for i in self._instances):
                return bad
        return None

    def _release(
        self, inst: _Instance, gen: int, *, converted: bool = False, error: str | None = None
    ) -> None:
        """Give a checked-out instance back, or recycle it after max_conversions."""
        with self._cond:
            if inst.generation != gen or inst.state != BUSY:
                return  # retired meanwhile; its supervisor owns it now
            inst.last_used = time.monotonic()
            if error is not None:
                inst.last_error = error
            if converted:
                inst.conversions += 1
                inst.since_start += 1
                inst.failures = 0
                if not inst.remote and inst.since_start >= self.config.max_conversions:
                    log.info("recycling %s after %d conversions", inst.address, inst.since_start)
                    inst.recycle = True
                    self._retire_locked(inst, None)
                    return
            inst.state = READY
            self._idle.append(inst)
            self._cond.notify_all()

    def _retire(self, inst: _Instance, gen: int, reason: str) -> None:
        """Take a failed instance out of service (a local one gets restarted)."""
        with self._cond:
            if inst.generation != gen or inst.state not in (READY, BUSY):
                return  # already handled
            log.warning("converter %s out of service: %s", inst.address, reason)
            self._retire_locked(inst, reason)

    def _retire_locked(self, inst: _Instance, reason: str | None) -> None:
        if inst in self._idle:
            self._idle.remove(inst)
        if reason is not None:
            inst.last_error = reason
            inst.failures += 1
        if inst.remote:
            inst.state = UNHEALTHY
            inst.retry_at = time.monotonic() + self._backoff(inst.failures, floor=2.0)
        else:
            inst.state = DEAD
            inst.wake.set()
        self._cond.notify_all()

    def _backoff(self, failures: int, floor: float = 0.0) -> float:
        """Seconds to wait before the next start or probe: none at first, then doubling."""
        if failures <= 1:
            return floor
        return min(self.max_backoff, max(floor, 0.5 * 2 ** (failures - 2)))

    # -- supervision --------------------------------------------------------------------------

    def _supervise(self, inst: _Instance) -> None:
        """Run one local instance: start, serve until retired, kill, back off, start again."""
        restart = False
        while not self._stopping:
            try:
                self._run_once(inst, restart)
            except Exception:  # a bug here must not leave the slot dead for good
                log.exception("converter %s: supervisor error", inst.address)
                with self._cond:
                    if not self._stopping:
                        inst.state = DEAD
                        inst.failures += 1
                if inst.process is not None:
                    inst.process.kill()
            restart = True
        if inst.process is not None:
            inst.process.kill(grace=self.stop_grace)

    def _run_once(self, inst: _Instance, restart: bool) -> None:
        """Start one unoserver for the instance, serve until it is retired, then kill it."""
        cfg = self.config
        if restart:
            delay = 0.0 if inst.recycle else self._backoff(inst.failures)
            if delay and self._stop_event.wait(delay):
                return
        with self._cond:
            if self._stopping:
                return
            if restart:
                inst.restarts += 1
            inst.recycle = False
            inst.state = STARTING
            inst.wake.clear()
            try:
                slot = self._slot_for(inst)
                proc = UnoserverProcess(
                    cfg.server_command, slot.port, slot.uno_port, slot.home, cfg.conversion_timeout
                )
                proc.start()
            except (OSError, RuntimeError) as exc:
                inst.failures += 1
                inst.state = DEAD
                inst.last_error = f"cannot start unoserver: {exc}"
                log.error("converter %s: %s", inst.address, inst.last_error)
                return
            inst.process = proc
        started = time.monotonic()
        problem = proc.wait_ready(started + cfg.startup_timeout, self._stop_event.is_set)
        with self._cond:
            if self._stopping:
                return
            if problem is None:
                inst.state = READY
                inst.generation += 1
                inst.since_start = 0
                inst.last_used = time.monotonic()
                self._idle.append(inst)
                self._cond.notify_all()
                log.info(
                    "converter %s ready (pid %s) in %.1f s",
                    inst.address,
                    proc.pid,
                    time.monotonic() - started,
                )
            else:
                inst.state = DEAD
                inst.failures += 1
                inst.last_error = f"startup failed: {problem}"
                log.error("converter %s %s", inst.address, inst.last_error)
        if problem is None:
            inst.wake.wait()  # until retired, recycled or stopping
            if self._stopping:
                return
        proc.kill(grace=self.recycle_grace if inst.recycle else 0.0)

    def _slot_for(self, inst: _Instance) -> Slot:
        """Keep the instance's ports unless a stranger took them meanwhile."""
        assert inst.slot is not None
        if inst.slot.ports_free():
            return inst.slot
        inst.slot.release()
        held = {
            port
            for other in self._instances
            if other is not inst and other.slot is not None
            for port in (other.slot.port, other.slot.uno_port)
        }
        inst.slot = claim_slot(self.config.work_dir, self.config.base_port, reserved=held)
        inst.address = f"127.0.0.1:{inst.slot.port}"
        log.warning("converter %d moved to %s: its ports were taken", inst.index, inst.address)
        return inst.slot

    def _watch(self) -> None:
        """Notice dead local processes, re-probe unhealthy remotes, probe long-idle instances."""
        while not self._stop_event.wait(self.monitor_interval):
            now = time.monotonic()
            probes: list[tuple[_Instance, int]] = []
            with self._cond:
                for inst in self._instances:
                    proc = inst.process
                    if inst.state in (READY, BUSY) and proc is not None and not proc.alive():
                        code = proc.returncode()
                        log.warning(
                            "converter %s exited (code %s); log: %s",
                            inst.address,
                            code,
                            proc.log_tail(300),
                        )
                        self._retire_locked(inst, f"process exited (code {code})")
                    elif inst.remote and inst.state in (STARTING, UNHEALTHY):
                        if now >= inst.retry_at:
                            inst.retry_at = float("inf")  # no second probe while this one runs
                            probes.append((inst, -1))
                    elif (
                        not inst.remote  # a remote may be busy with other clients' work
                        and inst.state == READY
                        and inst in self._idle
                        and now - inst.last_used >= self.idle_probe_interval
                    ):
                        self._idle.remove(inst)
                        inst.state = BUSY
                        probes.append((inst, inst.generation))
            for inst, gen in probes:
                threading.Thread(
                    target=self._probe, args=(inst, gen), name="convert-probe", daemon=True
                ).start()

    def _probe(self, inst: _Instance, gen: int) -> None:
        """Ask an instance for info(); gen -1 brings a remote in, else a wedged one goes out."""
        # A remote's info() waits behind whatever conversion it is running for someone else.
        timeout = self.probe_timeout
        if inst.remote:
            timeout = max(timeout, self.config.conversion_timeout + SOCKET_GRACE)
        try:
            UnoserverClient(inst.address).info(timeout)
        except Exception as exc:
            reason = f"probe failed: {type(exc).__name__}: {exc}"
            if gen != -1:
                self._retire(inst, gen, reason)
                return
            with self._cond:
                if inst.state in (STARTING, UNHEALTHY):
                    inst.failures += 1
                    inst.last_error = reason
                    inst.state = UNHEALTHY
                    inst.retry_at = time.monotonic() + self._backoff(inst.failures, floor=2.0)
            return
        with self._cond:
            if gen == -1:
                if inst.state not in (STARTING, UNHEALTHY):
                    return
                log.info("remote converter %s in service", inst.address)
                inst.generation += 1
            elif inst.generation != gen or inst.state != BUSY:
                return
            inst.state = READY
            inst.last_used = time.monotonic()
            self._idle.append(inst)
            self._cond.notify_all()

    # -- reporting ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Report the pool's state without touching LibreOffice (the monitor keeps it true)."""
        with self._cond:
            instances = [i.describe() for i in self._instances]
            stopping = self._stopping
        ready = sum(i["state"] in (READY, BUSY) for i in instances)
        return {
            "ok": ready > 0 and not stopping,
            "ready": ready,
            "size": len(instances),
            "busy": sum(i["state"] == BUSY for i in instances),
            "instances": instances,
        }


def _check_address(address: str) -> None:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"a remote unoserver is 'host:port', not {address!r}")


def _fault_text(fault: xmlrpc.client.Fault) -> str:
    return " ".join(str(fault.faultString).split())[:500]


def _fault_means_dead(message: str) -> bool:
    """Tell whether a fault says the server's LibreOffice is gone, not that the file is bad."""
    # unoserver's own timeout kills LibreOffice and exits; a dead bridge shows as
    # DisposedException, or as pyuno failing to convert a traceback (seen after kill -9).
    markers = ("TimeoutError", "DisposedException", "Binary URP bridge", "to a UNO type")
    return any(marker in message for marker in markers)


class FakeConverter:
    """A Converter for unit tests: a blank one-page PDF per call, no LibreOffice."""

    def __init__(self, error: ConversionError | None = None) -> None:
        self.error = error  # raised by convert() when set, e.g. ConverterUnavailable("busy")
        self.calls: list[tuple[bytes, int | None]] = []
        self._lock = threading.Lock()

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        """Record the call and return a blank PDF (or raise the configured error)."""
        filter_options(pdf_version)  # the same argument check as the pool
        with self._lock:
            self.calls.append((docx, pdf_version))
        if self.error is not None:
            raise self.error
        return blank_pdf()

    def health(self) -> dict[str, Any]:
        """Report one always-ready fake instance."""
        return {
            "ok": True,
            "ready": 1,
            "size": 1,
            "busy": 0,
            "instances": [
                {
                    "address": "fake",
                    "kind": "fake",
                    "state": READY,
                    "pid": None,
                    "conversions": len(self.calls),
                    "restarts": 0,
                    "last_error": None,
                }
            ],
        }


def blank_pdf(width: float = 595.28, height: float = 841.89) -> bytes:
    """Return a valid one-page PDF, A4 by default."""
    writer = PdfWriter()
    writer.add_blank_page(width=width, height=height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
