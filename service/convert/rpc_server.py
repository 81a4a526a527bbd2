"""One private converter: LibreOffice on an owner-only pipe, XML-RPC on a secret path.

unoserver's own server listens on two TCP ports that any user of the machine can reach: its
UNO port gives full control of LibreOffice (macros, shell), and its convert() reads and writes
whatever paths the caller names. This server, which the pool runs in its place
(office_process.OfficeProcess), closes both:

- LibreOffice accepts UNO only on a named pipe, a Unix socket whose mode follows the umask,
  set here to 077: only this user may connect. Its name is random for every start.
- XML-RPC answers only on the path /<secret>, every other path gets 404. The secret comes from
  the environment variable VB_CONVERTER_SECRET (a command line shows in every user's ps).
- convert() takes the document's bytes and returns the PDF's: it never opens a path a caller
  names; LibreOffice's temporary files stay under --temp-dir.

    VB_CONVERTER_SECRET=... python -m service.convert.rpc_server --port 2100 \\
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
import signal
import sys
import threading
import time
import xmlrpc.client
import xmlrpc.server
from collections.abc import Callable, Sequence
from concurrent import futures
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from service.convert.office import Office, PipeConverter, connect, find_executable
from service.convert.office_profile import PIPE_NAME
from service.convert.rpc_client import API_VERSION, INDEXES_IF_ANY, SECRET_ENV

log = logging.getLogger("service.convert.rpc_server")

T = TypeVar("T")
WATCH_POLL = 0.2  # how often the main thread looks at LibreOffice and the stop signal
ORPHAN_POLL = 1.0  # how often a local server checks that the service that started it lives
REQUEST_TIMEOUT = 30.0  # the server is single-threaded: a stalled client must not hold it
MIN_SECRET = 32
UPDATE_INDEX = (INDEXES_IF_ANY, True, False)


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
        log.info("stopping on a signal, or the service's end")
        return 0

    def close(self) -> None:
        """End LibreOffice (a request in progress then fails fast), stop serving, unbind."""
        self.office.end()
        if self.serving is not None:
            closer = threading.Thread(target=self.server.shutdown, daemon=True)
            closer.start()
            closer.join(1.0)  # a request stuck even so is cut off by the exit
        self.server.server_close()


def _pipe_name(value: str) -> str:
    # The name ends up in a path this process unlinks: only the shape the pool makes.
    if not PIPE_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError("a pipe name is vb- and 32 hex digits")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line; the secret never comes from it."""
    parser = argparse.ArgumentParser(prog="python -m service.convert.rpc_server")
    parser.add_argument("--port", type=int, required=True, help="XML-RPC port on 127.0.0.1")
    parser.add_argument("--user-installation", type=Path, required=True, help="profile dir")
    parser.add_argument("--temp-dir", default=None, help="LibreOffice's temporary files")
    parser.add_argument("--conversion-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("--executable", default=None, help="soffice; default: found on PATH")
    parser.add_argument("--pipe-name", type=_pipe_name, help="vb-<32 hex>; default: random")
    parser.add_argument("--stop-with-parent", action="store_true",
                        help="stop (and end LibreOffice) when the process that started it dies")
    return parser.parse_args(argv)


def _stop_when_orphaned(stop: threading.Event, parent: int) -> None:
    """Stop once the process that started this server is gone, even by kill -9: a local pool's
    servers and LibreOffices end with the service instead of lingering until its next start."""

    def watch() -> None:
        while not stop.wait(ORPHAN_POLL):
            if os.getppid() != parent:  # adopted: the service died
                log.warning("the process that started this server (pid %d) is gone", parent)
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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
    if args.stop_with_parent:
        _stop_when_orphaned(stop, os.getppid())
    converter = ConverterServer(args, secret, stop)
    try:
        return converter.run()
    finally:
        converter.close()


if __name__ == "__main__":
    sys.exit(main())
