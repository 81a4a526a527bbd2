"""DOCX to PDF through a supervised pool of unoserver instances, one document per instance.

LibreOffice converts one document at a time, hangs on some files and leaks over long runs, so
the pool runs N unoserver processes (each with its own ports and profile), checks them out one
caller at a time, and retries a failed conversion once on another instance; the generic
Supervisor (supervisor.py) stops and restarts an instance that crashed, hung or converted
`max_conversions` documents. Here: what a conversion is, and which failures mean what.
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

from service.convert import fonts
from service.convert.office_process import OfficeProcess, RemoteServer
from service.convert.process import Instance, Timings
from service.convert.slots import Slots
from service.convert.supervisor import Supervisor
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
    server_command: tuple[str, ...] = (sys.executable, "-m", "service.convert.rpc_server")
    timings: Timings = field(default_factory=Timings)  # tests shrink these; nobody else needs to
    font_dir: Path | None = None  # the office's own fonts (service.convert.fonts)

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
            font_dir=Path(settings.font_dir) if settings.font_dir else None,
        )


class _BrokenInstance(Exception):
    """The instance itself failed (crash, hang, dropped connection); it has been taken out."""


class _BadOutput(Exception):
    """The instance answered, but not with a usable PDF; the instance itself is fine."""


Server = OfficeProcess | RemoteServer


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
        self._slots = Slots(config.work_dir, config.base_port)
        self._font_env: dict[str, str] = {}
        self.serif_font = ""  # what Times New Roman is set in, once the local servers exist
        timings = config.timings
        self._supervisor: Supervisor[Server] = Supervisor(
            [RemoteServer(address) for address in config.remotes],
            self._local_servers,
            _probe,
            max_tasks=config.max_conversions,
            acquire_timeout=config.acquire_timeout,
            startup_timeout=config.startup_timeout,
            remote_timeout=config.conversion_timeout + timings.socket_grace,
            timings=timings,
        )

    def _local_servers(self) -> list[Server]:
        """One server per local slot, its ports and directory held for this pool."""
        cfg = self.config
        if cfg.size:
            self._font_env = fonts.environment(cfg.font_dir, cfg.work_dir)
            self.serif_font = fonts.described(fonts.serif_face(self._font_env))
        return [
            OfficeProcess(
                cfg.server_command, self._slots, cfg.conversion_timeout, cfg.timings.startup_poll,
                env=self._font_env,
            )
            for _ in range(cfg.size)
        ]

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, wait: bool = False) -> None:
        """Start the instances in the background; with wait, block until all are ready."""
        if self._supervisor.start():
            atexit.register(self.close)
        if wait:
            self.wait_ready(self.config.startup_timeout)

    def wait_ready(self, timeout: float) -> bool:
        """Block until every instance is in service or timeout passes; say whether they are."""
        return self._supervisor.wait_ready(timeout)

    def close(self) -> None:
        """Kill every local instance with its LibreOffice; safe to call more than once."""
        atexit.unregister(self.close)
        self._supervisor.stop()
        self._slots.release()

    def __enter__(self) -> ConverterPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- converting ---------------------------------------------------------------------------

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Convert a DOCX to PDF (PDF/A-1b/2b/3b with pdf_version 1/2/3); retry once.

        With `destinations`, bookmarks become named destinations (a batch's documents).
        """
        options = filter_options(pdf_version, destinations)
        check_docx(docx)
        sup = self._supervisor
        errors: list[str] = []
        avoid: tuple[Instance[Server], int] | None = None
        for _attempt in range(2):
            try:
                inst, gen = sup.checkout(avoid)
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
                sup.release(inst, gen, error=str(exc))
            else:
                sup.release(inst, gen, done=True)
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

    def _convert_on(
        self, inst: Instance[Server], gen: int, docx: bytes, options: list[str]
    ) -> bytes:
        """Run one attempt on a checked-out instance; retire the instance if it broke."""
        timeout = self.config.conversion_timeout + self.config.timings.socket_grace
        try:
            data = inst.process.client().convert(docx, options, timeout)
        except xmlrpc.client.Fault as fault:
            message = _fault_text(fault)
            # A local server that lost its LibreOffice exits soon after such a fault.
            if _fault_means_dead(message) or inst.process.failure() is not None:
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

    # -- reporting ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Report the pool's state without touching LibreOffice (the monitor keeps it true)."""
        return {**self._supervisor.report(), "serif_font": self.serif_font}


def _probe(server: Server, timeout: float) -> None:
    """Ask a server for info(): it goes through LibreOffice, so it proves that answers too."""
    server.client().info(timeout)


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
