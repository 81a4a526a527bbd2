"""DOCX to PDF through a supervised pool of unoserver instances, one document per instance.

LibreOffice converts one document at a time, hangs on some files and leaks over long runs, so
the pool runs N unoserver processes (each with its own ports and profile), checks them out one
caller at a time, and retries a failed conversion once on another instance; the Supervisor
(instances.py) kills and restarts an instance that crashed, hung or converted
`max_conversions` documents.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import time
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.convert.instances import IN_SERVICE, Instance, InstanceState, Supervisor, Timings
from service.core.converter import (
    ConversionFailed,
    ConverterUnavailable,
    check_docx,
    filter_options,
)
from service.core.pdf_checks import validate_pdf
from service.settings import Settings

log = logging.getLogger("service.convert")


@dataclass(frozen=True)
class PoolConfig:
    """How many converters to run and how to supervise them."""

    # Local unoserver instances (0 allowed when remotes are given). One per core plus one: the
    # spare converts while the others' documents travel and render (+8% docs/s on 2 cores).
    size: int = (os.cpu_count() or 1) + 1
    base_port: int = 2100  # instance i: XML-RPC base_port+2*i, UNO +1 (ports in use are skipped)
    conversion_timeout: float = 60.0  # seconds per conversion before the instance is restarted
    max_conversions: int = 200  # restart an instance after this many conversions (leaks)
    acquire_timeout: float = 15.0  # wait this long for a free healthy instance
    startup_timeout: float = 60.0
    remotes: tuple[str, ...] = ()  # "host:port" of unoservers run elsewhere; never restarted
    work_dir: Path = Path("var/pool")  # profiles (one per instance) and logs
    server_command: tuple[str, ...] = (sys.executable, "-m", "service.convert.uno_server")
    timings: Timings = field(default_factory=Timings)  # tests shrink these; nobody else needs to

    @classmethod
    def from_settings(cls, settings: Settings) -> PoolConfig:
        """Build the pool's configuration from the service Settings."""
        return cls(
            size=settings.pool_size,
            base_port=settings.pool_base_port,
            conversion_timeout=settings.conversion_timeout,
            max_conversions=settings.max_conversions,
            acquire_timeout=settings.acquire_timeout,
            remotes=tuple(settings.remote_unoservers),
            work_dir=settings.data_dir / "pool",
        )


class _BrokenInstance(Exception):
    """The instance itself failed (crash, hang, dropped connection); it has been taken out."""


class _BadOutput(Exception):
    """The instance answered, but not with a usable PDF; the instance itself is fine."""


class ConverterPool:
    """A supervised pool of unoserver instances that converts DOCX to PDF."""

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
        self._supervisor = Supervisor(config)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, wait: bool = False) -> None:
        """Start the instances in the background; with wait, block until all are ready."""
        if self._supervisor.start():
            atexit.register(self.close)
        if wait:
            self.wait_ready(self.config.startup_timeout)

    def wait_ready(self, timeout: float) -> bool:
        """Block until every instance is in service or timeout passes; say whether they are."""
        sup = self._supervisor
        with sup.cond:
            ok = sup.cond.wait_for(
                lambda: sup.stopping or all(i.state in IN_SERVICE for i in sup.instances),
                timeout=timeout,
            )
            states = [(i.address, i.state.value, i.last_error) for i in sup.instances]
            ok = ok and not sup.stopping
        if not ok:
            log.warning("converter pool not fully ready after %g s: %s", timeout, states)
        return ok

    def close(self) -> None:
        """Kill every local instance with its LibreOffice; safe to call more than once."""
        atexit.unregister(self.close)
        self._supervisor.stop()

    def __enter__(self) -> ConverterPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- converting ---------------------------------------------------------------------------

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        """Convert a DOCX to PDF (PDF/A-1b/2b/3b with pdf_version 1/2/3); retry once."""
        options = filter_options(pdf_version)
        check_docx(docx)
        errors: list[str] = []
        avoid: tuple[Instance, int] | None = None
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

    def _convert_on(self, inst: Instance, gen: int, docx: bytes, options: list[str]) -> bytes:
        """Run one attempt on a checked-out instance; retire the instance if it broke."""
        timeout = self.config.conversion_timeout + self.config.timings.socket_grace
        try:
            data = inst.client().convert(docx, options, timeout)
        except xmlrpc.client.Fault as fault:
            message = _fault_text(fault)
            if _fault_means_dead(message) or inst.lost_libreoffice():
                self._supervisor.retire(inst, gen, f"LibreOffice failed: {message}")
                raise _BrokenInstance(message) from fault
            # The server is fine: LibreOffice could not load or export this document.
            raise _BadOutput(f"unoserver error: {message}") from fault
        except TimeoutError as exc:
            reason = f"no answer within {timeout:g} s"
            self._supervisor.retire(inst, gen, reason)
            raise _BrokenInstance(reason) from exc
        except Exception as exc:  # refused, reset, HTTP or XML garbage: the instance is suspect
            reason = f"connection failed: {type(exc).__name__}: {exc}"
            self._supervisor.retire(inst, gen, reason)
            raise _BrokenInstance(reason) from exc
        try:
            validate_pdf(data)
        except ValueError as exc:
            raise _BadOutput(str(exc)) from exc
        return data

    # -- checking instances out and in --------------------------------------------------------

    def _checkout(self, avoid: tuple[Instance, int] | None) -> tuple[Instance, int]:
        """Take an idle instance, preferring one other than `avoid`; wait up to acquire_timeout."""
        sup = self._supervisor
        deadline = time.monotonic() + self.config.acquire_timeout
        with sup.cond:
            if not sup.started:
                raise ConverterUnavailable("the converter pool has not been started")
            while True:
                if sup.stopping:
                    raise ConverterUnavailable("the converter pool is stopped")
                inst = self._pick_idle(avoid)
                if inst is not None:
                    sup.idle.remove(inst)
                    inst.state = InstanceState.BUSY
                    inst.last_used = time.monotonic()
                    return inst, inst.generation
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    busy = sum(i.state == InstanceState.BUSY for i in sup.instances)
                    total = len(sup.instances)
                    raise ConverterUnavailable(
                        f"no converter free within {self.config.acquire_timeout:g} s "
                        f"({busy} of {total} busy, {total - busy} out of service)"
                    )
                sup.cond.wait(remaining)

    def _pick_idle(self, avoid: tuple[Instance, int] | None) -> Instance | None:
        idle = self._supervisor.idle
        if avoid is None:
            return idle[0] if idle else None
        bad, bad_gen = avoid
        for inst in idle:
            if inst is not bad or inst.generation != bad_gen:
                return inst
        if bad in idle:
            # Only the instance that just failed is free: take it if no other is in service.
            others = (i for i in self._supervisor.instances if i is not bad)
            if not any(i.state in IN_SERVICE for i in others):
                return bad
        return None

    def _release(
        self, inst: Instance, gen: int, *, converted: bool = False, error: str | None = None
    ) -> None:
        """Give a checked-out instance back, or recycle it after max_conversions."""
        sup = self._supervisor
        with sup.cond:
            if inst.generation != gen or inst.state != InstanceState.BUSY:
                return  # retired meanwhile; its supervisor owns it now
            inst.last_used = time.monotonic()
            if error is not None:
                inst.last_error = error
            if converted:
                inst.conversions += 1
                inst.since_start += 1
                inst.failures = 0
                if self._due_for_recycling_locked(inst):
                    log.info("recycling %s after %d conversions", inst.address, inst.since_start)
                    inst.recycle = True
                    sup.retire_locked(inst, None)
                    return
            sup.enter_service_locked(inst)

    def _due_for_recycling_locked(self, inst: Instance) -> bool:
        """Whether a local instance has converted enough to be restarted now.

        Instances under even load reach max_conversions together; restarting them together
        would leave the pool with none (health 503, requests waiting 15 s). So an instance
        waits while no other is in service, up to twice the count (leaks stay bounded).
        """
        if inst.remote or inst.since_start < self.config.max_conversions:
            return False
        others = [i for i in self._supervisor.instances if i is not inst]
        in_service = any(i.state in IN_SERVICE for i in others)
        return in_service or not others or inst.since_start >= 2 * self.config.max_conversions

    # -- reporting ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Report the pool's state without touching LibreOffice (the monitor keeps it true)."""
        sup = self._supervisor
        with sup.cond:
            instances = [i.describe() for i in sup.instances]
            stopping = sup.stopping
        ready = sum(i["state"] in IN_SERVICE for i in instances)
        return {
            "ok": ready > 0 and not stopping,
            "ready": ready,
            "size": len(instances),
            "busy": sum(i["state"] == InstanceState.BUSY for i in instances),
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
