"""Real servers started by the tests themselves, always stopped afterwards."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# PostgreSQL ------------------------------------------------------------------------------------

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGRES_PORTS = range(5433, 5440)
POSTGRES_USER = "postgres"  # the server refuses to run as root, so it runs as this user


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _as_postgres(*command: str) -> None:
    """Run a PostgreSQL tool as the postgres user; fail the test with its output if it fails."""
    prefix = ["runuser", "-u", POSTGRES_USER, "--"] if shutil.which("runuser") else []
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL 15 cluster in a temporary folder; yields a SQLAlchemy URL."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is not installed; run .ci/setup test", pytrace=False)
    port = next((p for p in POSTGRES_PORTS if _free(p)), None)
    if port is None:
        pytest.fail(f"no free port for PostgreSQL in {POSTGRES_PORTS}", pytrace=False)
    # Under /tmp, not pytest's root-only tmp_path: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="vb-postgres-"))
    shutil.chown(root, POSTGRES_USER, POSTGRES_USER)
    data, log = root / "data", root / "server.log"
    try:
        _as_postgres(
            str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )
        options = f"-p {port} -k {root} -c listen_addresses='' -c max_connections=60 -c fsync=off"
        _as_postgres(
            str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
            "-w", "-t", "60", "start",
        )
        try:
            _as_postgres(str(POSTGRES_BIN / "createdb"), "-h", str(root), "-p", str(port),
                         "-U", "postgres", "vanban")
            yield f"postgresql+psycopg://postgres@/vanban?host={root}&port={port}"
        finally:
            _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a private PostgreSQL server for the session."""
    with postgres_server() as url:
        yield url


def new_postgres_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.replace("/vanban?", f"/{name}?")
