"""Command line: render samples, run the server, bulk jobs, rebuild the templates, settings."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.access_cli import FIRST_ADMIN, add_commands, first_admin
from service.access_cli import run as run_access
from service.settings import Settings

if TYPE_CHECKING:
    from service.usecases.accounts import Accounts

log = logging.getLogger("service.cli")
# Libraries' start-up chatter that tells an operator nothing: pikepdf's logger bridge, alembic's
# plugin list (its migrations still log what they run).
QUIET_LOGGERS = ("pikepdf", "alembic.runtime.plugins")


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit status."""
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="render JSON documents to DOCX and PDF")
    render.add_argument("inputs", nargs="+", type=Path)
    render.add_argument("-o", "--output", type=Path, default=Path("out"))
    render.add_argument("--docx-only", action="store_true", help="skip the PDF conversion")
    render.add_argument("--pdf-version", type=int, choices=(1, 2), help="PDF/A-1b or PDF/A-2b")
    commands.add_parser("serve", help="run the HTTP service with its unoserver pool")
    bulk = commands.add_parser("bulk", help="one document per row of a table (resumable)")
    bulk.add_argument("base", type=Path, help="the base document (JSON)")
    bulk.add_argument("table", type=Path, help="rows of overrides (CSV, XLSX or JSON)")
    bulk.add_argument("-o", "--output", type=Path, default=Path("out"))
    bulk.add_argument("--allow-invalid", action="store_true", help="run valid rows, fail bad ones")
    bulk.add_argument("--separator", default=";", help="separator of list cells (default ;)")
    bulk.add_argument("--duplex", action="store_true",
                      help="for two-sided printing: each document starts on an odd page of "
                           "merged.pdf")
    commands.add_parser("build-templates", help="rewrite doc_templates/*.docx from the builder")
    commands.add_parser("settings", help="list the settings and their environment variables")
    key = commands.add_parser("signing-key", help="install a unit's PKCS#12 key and seal image")
    key.add_argument("unit", help="the unit's slug")
    key.add_argument("pkcs12", type=Path, help="the .p12/.pfx file")
    key.add_argument("--seal", type=Path, help="the seal picture (PNG, transparent outside)")
    key.add_argument("--seal-mm", type=float, help="the seal's diameter in mm (default 36)")
    key.add_argument("--passphrase-file", type=Path, help="read the passphrase from this file")
    add_commands(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.command == "serve":
        from service.web.request_log import use_json_logs

        use_json_logs()  # one JSON object a line, with request ids, for a log collector
    settings = Settings.from_env()
    if args.command == "render":
        return render_files(args.inputs, args.output, settings, args.docx_only, args.pdf_version)
    if args.command == "serve":
        return serve(settings)
    if args.command == "bulk":
        from service.bulk_cli import run_bulk

        return run_bulk(args.base, args.table, args.output, settings,
                        allow_invalid=args.allow_invalid, separator=args.separator,
                        duplex=args.duplex)
    if args.command in ("user", "api-key"):
        return run_access(args, settings)
    if args.command == "signing-key":
        return install_signing_key(args, settings)
    if args.command == "build-templates":
        from service.core.template_builder import write_all

        for path in write_all():
            print(path)
        return 0
    for name, default, text in Settings.describe():
        print(f"{name:28} {default!s:16} {text}")
    return 0


def render_files(
    inputs: list[Path], output: Path, settings: Settings, docx_only: bool, pdf_version: int | None
) -> int:
    """Render each JSON file to DOCX (and PDF) in the output folder; report bad input plainly."""
    from service.composition import build_services
    from service.core.converter import ConversionError
    from service.core.definitions import UnknownDocType
    from service.core.documents import DocumentInvalid
    from service.core.files import write_atomic

    output.mkdir(parents=True, exist_ok=True)
    services = build_services(settings, convert=not docx_only, wait=True)
    documents = services.documents
    failures = 0
    try:
        for path in inputs:
            try:
                payload = json.loads(path.read_text(encoding="utf-8"))
                rendered = documents.render(str(payload.get("doc_type") or ""), payload,
                                            actor="cli")
                written = [write_atomic(output / rendered.filename("docx"), rendered.docx)]
                if not docx_only:
                    pdf = documents.to_pdf(rendered, pdf_version=pdf_version)
                    written.append(write_atomic(output / rendered.filename("pdf"), pdf))
                print(f"{path}: " + ", ".join(str(w) for w in written))
            except (OSError, ValueError, UnknownDocType, ConversionError) as exc:
                failures += 1
                detail = exc.errors if isinstance(exc, DocumentInvalid) else exc
                print(f"{path}: {type(exc).__name__}: {detail}", file=sys.stderr)
    finally:
        services.close()
    return 1 if failures else 0


def install_signing_key(args: argparse.Namespace, settings: Settings) -> int:
    """Check and install a unit's key; the passphrase comes from a file or a prompt, never argv."""
    import getpass

    from service.composition import build_services
    from service.core.signing import SEAL_MM
    from service.usecases.unit_keys import KeyRefused
    from service.usecases.units import UnitNotFound

    if args.passphrase_file is not None:
        passphrase = args.passphrase_file.read_bytes().rstrip(b"\r\n")
    else:
        passphrase = getpass.getpass("Passphrase of the PKCS#12 key: ").encode()
    seal = args.seal.read_bytes() if args.seal is not None else None
    services = build_services(settings, convert=False)
    try:
        installed = services.unit_keys.install(
            "cli", args.unit, args.pkcs12.read_bytes(), passphrase or None, seal,
            args.seal_mm or SEAL_MM,
        )
    except UnitNotFound:
        print(f"UnitNotFound: no unit {args.unit!r}; make its profile first (/don-vi/moi)",
              file=sys.stderr)
        return 1
    except (OSError, KeyRefused) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    certificate = installed.certificate.common_name
    print(json.dumps({"unit": args.unit, "certificate": certificate, "seal": installed.has_seal},
                     ensure_ascii=False))
    return 0


def announce_first_admin(accounts: Accounts, settings: Settings) -> None:
    """Make the first quản trị on a fresh install and say how to log in (once, on the console)."""
    password = first_admin(accounts)
    if password is None:
        return
    url = f"{service_url(settings)}/dang-nhap"
    # The log keeps that it happened; only the console, read once by the installer, the password.
    log.info("first start: made the account %s; log in at %s with the one-time password "
             "printed on the console", FIRST_ADMIN, url)
    print(first_start_notice(url, password), flush=True)


def service_url(settings: Settings) -> str:
    """The address a browser opens: a wildcard host listens everywhere, so name this machine."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = outward_address()
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


def outward_address() -> str:
    """The address other machines reach this one by: the one a route out would leave from."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent
            return str(probe.getsockname()[0])
        except OSError:  # no route out at all: this machine is its only client
            return "127.0.0.1"


def first_start_notice(url: str, password: str) -> str:
    """The first start's note: the address and the password each on a line of its own, set off
    from the JSON log lines around it so that they can be read and copied."""
    rule = "=" * 72
    return (
        f"\n{rule}\n"
        f"Lần chạy đầu: đã tạo tài khoản quản trị “{FIRST_ADMIN}”.\n\n"
        "Mở địa chỉ này trong trình duyệt:\n\n"
        f"    {url}\n\n"
        f"Tên đăng nhập: {FIRST_ADMIN}\n"
        "Mật khẩu dùng một lần (phải đổi ngay khi đăng nhập; mật khẩu này không được in lại):\n\n"
        f"    {password}\n\n"
        "Thêm tài khoản khác ở trang Tài khoản, hoặc:\n"
        "    python -m service user add <tên> --role van_thu --unit <mã đơn vị>\n"
        f"{rule}\n"
    )


def serve(settings: Settings) -> int:
    """Serve the app with waitress on the configured address."""
    from service.composition import build_services
    from service.web import create_app
    from service.web.serving import serve as serve_app

    services = build_services(settings)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    # A service manager stops us with SIGTERM: leave through SystemExit so the pool's
    # LibreOffice processes (in their own sessions) are stopped too.
    signal.signal(signal.SIGTERM, stop)
    # `kill -USR1 <pid>` writes every thread's stack to the log: a stuck request is seen where
    # it waits, without stopping the service.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        app = create_app(services)
        services.bulk.resume()
        announce_first_admin(services.accounts, settings)
        print(f"Serving on {service_url(settings)}/ (API docs at /docs)",
              flush=True)
        # Threads for every admitted conversion plus a few, so the health check and the
        # pages that convert nothing never wait behind conversions.
        threads = services.admission.capacity + 4
        serve_app(app, settings.host, settings.port, threads)
    finally:
        services.close()
    return 0
