"""Where a local converter lives: its port pair and its directory, held for one pool.

A slot's directory (profile, temporary files, log) is named after its XML-RPC port and locked
while held; a killed pool's servers still running in it are ended before the slot is reused.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

import psutil

from service.convert.office_profile import PIPE_NAME, office_pipe_paths
from service.core.files import private_folder

log = logging.getLogger("service.convert")

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

    @property
    def ports(self) -> tuple[int, int]:
        return self.port, self.uno_port

    def release(self) -> None:
        """Unlock the directory: another pool may take the slot."""
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
        signal_group(pgid, signal.SIGKILL)
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


class Slots:
    """The slots one pool's local servers hold, each claimed clear of the others' ports."""

    def __init__(self, work_dir: Path, base_port: int) -> None:
        self.work_dir = work_dir
        self.base_port = base_port
        self.held: list[Slot] = []
        self._lock = threading.Lock()  # servers restart on threads of their own

    def claim(self) -> Slot:
        """Claim one more slot for this pool."""
        with self._lock:
            private_folder(self.work_dir)
            slot = claim_slot(self.work_dir, self.base_port, reserved=self._ports())
            self.held.append(slot)
            return slot

    def renew(self, slot: Slot) -> Slot:
        """Keep a server's slot unless a stranger took its ports meanwhile; else claim another."""
        with self._lock:
            if slot.ports_free():
                return slot
            slot.release()
            others = [held for held in self.held if held is not slot]
            fresh = claim_slot(self.work_dir, self.base_port, reserved=self._ports(others))
            self.held = [fresh if held is slot else held for held in self.held]
        log.warning("converter on port %d moved to %d: its ports were taken", slot.port, fresh.port)
        return fresh

    def release(self) -> None:
        """Let other pools have this pool's slots."""
        with self._lock:
            for slot in self.held:
                slot.release()

    def _ports(self, slots: Sequence[Slot] | None = None) -> set[int]:
        return {port for slot in (self.held if slots is None else slots) for port in slot.ports}


def signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send sig to a process group; one already gone is no error."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:  # the group id was reused by someone else's process
        log.warning("not allowed to signal process group %s", pgid)
