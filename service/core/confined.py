"""Reading an uploaded file in a child process held to a memory and time budget."""

from __future__ import annotations

import ctypes
import multiprocessing
import pickle
import resource
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = [
    "MEMORY_BUDGET", "READERS", "TIME_BUDGET", "ReadingTooCostly", "caused_by", "confined",
]

T = TypeVar("T")

# A real table or signed PDF reads in tens of megabytes and well under a second; a file built
# to expand (shared strings, a deflated cross-reference stream) stops here, in its own process,
# whose memory the system takes back when it ends.
MEMORY_BUDGET = 256 * 1024 * 1024  # bytes of address space a reading child may add
TIME_BUDGET = 20.0  # seconds a reading child may take
READERS = 2  # children reading at once; the next uploads wait for one to end
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# A fork server, started once without the server's threads, forks each child: a fork of the
# threaded server could inherit a lock some other thread held, and a fresh interpreter per
# upload would import the PDF and XLSX libraries every time.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["openpyxl", "pikepdf", "PIL.Image", "service.core.signing"])
_READING = threading.BoundedSemaphore(READERS)


class ReadingTooCostly(Exception):
    """Reading the file crossed the memory or time budget; `what` says which."""

    def __init__(self, what: str) -> None:
        super().__init__(f"reading the file took more {what} than its budget")
        self.what = what  # "memory" or "time"


def confined(
    function: Callable[..., T], *args: Any, memory: int = MEMORY_BUDGET,
    seconds: float = TIME_BUDGET,
) -> T:
    """`function(*args)` run in a child within the budgets; what it raises is raised here.

    The function and its arguments, result and exceptions must pickle: the function is
    named by its module, so it is a module-level one.
    """
    with _READING:
        receiver, sender = _CONTEXT.Pipe(duplex=False)
        child = _CONTEXT.Process(target=_run, args=(sender, function, args, memory), daemon=True)
        child.start()
        sender.close()
        try:
            if not receiver.poll(seconds):
                raise ReadingTooCostly("time")
            outcome, value = receiver.recv()
        except EOFError:
            child.join()
            if (child.exitcode or 0) < 0:  # killed by a signal: an allocator aborting at the limit
                raise ReadingTooCostly("memory") from None
            raise RuntimeError(f"the reading child ended ({child.exitcode}) without an answer"
                               ) from None
        finally:
            receiver.close()
            child.kill()
            child.join()
    if outcome == "memory":
        raise ReadingTooCostly("memory")
    if outcome == "raised":
        raise value
    return value  # type: ignore[no-any-return]


def _run(
    sender: Connection, function: Callable[..., Any], args: tuple[Any, ...], memory: int
) -> None:
    """In the child: cap the address space, call, send ("returned" | "raised" | "memory", value)."""
    _die_with_parent()
    limit = _address_space() + memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome: tuple[str, Any] = ("returned", function(*args))
    except Exception as exc:  # the reader's own refusal, raised again in the parent
        outcome = ("memory", None) if caused_by(exc, MemoryError) else ("raised", exc)
    try:
        sender.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError, MemoryError) as exc:
        sender.send(("raised", RuntimeError(f"{type(outcome[1]).__name__}: {exc}")))


def caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    """Whether an exception of `kind` is `exc` or caused it, though a library wrapped it."""
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _die_with_parent() -> None:
    """Ask Linux to kill this child when its parent, the fork server, ends with the service."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _address_space() -> int:
    """This process's virtual size in bytes, from /proc (the limit counts from here)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")
