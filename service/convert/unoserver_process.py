"""One local converter: its ports and directory, its process group, and the XML-RPC it speaks.

A local instance runs service.convert.uno_server (LibreOffice on an owner-only pipe, XML-RPC
on a secret path, a fresh secret at every start); a remote one is a plain unoserver.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import xmlrpc.client
from collections.abc import Callable, Iterable, Iterator, Sequence
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
# The environment variable that hands a local server its secret: argv shows in every user's ps.
SECRET_ENV = "VB_CONVERTER_SECRET"
# Where LibreOffice makes the socket of a named pipe: /tmp, or /var/tmp if /tmp is not writable.
PIPE_DIRS = (Path("/tmp"), Path("/var/tmp"))
PIPE_NAME = re.compile(r"vb-[0-9a-f]{32}")  # what start() makes; nothing else gets unlinked
# convert()'s update_index for a local server: update tables of contents and other indexes only
# in documents that have some (most have none, and skip the refresh: one layout pass).
INDEXES_IF_ANY = "if-any"

# What a render never needs from LibreOffice, set once in each instance's profile: recovery
# data and autosave, online spell checking, word completion's collecting, OpenCL, Java, macros.
# None of them changes a PDF (tests/integration/test_conversion_output.py compares).
LEAN_SETTINGS = (
    ("/org.openoffice.Office.Recovery/AutoSave", "Enabled", "false"),
    ("/org.openoffice.Office.Recovery/RecoveryInfo", "Enabled", "false"),
    ("/org.openoffice.Office.Linguistic/SpellChecking", "IsSpellAuto", "false"),
    ("/org.openoffice.Office.Writer/AutoFunction/Completion", "Enable", "false"),
    ("/org.openoffice.Office.Common/Misc", "UseOpenCL", "false"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
    ("/org.openoffice.Office.Common/Save/Document", "CreateBackup", "false"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
)
JAVA_OFF = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<java xmlns="http://openoffice.org/2004/java/framework/1.0" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <enabled xsi:nil="false">false</enabled>
 <userClassPath xsi:nil="true"/>
 <vmParameters xsi:nil="true"/>
 <jreLocations xsi:nil="true"/>
 <javaInfo xsi:nil="true"/>
</java>
"""
REGISTRY_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)
REGISTRY_TAIL = "</oor:items>\n"


def lean_profile(profile: Path) -> bool:
    """Write LEAN_SETTINGS (and Java off) into a LibreOffice profile; False if all are there."""
    # LibreOffice keeps these user settings across its restarts, so an instance's profile is
    # made lean once; a profile an older pool left gets the missing ones added to its own.
    user = profile / "user"
    registry = user / "registrymodifications.xcu"
    lines = [
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, value in LEAN_SETTINGS
    ]
    try:
        current = registry.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = REGISTRY_HEAD + REGISTRY_TAIL
    items = "".join(line for line in lines if line.strip() not in current)
    if not items:
        return False
    head, sep, tail = current.rpartition(REGISTRY_TAIL.strip())
    if not sep:  # not a registry we can read: LibreOffice makes a fresh one
        head, tail = REGISTRY_HEAD, "\n"
    private_folder(user / "config")
    registry.write_text(head + items + REGISTRY_TAIL.strip() + tail, encoding="utf-8")
    (user / "config" / "javasettings_Linux_X86_64.xml").write_text(JAVA_OFF, encoding="utf-8")
    return True


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


def office_pipe_paths(name: str) -> list[Path]:
    """The places LibreOffice may have put the socket of its pipe `name` for this user."""
    return [folder / f"OSL_PIPE_{os.getuid()}_{name}" for folder in PIPE_DIRS]


class Slot:
    """The ports and directory (profile, temp files, log) that one local instance holds.

    The instance listens on `port` only; `uno_port` stays held (and unused) so the pairs, and
    the directories named after them, stay where older pools put them.

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
        # Killed, their LibreOffice left its pipe's socket file in /tmp.
        for name in _pipe_names(proc.info["cmdline"] or () for proc in leftovers):
            for path in office_pipe_paths(name):
                path.unlink(missing_ok=True)
    record.unlink(missing_ok=True)
    return [proc.pid for proc in leftovers]


def _pipe_names(cmdlines: Iterable[Sequence[str]]) -> set[str]:
    """The pipe names given as `--pipe-name NAME` on these command lines (ours only)."""
    return {
        name
        for cmdline in cmdlines
        for flag, name in zip(cmdline, cmdline[1:], strict=False)
        if flag == "--pipe-name" and PIPE_NAME.fullmatch(name)
    }


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
    """Speak to one server, one call per connection.

    With a secret, the server is a local uno_server: calls go to /<secret> and convert() takes
    the document only. Without, it is a plain unoserver (a remote): unoserver's API 3 on /.
    """

    def __init__(self, address: str, secret: str | None = None) -> None:
        self.address = address
        self._secret = secret

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        path = "/" + self._secret if self._secret else "/"
        return xmlrpc.client.ServerProxy(
            f"http://{self.address}{path}", transport=_TimeoutTransport(timeout), allow_none=True
        )

    def info(self, timeout: float) -> dict[str, Any]:
        """Return the server's info(); it goes through LibreOffice, so it also proves it answers."""
        with self._proxy(timeout) as proxy, _without_path(self.address):
            info: dict[str, Any] = proxy.info()  # type: ignore[assignment]
        if str(info.get("api")) != API_VERSION:
            raise RuntimeError(
                f"unoserver at {self.address} speaks API {info.get('api')}, we speak {API_VERSION}"
            )
        return info

    def convert(
        self,
        data: bytes,
        filter_options: Sequence[str],
        timeout: float,
        update_index: bool | str = INDEXES_IF_ANY,
    ) -> bytes:
        """Convert one document to PDF and return the bytes the server sent back."""
        # A local server takes update_index as uno_server's convert() does; a remote always
        # gets True (a stock unoserver cannot tell whether a document holds an index).
        document = xmlrpc.client.Binary(data)
        with self._proxy(timeout) as proxy, _without_path(self.address):
            if self._secret:
                result = proxy.convert(document, list(filter_options), update_index)
            else:
                result = proxy.convert(
                    None,  # inpath
                    document,  # indata
                    None,  # outpath: return the data
                    "pdf",  # convert_to
                    None,  # filtername: let LibreOffice pick writer_pdf_Export
                    list(filter_options),
                    True,  # update_index
                    None,  # infiltername
                    None,  # password
                )
        if isinstance(result, xmlrpc.client.Binary):
            return result.data  # bytes already: no copy
        if isinstance(result, bytes):
            return result
        # unoserver has answered with an error text instead of a document (unoserver #109).
        return str(result).encode("utf-8", "replace")


@contextlib.contextmanager
def _without_path(address: str) -> Iterator[None]:
    """Raise HTTP errors naming the address only: their URL holds the server's secret."""
    try:
        yield
    except xmlrpc.client.ProtocolError as exc:
        raise xmlrpc.client.ProtocolError(address, exc.errcode, exc.errmsg, {}) from None


class UnoserverProcess:
    """A local converter server in its own session, so its LibreOffice dies with it.

    Every start makes a new secret (handed over in the environment) and a new pipe name, so a
    client of an earlier start is refused, never served by a later one.
    """

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
        self.secret: str | None = None
        self.pipe_name: str | None = None

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
        """Build the command line of the server (no secret: every user can read it)."""
        argv = [
            *self.command,
            "--port",
            str(self.port),
            "--user-installation",
            str(self.profile_dir.resolve()),
            "--temp-dir",
            str(self.tmp_dir.resolve()),
            "--conversion-timeout",
            f"{self.conversion_timeout:g}",
        ]
        if self.pipe_name:
            argv += ["--pipe-name", self.pipe_name]
        return argv

    def client(self) -> UnoserverClient:
        """A client for this start of the server, carrying its secret."""
        return UnoserverClient(self.address, secret=self.secret)

    def start(self) -> None:
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
        env = dict(os.environ, TMPDIR=str(self.tmp_dir.resolve()), **{SECRET_ENV: self.secret})
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
        log.debug("started converter pid %s on %s", self.popen.pid, self.address)

    def wait_ready(
        self, deadline: float, should_abort: Callable[[], bool], poll: float = 0.25
    ) -> str | None:
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
            # The server passes SIGTERM on to LibreOffice and exits; each parent then reaps its
            # child, where signalling the whole group would leave orphans for init to reap.
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                log.warning("converter pid %s ignored SIGTERM for %g s", pgid, grace)
        # Even after the leader exits, LibreOffice may linger in the group.
        _signal_group(pgid, signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            log.error("converter pid %s did not die after SIGKILL", pgid)
            return
        (self.home / GROUP_FILE).unlink(missing_ok=True)
        if self.pipe_name:  # a killed LibreOffice leaves its pipe's socket file behind
            for path in office_pipe_paths(self.pipe_name):
                path.unlink(missing_ok=True)

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
