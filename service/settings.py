"""Service settings, declared once: name, default, help; read from VB_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


def _setting(default: Any, help_text: str) -> Any:
    """Declare one setting with its default and help text."""
    from dataclasses import field

    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads; the environment variable is VB_ + the upper-case name."""

    host: str = _setting("127.0.0.1", "Address the HTTP server listens on")
    port: int = _setting(8000, "Port the HTTP server listens on")
    data_dir: Path = _setting(Path("var"), "Where the pool profiles, logs and the database live")
    converter: str = _setting(
        "unoserver",
        "Which converter turns DOCX into PDF: a module of service/convert (unoserver, gotenberg)",
    )
    pool_size: int = _setting(
        (os.cpu_count() or 1) + 1,
        "Local unoserver instances (0 with remotes only); one per core plus one, ~250 MiB each",
    )
    pool_base_port: int = _setting(2100, "First port of the local unoserver instances")
    conversion_timeout: float = _setting(60.0, "Seconds one conversion may take before a restart")
    max_conversions: int = _setting(200, "Conversions after which an instance is restarted")
    acquire_timeout: float = _setting(15.0, "Seconds to wait for a free converter before a 503")
    queue_length: int = _setting(
        8, "Requests that may wait for a busy converter; the next ones get a 503 at once"
    )
    font_dir: str = _setting(
        "", "A folder of the office's own fonts (Times New Roman's .ttf) the converters use"
    )
    remote_unoservers: tuple[str, ...] = _setting(
        (), "Comma-separated host:port of remote unoservers"
    )
    gotenberg_url: str = _setting(
        "", "Base URL of a Gotenberg-compatible converter (VB_CONVERTER=gotenberg)"
    )
    max_request_bytes: int = _setting(2 * 1024 * 1024, "Largest accepted request body in bytes")
    retry_after: int = _setting(5, "Seconds suggested to clients in Retry-After on a 503")
    database_url: str = _setting(
        "", "SQLAlchemy URL of the database; empty means SQLite at data_dir/vanban.db"
    )
    secret_key: str = _setting(
        "", "Key signing the web sessions and CSRF tokens; empty means one kept in data_dir"
    )
    session_idle_minutes: int = _setting(
        30, "Minutes without a request after which a logged-in page session ends"
    )
    login_attempts: int = _setting(
        5, "Wrong passwords for one name from one address after which that pair waits"
    )
    lockout_minutes: int = _setting(
        15, "Minutes the first wait lasts; each next one is twice as long, up to a day"
    )
    rate_limit: int = _setting(
        600, "Requests a minute one account or API key may make (then 429); 0 for no limit"
    )
    login_rate_limit: int = _setting(
        60, "Log-in attempts a minute from one address (then 429); 0 for no limit"
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (), "Comma-separated addresses of an intranet login proxy whose X-Remote-User is believed"
    )
    bulk_backend: str = _setting(
        "embedded", "Where bulk jobs run: embedded (in the service) or celery (Redis workers)"
    )
    bulk_workers: int = _setting(2, "Threads running bulk rows in the embedded backend")
    broker_url: str = _setting("redis://127.0.0.1:6379/0", "Celery broker (and result) URL")
    bulk_retries: int = _setting(3, "Attempts per bulk row when the PDF conversion fails")
    bulk_max_rows: int = _setting(5000, "Most rows one bulk job may have")
    bulk_batch_pages: int = _setting(
        60, "Pages of a job's rows converted in one LibreOffice load, then split; 0: one by one"
    )
    bulk_visibility_timeout: int = _setting(
        3600, "Seconds before Redis hands an unacknowledged bulk task (lost worker) to another"
    )
    signing_master_key: str = _setting(
        "",
        "File of the key that locks the units' signing keys (made once, 0600); empty means "
        "data_dir/signing-master.key. Kept outside data_dir, a copy of data_dir cannot sign",
    )
    tsa_url: str = _setting("", "RFC 3161 timestamp server used when signing; empty for none")
    trust_roots: str = _setting(
        "", "Folder of CA certificates (PEM or DER) that signers' certificates are checked against"
    )
    require_trusted_signer: bool = _setting(
        False, "Refuse a signed upload whose certificate does not chain to VB_TRUST_ROOTS"
    )

    def resolved_database_url(self) -> str:
        """The database URL, SQLite in the data folder unless one is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vanban.db').resolve()}"

    def resolved_signing_master_key(self) -> Path:
        """The master key's file, in the data folder unless one is set."""
        return Path(self.signing_master_key or self.data_dir / "signing-master.key")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from VB_* variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get("VB_" + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.type, raw)
        values.update(overrides)
        return cls(**values)

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        """List (variable, default, help) for the docs and the CLI."""
        return [("VB_" + f.name.upper(), f.default, f.metadata["help"]) for f in fields(cls)]


def _parse(kind: Any, raw: str) -> Any:
    """Turn an environment string into the setting's type."""
    kind = str(kind)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "Path":
        return Path(raw)
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
