"""One private converter: LibreOffice on an owner-only pipe, XML-RPC on a secret path.

unoserver's own server listens on two TCP ports that any user of the machine can reach: its
UNO port gives full control of LibreOffice (macros, shell), and its convert() reads and writes
whatever paths the caller names. This server, which the pool runs in its place
(unoserver_process.UnoserverProcess), closes both:

- LibreOffice accepts UNO only on a named pipe, a Unix socket whose mode follows the umask,
  set here to 077: only this user may connect. Its name is random for every start.
- XML-RPC answers only on the path /<secret>, every other path gets 404. The secret comes from
  the environment variable VB_CONVERTER_SECRET (a command line shows in every user's ps).
- convert() takes the document's bytes and returns the PDF's: it never opens a path a caller
  names; LibreOffice's temporary files stay under --temp-dir.

    VB_CONVERTER_SECRET=... python -m service.convert.uno_server --port 2100 \\
        --user-installation DIR --temp-dir DIR --conversion-timeout 60

It exits, ending its LibreOffice, on SIGTERM or SIGINT (code 0) and when LibreOffice dies or a
conversion overruns its timeout (code 1), so the pool's supervisor starts a fresh one.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
import xmlrpc.server
from collections.abc import Callable, Sequence
from concurrent import futures
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import psutil
import uno
from unoserver.converter import UnoConverter

from service.convert.unoserver_process import (
    API_VERSION,
    INDEXES_IF_ANY,
    PIPE_NAME,
    SECRET_ENV,
    office_pipe_paths,
)

log = logging.getLogger("service.convert.uno_server")

T = TypeVar("T")
CONNECT_POLL = 0.2  # seconds between attempts to reach a starting LibreOffice
WATCH_POLL = 0.2  # how often the main thread looks at LibreOffice and the stop signal
OFFICE_GRACE = 2.0  # SIGTERM, then SIGKILL: within the 3 s the pool grants this process
REQUEST_TIMEOUT = 30.0  # the server is single-threaded: a stalled client must not hold it
MIN_SECRET = 32
EXECUTABLES = ("soffice", "libreoffice", "ooffice")  # unoserver's search order
UPDATE_INDEX = (INDEXES_IF_ANY, True, False)


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


class Functions:
    """What the XML-RPC server offers: info() and convert(), both under the timeout."""

    def __init__(self, converter: PipeConverter, office: Office, timeout: float) -> None:
        self.converter = converter
        self.office = office
        self.timeout = timeout
        self.unoserver_version = metadata.version("unoserver")

    def info(self) -> dict[str, Any]:
        """Name the server; asking LibreOffice its version proves that it answers."""
        version = self._guarded(self.converter.uno_info)
        return {
            "api": API_VERSION,
            "unoserver": self.unoserver_version,
            "server": "vanban",
            "libreoffice": version,
        }

    def convert(
        self, indata: object, filter_options: object, update_index: object
    ) -> xmlrpc.client.Binary:
        """Convert the document's bytes to PDF and return the PDF's bytes."""
        # update_index: INDEXES_IF_ANY (the pool's) updates tables of contents and other indexes
        # only where the document has some; False never; True takes unoserver's own path, which
        # loads visibly and refreshes twice whatever the document holds (the reference that
        # tests/integration/test_conversion_output.py compares against).
        # Typed `object`: any caller with the secret may send anything; checked here.
        if not isinstance(indata, xmlrpc.client.Binary):
            raise TypeError("indata must be base64 data, the document itself")
        if not isinstance(filter_options, list) or not all(
            isinstance(option, str) for option in filter_options
        ):
            raise TypeError("filter_options must be a list of strings")
        if update_index not in UPDATE_INDEX:
            raise TypeError(f"update_index must be one of {UPDATE_INDEX}")
        data, converter = indata.data, self.converter

        def work() -> bytes:
            if update_index is True:  # unoserver's own path: refresh and update indexes twice
                converter.finish_last()
                return converter.convert(
                    indata=data, convert_to="pdf", filter_options=filter_options, update_index=True
                )
            return converter.convert_lean(data, filter_options, update_index == INDEXES_IF_ANY)

        return xmlrpc.client.Binary(self._guarded(work, then=converter.finish_last))

    def _guarded(self, work: Callable[[], T], then: Callable[[], None] | None = None) -> T:
        """Run work, then `then`, in a thread; past the timeout, kill LibreOffice and exit."""
        future: futures.Future[T] = futures.Future()

        def run() -> None:
            try:
                future.set_result(work())
            except BaseException as exc:  # handed to the caller, who raises it as a Fault
                future.set_exception(exc)
            if then is not None:
                try:
                    then()
                except Exception:  # LibreOffice's own trouble shows in the next call or watch
                    log.exception("could not close the last document")

        # A daemon thread: one stuck in LibreOffice must not keep the process from exiting.
        threading.Thread(target=run, name="uno-call", daemon=True).start()
        try:
            return future.result(timeout=self.timeout)
        except futures.TimeoutError:
            log.error("no result within %g s: killing LibreOffice and exiting", self.timeout)
            self.office.kill()
            # The pool reads "TimeoutError" in the fault as "this instance is gone".
            raise TimeoutError(f"LibreOffice gave no answer within {self.timeout:g} s") from None


class SecretPathHandler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    """Answer only on the secret path (404 elsewhere); log requests without their path."""

    timeout = REQUEST_TIMEOUT
    # No gzip for the pool's client, though it asks: on loopback, deflating the base64 of a PDF
    # (a quarter smaller) costs the server 2-3 ms and the client another 0.5 ms.
    encode_threshold = None  # type: ignore[assignment]  # the stdlib reads None as "never"

    def is_rpc_path_valid(self) -> bool:
        # Constant time, and an empty rpc_paths (which the base class reads as "any path")
        # allows none.
        path = self.path.encode("utf-8", "surrogateescape")
        return any(hmac.compare_digest(path, valid.encode()) for valid in self.rpc_paths)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Never the path: the right one holds the secret.
        where = "rpc" if getattr(self, "path", None) and self.is_rpc_path_valid() else "elsewhere"
        method = getattr(self, "command", "-")
        log.info("%s %s %s -> %s", self.client_address[0], method, where, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.client_address[0], format % args)


def make_server(port: int, secret: str) -> xmlrpc.server.SimpleXMLRPCServer:
    """Bind the XML-RPC server on 127.0.0.1:port, answering on /<secret> only."""
    handler = type("Handler", (SecretPathHandler,), {"rpc_paths": ("/" + secret,)})
    return xmlrpc.server.SimpleXMLRPCServer(
        ("127.0.0.1", port), requestHandler=handler, allow_none=True, logRequests=True
    )


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


class ConverterServer:
    """One converter's parts: the XML-RPC listener, LibreOffice, the thread serving requests."""

    def __init__(self, args: argparse.Namespace, secret: str, stop: threading.Event) -> None:
        self.args = args
        self.stop = stop
        self.server = make_server(args.port, secret)  # bound now: a taken port fails at once
        pipe = args.pipe_name or f"vb-{secrets.token_hex(16)}"
        self.office = Office(find_executable(args.executable), args.user_installation, pipe)
        self.serving: threading.Thread | None = None

    def run(self) -> int:
        """Connect, serve until stopped (0) or LibreOffice is gone (1); 2 if it never answered."""
        started = time.monotonic()
        converter = connect(
            self.office, self.args.temp_dir, started + self.args.start_timeout, self.stop
        )
        if converter is None:
            return 0 if self.stop.is_set() else 2
        self.office.note_members()
        functions = Functions(converter, self.office, self.args.conversion_timeout)
        self.server.register_function(functions.info, "info")
        self.server.register_function(functions.convert, "convert")
        # A daemon thread: exiting must not wait for a request stuck in LibreOffice.
        self.serving = threading.Thread(
            target=self.server.serve_forever, name="xmlrpc", daemon=True
        )
        self.serving.start()
        log.info(
            "serving on 127.0.0.1:%d; LibreOffice (pid %d) answered in %.2f s",
            self.args.port,
            self.office.process.pid,
            time.monotonic() - started,
        )
        while not self.stop.wait(WATCH_POLL):
            if not self.office.running():
                log.error("LibreOffice is gone (launcher code %s)", self.office.process.poll())
                return 1
        log.info("stopping on a signal")
        return 0

    def close(self) -> None:
        """End LibreOffice (a request in progress then fails fast), stop serving, unbind."""
        self.office.end()
        if self.serving is not None:
            closer = threading.Thread(target=self.server.shutdown, daemon=True)
            closer.start()
            closer.join(1.0)  # a request stuck even so is cut off by the exit
        self.server.server_close()


def find_executable(given: str | None) -> str:
    """The LibreOffice to start: the one given, else the first of unoserver's names on PATH."""
    for name in (given,) if given else EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(f"LibreOffice not found (looked for {given or ', '.join(EXECUTABLES)})")


def _pipe_name(value: str) -> str:
    # The name ends up in a path this process unlinks: only the shape the pool makes.
    if not PIPE_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("a pipe name is vb- and 32 hex digits")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line; the secret never comes from it."""
    parser = argparse.ArgumentParser(prog="python -m service.convert.uno_server")
    parser.add_argument("--port", type=int, required=True, help="XML-RPC port on 127.0.0.1")
    parser.add_argument("--user-installation", type=Path, required=True, help="profile dir")
    parser.add_argument("--temp-dir", default=None, help="LibreOffice's temporary files")
    parser.add_argument("--conversion-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--executable", default=None, help="soffice; default: found on PATH")
    parser.add_argument("--pipe-name", type=_pipe_name, help="vb-<32 hex>; default: random")
    return parser.parse_args(argv)


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one converter until a signal, LibreOffice's death or a conversion timeout."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    secret = os.environ.pop(SECRET_ENV, "")  # LibreOffice, our child, is not to inherit it
    if len(secret) < MIN_SECRET:
        log.error("%s must hold a secret of at least %d characters", SECRET_ENV, MIN_SECRET)
        return 2
    # LibreOffice's pipe socket takes its mode from the umask: only this user may connect.
    os.umask(0o077)
    stop = threading.Event()
    _stop_on_signals(stop)
    converter = ConverterServer(args, secret, stop)
    try:
        return converter.run()
    finally:
        converter.close()


if __name__ == "__main__":
    sys.exit(main())
