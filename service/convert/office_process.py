"""The servers a converter pool supervises: a local LibreOffice server, or a remote unoserver.

A local one runs service.convert.rpc_server (LibreOffice on an owner-only pipe, XML-RPC on a
secret path, a fresh secret at every start) in its slot; a remote one is a plain unoserver.
Both are Processes (service.convert.process) with a client to convert through.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

from service.convert.office_profile import lean_profile, office_pipe_paths
from service.convert.process import ProcessFailed
from service.convert.rpc_client import SECRET_ENV, UnoserverClient
from service.convert.slots import GROUP_FILE, Slot, Slots, signal_group
from service.core.files import private_folder

log = logging.getLogger("service.convert")

SOFFICE_NAMES = frozenset({"soffice.bin", "soffice"})


class OfficeProcess:
    """A local converter server in its own session, so its LibreOffice dies with it.

    Every start makes a new secret (handed over in the environment) and a new pipe name, so a
    client of an earlier start is refused, never served by a later one. The server keeps its
    slot (ports and directory) from one start to the next unless a stranger takes its ports.
    """

    def __init__(
        self,
        command: Sequence[str],
        slots: Slots,
        conversion_timeout: float,
        poll: float = 0.25,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = tuple(command)
        self.env = dict(env or {})  # added to the server's (and so LibreOffice's) environment
        self.slots = slots
        self.slot: Slot = slots.claim()
        self.conversion_timeout = conversion_timeout
        self.poll = poll  # seconds between info() calls while it starts
        self.popen: subprocess.Popen[bytes] | None = None
        self._soffice: psutil.Process | None = None
        self._reported = False
        self.secret: str | None = None
        self.pipe_name: str | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.slot.port}"

    @property
    def home(self) -> Path:
        return self.slot.home

    @property
    def profile_dir(self) -> Path:
        return self.home / "profile"

    @property
    def tmp_dir(self) -> Path:
        return self.home / "tmp"

    @property
    def log_path(self) -> Path:
        return self.home / "unoserver.log"

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def argv(self) -> list[str]:
        """Build the command line of the server (no secret: every user can read it)."""
        argv = [
            *self.command,
            "--port",
            str(self.slot.port),
            "--user-installation",
            str(self.profile_dir.resolve()),
            "--temp-dir",
            str(self.tmp_dir.resolve()),
            "--conversion-timeout",
            f"{self.conversion_timeout:g}",
        ]
        if self.pipe_name:
            argv += ["--pipe-name", self.pipe_name]
        # A local server is this service's own: it ends with it, even when the service is killed.
        return [*argv, "--stop-with-parent"]

    def client(self) -> UnoserverClient:
        """A client for this start of the server, carrying its secret."""
        return UnoserverClient(self.address, secret=self.secret)

    # -- the Process calls ----------------------------------------------------------------------

    def start(self, deadline: float, abort: Callable[[], bool]) -> None:
        """Spawn the server in its slot and wait until it answers info(), or say why not."""
        self.popen, self._soffice, self._reported = None, None, False
        try:
            self.slot = self.slots.renew(self.slot)
            self._spawn()
        except (OSError, RuntimeError) as exc:
            raise ProcessFailed(f"cannot start unoserver: {exc}") from exc
        problem = self._wait_ready(deadline, abort)
        if problem is not None:
            raise ProcessFailed(f"startup failed: {problem}")

    def stop(self, grace: float = 0.0) -> None:
        """Stop the server and its LibreOffice: SIGTERM and `grace` seconds, then SIGKILL all."""
        if self.popen is None:
            return
        pgid = self.popen.pid  # session leader: its pid is the group id
        if grace > 0 and self.popen.poll() is None:
            # The server passes SIGTERM on to LibreOffice and exits; each parent then reaps its
            # child, where signalling the whole group would leave orphans for init to reap.
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("converter pid %s ignored SIGTERM for %g s", pgid, grace)
        # Even after the leader exits, LibreOffice may linger in the group.
        signal_group(pgid, signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            log.error("converter pid %s did not die after SIGKILL", pgid)
            return
        (self.home / GROUP_FILE).unlink(missing_ok=True)
        if self.pipe_name:  # a killed LibreOffice leaves its pipe's socket file behind
            for path in office_pipe_paths(self.pipe_name):
                path.unlink(missing_ok=True)

    def failure(self) -> str | None:
        """None while the server and (once seen) its LibreOffice run; else how it ended."""
        if self.alive():
            return None
        code = self.returncode()
        if not self._reported:  # the monitor and a failed call may both ask: log it once
            self._reported = True
            tail = self.log_tail(300)
            log.warning("converter %s exited (code %s); log: %s", self.address, code, tail)
        return f"exited (code {code})"

    # -- its parts ------------------------------------------------------------------------------

    def _spawn(self) -> None:
        """Spawn the server; LibreOffice temp files stay under this instance's directory."""
        private_folder(self.profile_dir)
        if lean_profile(self.profile_dir):
            log.info("made the LibreOffice profile in %s lean", self.profile_dir)
        # Leftover input/output files of killed conversions.
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        private_folder(self.tmp_dir)
        # A SIGKILLed LibreOffice leaves its lock; it is harmless, but nothing else owns it.
        (self.profile_dir / ".lock").unlink(missing_ok=True)
        self.secret = secrets.token_urlsafe(32)
        self.pipe_name = f"vb-{secrets.token_hex(16)}"
        env = dict(os.environ, **self.env, TMPDIR=str(self.tmp_dir.resolve()),
                   **{SECRET_ENV: self.secret})
        argv = self.argv()
        # The log shows documents' paths and LibreOffice's errors: the service's eyes only.
        descriptor = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(descriptor, "ab") as logfile:
            logfile.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {argv}\n".encode())
            logfile.flush()
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                close_fds=True,
            )
        (self.home / GROUP_FILE).write_text(f"{self.popen.pid}\n", encoding="ascii")
        log.debug("started converter pid %s on %s", self.popen.pid, self.address)

    def _wait_ready(self, deadline: float, should_abort: Callable[[], bool]) -> str | None:
        """Poll info() every `poll` seconds until it answers; None when ready, else why not."""
        client = self.client()
        last = "no answer yet"
        while True:
            if should_abort():
                return "aborted"
            if self.exited():
                return f"server exited with {self.returncode()}: {self.log_tail()}"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"not ready before the startup timeout ({last})"
            try:
                client.info(timeout=min(2.0, max(0.5, remaining)))
            except Exception as exc:  # not up yet: refused, reset, timed out
                last = f"{type(exc).__name__}: {exc}"
                time.sleep(min(self.poll, max(0.0, deadline - time.monotonic())))
                continue
            self._soffice = self._find_soffice()
            return None

    def _find_soffice(self) -> psutil.Process | None:
        if self.popen is None:
            return None
        try:
            children = psutil.Process(self.popen.pid).children(recursive=True)
        except psutil.Error:
            return None
        for child in children:
            try:
                if child.name() in SOFFICE_NAMES:
                    return child
            except psutil.Error:
                continue
        return None

    def exited(self) -> bool:
        return self.popen is None or self.popen.poll() is not None

    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def alive(self) -> bool:
        """Tell whether the server and (once seen) its LibreOffice still run."""
        if self.exited():
            return False
        if self._soffice is None:
            return True
        try:
            return bool(
                self._soffice.is_running() and self._soffice.status() != psutil.STATUS_ZOMBIE
            )
        except psutil.Error:
            return False

    def log_tail(self, limit: int = 400) -> str:
        """Return the end of the instance log, for error messages."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                return fh.read().decode("utf-8", "replace").strip().replace("\n", " | ")
        except OSError:
            return ""


class RemoteServer:
    """A plain unoserver run elsewhere: the pool probes it, and never starts or stops it."""

    pid = None

    def __init__(self, address: str) -> None:
        self.address = address

    def client(self) -> UnoserverClient:
        return UnoserverClient(self.address)

    def start(self, deadline: float, abort: Callable[[], bool]) -> None:
        """Nothing to start: it runs elsewhere (the supervisor probes it into service)."""

    def stop(self, grace: float = 0.0) -> None:
        """Nothing to stop: it runs elsewhere."""

    def failure(self) -> None:
        """Only a probe or a failed call tells: a remote has no process here to watch."""
        return None
