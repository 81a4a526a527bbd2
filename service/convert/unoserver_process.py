"""One local unoserver: its ports and directory, its process group, and the XML-RPC it speaks."""

from __future__ import annotations

import fcntl
import http.client
import logging
import math
import os
import shutil
import signal
import socket
import subprocess
import time
import xmlrpc.client
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import psutil

from service.core.files import private_folder

log = logging.getLogger("service.convert")

API_VERSION = "3"
# How much longer than the server's own conversion timeout the client waits on the socket: the
# server needs a moment to kill LibreOffice and answer; a stopped or wedged server never answers.
SOCKET_GRACE = 3.0
SOFFICE_NAMES = frozenset({"soffice.bin", "soffice"})
# The running server's process group id, kept in its directory: a pool killed by kill -9 stops
# nothing, and the next pool to take the directory ends that group (reap_leftover).
GROUP_FILE = "group"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether a listening socket could be bound on host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # The servers set SO_REUSEADDR too, so TIME_WAIT leftovers do not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Slot:
    """The ports and directory (profile, temp files, log) that one local instance holds.

    The directory is named after the XML-RPC port and locked while held, so pools sharing a
    work_dir (several web workers, say) never share a LibreOffice profile: LibreOffice would
    hand the document over to whichever process owns the profile.
    """

    def __init__(self, port: int, uno_port: int, home: Path, lock: IO[str]) -> None:
        self.port = port
        self.uno_port = uno_port
        self.home = home
        self._lock: IO[str] | None = lock

    def ports_free(self) -> bool:
        """Tell whether both ports could be bound now (no stranger took them meanwhile)."""
        return port_is_free(self.port) and port_is_free(self.uno_port)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def claim_slot(
    work_dir: Path,
    base_port: int,
    reserved: Iterable[int] = (),
    *,
    is_free: Callable[[int], bool] = port_is_free,
    max_port: int = 65535,
) -> Slot:
    """Find a free port pair from base_port up whose directory no other pool holds; lock it.

    A directory that nobody holds but whose servers still run belonged to a pool that was
    killed (kill -9 of the service): those servers are ended first, so the ports are reused.
    """
    skip = set(reserved)
    for port in range(base_port, max_port, 2):
        uno_port = port + 1
        home = work_dir / f"unoserver-{port}"
        pair_free = is_free(port) and is_free(uno_port)
        if skip & {port, uno_port} or not (home.is_dir() or pair_free):
            continue
        private_folder(home)
        lock = open(home / "lock", "a+")  # held as long as the slot; "w" would clobber a holder's
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another pool's instance, between two of its starts
            lock.close()
            continue
        if reap_leftover(home):
            pair_free = is_free(port) and is_free(uno_port)
        if not pair_free:
            lock.close()
            continue
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        return Slot(port, uno_port, home, lock)
    raise RuntimeError(f"no free port pair at or above {base_port}")


def reap_leftover(home: Path, wait: float = 10.0) -> list[int]:
    """End the servers a killed pool left in this directory's process group; their pids.

    Only processes of the recorded group whose command line names this directory are ended,
    so a group id the system has since given to someone else is left alone.
    """
    record = home / GROUP_FILE
    try:
        pgid = int(record.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return []
    marker = str(home.resolve())
    leftovers = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            if os.getpgid(proc.pid) == pgid and marker in " ".join(proc.info["cmdline"] or ()):
                leftovers.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    if leftovers:
        log.warning("ending %d process(es) a killed pool left in %s", len(leftovers), home)
        _signal_group(pgid, signal.SIGKILL)
        psutil.wait_procs(leftovers, timeout=wait)
    record.unlink(missing_ok=True)
    return [proc.pid for proc in leftovers]


class _TimeoutTransport(xmlrpc.client.Transport):
    """An HTTP transport whose sockets give up after `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


class UnoserverClient:
    """Speak unoserver's XML-RPC API 3 to one server, one call per connection."""

    def __init__(self, address: str) -> None:
        self.address = address

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(
            f"http://{self.address}", transport=_TimeoutTransport(timeout), allow_none=True
        )

    def info(self, timeout: float) -> dict[str, Any]:
        """Return the server's info(); it goes through LibreOffice, so it also proves it answers."""
        with self._proxy(timeout) as proxy:
            info: dict[str, Any] = proxy.info()  # type: ignore[assignment]
        if str(info.get("api")) != API_VERSION:
            raise RuntimeError(
                f"unoserver at {self.address} speaks API {info.get('api')}, we speak {API_VERSION}"
            )
        return info

    def convert(self, data: bytes, filter_options: Sequence[str], timeout: float) -> bytes:
        """Convert one document to PDF and return the bytes the server sent back."""
        with self._proxy(timeout) as proxy:
            result = proxy.convert(
                None,  # inpath
                xmlrpc.client.Binary(data),  # indata
                None,  # outpath: return the data
                "pdf",  # convert_to
                None,  # filtername: let LibreOffice pick writer_pdf_Export
                list(filter_options),
                True,  # update_index
                None,  # infiltername
                None,  # password
            )
        if isinstance(result, xmlrpc.client.Binary):
            return bytes(result.data)
        if isinstance(result, bytes):
            return result
        # unoserver has answered with an error text instead of a document (unoserver #109).
        return str(result).encode("utf-8", "replace")


class UnoserverProcess:
    """A local `unoserver.server` in its own session, so its LibreOffice dies with it."""

    def __init__(
        self,
        command: Sequence[str],
        port: int,
        uno_port: int,
        home: Path,
        conversion_timeout: float,
    ) -> None:
        self.command = tuple(command)
        self.port = port
        self.uno_port = uno_port
        self.home = home
        self.conversion_timeout = conversion_timeout
        self.popen: subprocess.Popen[bytes] | None = None
        self._soffice: psutil.Process | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

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
        """Build the command line of the server."""
        return [
            *self.command,
            "--interface",
            "127.0.0.1",
            "--uno-interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--uno-port",
            str(self.uno_port),
            "--user-installation",
            str(self.profile_dir.resolve()),
            "--temp-dir",
            str(self.tmp_dir.resolve()),
            # unoserver takes whole seconds.
            "--conversion-timeout",
            str(max(1, math.ceil(self.conversion_timeout))),
        ]

    def start(self) -> None:
        """Spawn the server; LibreOffice temp files stay under this instance's directory."""
        private_folder(self.profile_dir)
        # Leftover input/output files of killed conversions.
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        private_folder(self.tmp_dir)
        # A SIGKILLed LibreOffice leaves its lock; it is harmless, but nothing else owns it.
        (self.profile_dir / ".lock").unlink(missing_ok=True)
        env = dict(os.environ, TMPDIR=str(self.tmp_dir.resolve()))
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
        self._soffice = None
        log.debug("started unoserver pid %s on %s", self.popen.pid, self.address)

    def wait_ready(
        self, deadline: float, should_abort: Callable[[], bool], poll: float = 0.25
    ) -> str | None:
        """Poll info() every `poll` seconds until it answers; None when ready, else why not."""
        client = UnoserverClient(self.address)
        last = "no answer yet"
        while True:
            if should_abort():
                return "aborted"
            if self.exited():
                return f"unoserver exited with {self.returncode()}: {self.log_tail()}"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"not ready before the startup timeout ({last})"
            try:
                client.info(timeout=min(2.0, max(0.5, remaining)))
            except Exception as exc:  # not up yet: refused, reset, timed out
                last = f"{type(exc).__name__}: {exc}"
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
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

    def soffice(self) -> psutil.Process | None:
        """Return the LibreOffice process found when the server became ready."""
        return self._soffice

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

    def kill(self, grace: float = 0.0) -> None:
        """Stop the server and its LibreOffice: SIGTERM and `grace` seconds, then SIGKILL all."""
        if self.popen is None:
            return
        pgid = self.popen.pid  # session leader: its pid is the group id
        if grace > 0 and self.popen.poll() is None:
            # unoserver passes SIGTERM on to LibreOffice and exits; each parent then reaps its
            # child, where signalling the whole group would leave orphans for init to reap.
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("unoserver pid %s ignored SIGTERM for %g s", pgid, grace)
        # Even after the leader exits, LibreOffice may linger in the group.
        _signal_group(pgid, signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            log.error("unoserver pid %s did not die after SIGKILL", pgid)
            return
        (self.home / GROUP_FILE).unlink(missing_ok=True)

    def log_tail(self, limit: int = 400) -> str:
        """Return the end of the instance log, for error messages."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - limit))
                return fh.read().decode("utf-8", "replace").strip().replace("\n", " | ")
        except OSError:
            return ""


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:  # the group id was reused by someone else's process
        log.warning("not allowed to signal process group %s", pgid)
