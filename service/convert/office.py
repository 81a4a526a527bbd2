"""LibreOffice on a pipe of its own, and conversions through UNO: the private server's parts.

Imported by the server program (rpc_server) only, which runs under a Python that has `uno`.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import uno
from unoserver.converter import UnoConverter

from service.convert.office_profile import office_pipe_paths

log = logging.getLogger("service.convert.rpc_server")

CONNECT_POLL = 0.2  # seconds between attempts to reach a starting LibreOffice
OFFICE_GRACE = 2.0  # SIGTERM, then SIGKILL: within the 3 s the pool grants this process
EXECUTABLES = ("soffice", "libreoffice", "ooffice")  # unoserver's search order


def pipe_connection(name: str) -> str:
    """The UNO connection string of LibreOffice's named pipe."""
    return f"pipe,name={name};urp;StarOffice.ComponentContext"


class PipeConverter(UnoConverter):
    """unoserver's converter, reaching LibreOffice through its named pipe instead of TCP."""

    def __init__(self, pipe: str, temp_dir: str | None = None) -> None:
        # The attributes UnoConverter.__init__ sets, the context resolved over the pipe.
        self.local_context = uno.getComponentContext()
        self.resolver = self.local_context.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", self.local_context
        )
        self.context = self.resolver.resolve(f"uno:{pipe_connection(pipe)}")
        self.service = self.context.ServiceManager
        self.desktop = self.service.createInstanceWithContext(
            "com.sun.star.frame.Desktop", self.context
        )
        self.filter_service = self.service.createInstanceWithContext(
            "com.sun.star.document.FilterFactory", self.context
        )
        self.type_service = self.service.createInstanceWithContext(
            "com.sun.star.document.TypeDetection", self.context
        )
        self.temp_dir = temp_dir
        self._export_filters = None
        self._import_filters = None
        self._last: tuple[Any, tempfile.TemporaryDirectory[str]] | None = None
        self._finishing = threading.Lock()

    def convert_lean(self, data: bytes, filter_options: Sequence[str], update_index: bool) -> bytes:
        """Convert DOCX bytes to PDF bytes: hidden, read-only, one layout pass unless indexed."""
        # The document is closed after the PDF has gone back (finish_last(), called by the
        # thread that ran this once it has handed the result over, or by the next conversion
        # first): the caller does not wait for LibreOffice to take the document down.
        self.finish_last()
        folder = tempfile.TemporaryDirectory(dir=self.temp_dir)
        source, target = Path(folder.name, "in.docx"), Path(folder.name, "out.pdf")
        try:
            source.write_bytes(data)
            document = self.desktop.loadComponentFromURL(
                source.as_uri(), "_blank", 0, properties(LOAD_PROPERTIES)
            )
            if document is None:
                raise RuntimeError("LibreOffice could not load the document")
        except BaseException:
            folder.cleanup()
            raise
        self._last = (document, folder)
        if update_index:
            update_indexes(document)
        document.storeToURL(target.as_uri(), export_properties(filter_options))
        return target.read_bytes()

    def finish_last(self) -> None:
        """Close the last converted document and remove its folder, if not done yet."""
        with self._finishing:
            last, self._last = self._last, None
            if last is None:
                return
            document, folder = last
            try:
                document.close(True)
            finally:
                folder.cleanup()


# Hidden: no view is made or laid out for a window (a third of a conversion's time, measured);
# ReadOnly and QUIET_UPDATE: no lock file, links updated without asking.
LOAD_PROPERTIES: tuple[tuple[str, object], ...] = (
    ("Hidden", True),
    ("ReadOnly", True),
    ("UpdateDocMode", uno.getConstantByName("com.sun.star.document.UpdateDocMode.QUIET_UPDATE")),
)
PDF_FILTER = "writer_pdf_Export"  # the pool converts DOCX (checked) to PDF only


def properties(pairs: Sequence[tuple[str, object]]) -> tuple[Any, ...]:
    """UNO PropertyValues from (name, value) pairs."""
    values = []
    for name, value in pairs:
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name, prop.Value = name, value
        values.append(prop)
    return tuple(values)


def export_properties(filter_options: Sequence[str]) -> tuple[Any, ...]:
    """The PDF export's properties; "Name=value" options go into FilterData as unoserver's do."""
    data = [_filter_datum(option) for option in filter_options]
    pairs: list[tuple[str, object]] = [("FilterName", PDF_FILTER), ("Overwrite", True)]
    if data:
        pairs.append(
            ("FilterData", uno.Any("[]com.sun.star.beans.PropertyValue", properties(data)))
        )
    return properties(pairs)


def _filter_datum(option: str) -> tuple[str, object]:
    name, sep, raw = option.partition("=")
    if not sep:
        raise ValueError(f"a filter option is Name=value, not {option!r}")
    value: object = {"true": True, "false": False}.get(raw, int(raw) if raw.isdecimal() else raw)
    return name, value


def update_indexes(document: Any) -> int:
    """Refresh and update the document's indexes (TOC...) twice if it has any; their count."""
    # A document without any keeps its single layout pass: the refresh would lay it out again.
    try:
        indexes = document.getDocumentIndexes()
    except AttributeError:  # not a text document
        return 0
    count = int(indexes.getCount())
    for _ in range(2 if count else 0):  # the second pass fixes page numbers the TOC shifted
        document.refresh()
        for i in range(count):
            indexes.getByIndex(i).update()
    return count


# LibreOffice yields the CPU to the service's web threads: when conversions fill every core,
# /health and the pages still answer at once, and conversions take a little longer.
OFFICE_NICENESS = 5


def _lower_priority() -> None:
    """In the child, before LibreOffice starts: a lower CPU priority, for it and its children."""
    os.nice(OFFICE_NICENESS)


class Office:
    """LibreOffice on a pipe of its own, started by this process and ended with it."""

    def __init__(self, executable: str, profile: Path, pipe: str) -> None:
        self.pipe = pipe
        argv = [
            executable,
            "--headless",
            "--invisible",
            "--nocrashreport",
            "--nodefault",
            "--nologo",
            "--nofirststartwizard",
            "--norestore",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            f"--accept={pipe_connection(pipe)}",
        ]
        log.info("starting LibreOffice: %s", " ".join(argv))
        # stdout and stderr stay this process's: the instance log.
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, close_fds=True, preexec_fn=_lower_priority
        )
        self.members: list[psutil.Process] = []

    def note_members(self) -> None:
        """Remember soffice.bin under the launcher, to end it even if the launcher dies first."""
        try:
            root = psutil.Process(self.process.pid)
            self.members = [root, *root.children(recursive=True)]
        except psutil.Error:
            self.members = []

    def running(self) -> bool:
        """Tell whether the launcher and every process seen under it still run."""
        return self.process.poll() is None and all(_running(p) for p in self.members)

    def kill(self) -> None:
        """SIGKILL LibreOffice at once: a wedged one may ignore SIGTERM."""
        for process in self._tree():
            try:
                process.kill()
            except psutil.Error:
                pass

    def end(self, grace: float = OFFICE_GRACE) -> None:
        """SIGTERM, `grace` seconds, then SIGKILL; reap it and remove its pipe socket."""
        tree = self._tree()
        if self.process.poll() is None:
            self.process.terminate()  # oosplash passes it on to soffice.bin
        _, alive = psutil.wait_procs(tree, timeout=grace)
        if alive:
            log.warning("LibreOffice ignored SIGTERM for %g s: killing it", grace)
            self.kill()
            psutil.wait_procs(alive, timeout=5)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:  # the pool's SIGKILL of the group ends it
            log.error("LibreOffice's launcher (pid %d) outlived SIGKILL", self.process.pid)
        # A killed LibreOffice leaves its socket file behind in /tmp.
        for path in office_pipe_paths(self.pipe):
            path.unlink(missing_ok=True)

    def _tree(self) -> list[psutil.Process]:
        found = {p.pid: p for p in self.members if _running(p)}
        try:
            root = psutil.Process(self.process.pid)
            found.update((p.pid, p) for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            pass
        return list(found.values())


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def connect(
    office: Office, temp_dir: str | None, deadline: float, stop: threading.Event
) -> PipeConverter | None:
    """Reach LibreOffice through its pipe, every CONNECT_POLL seconds until it answers."""
    last = "no attempt"
    while not stop.is_set():
        if not office.running():
            log.error("LibreOffice exited with %s before answering", office.process.poll())
            return None
        try:
            return PipeConverter(office.pipe, temp_dir)
        except Exception as exc:  # NoConnectException until LibreOffice opens its pipe
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            log.error("LibreOffice did not answer before the start timeout: %s", last)
            return None
        stop.wait(CONNECT_POLL)
    return None


def find_executable(given: str | None) -> str:
    """The LibreOffice to start: the one given, else the first of unoserver's names on PATH."""
    for name in (given,) if given else EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"LibreOffice not found (looked for {given or ', '.join(EXECUTABLES)})")
