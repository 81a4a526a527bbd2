"""A lock on one number series, held while its next document is made, outside any transaction.

The register's promise (no number skipped or given twice) needs issues of one series to take
their numbers one after the other; nothing else needs to wait for them. A database write lock
held across a conversion made every write wait (on SQLite, all of them). This lock holds only
the series:
- SQLite: an advisory file lock beside the database (flock), so other threads and other
  processes on the machine issuing into the same series wait, and a killed process lets go;
- PostgreSQL: a session advisory lock on a connection of its own, for several service
  processes on several machines; it too ends with its connection.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from service.core.files import private_folder
from service.store.database import Database

_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


def lock_key(series: str, year: int) -> bytes:
    """A fixed-size key of the series (agency names are long and Vietnamese)."""
    return hashlib.sha256(f"{year}|{series}".encode()).digest()


@contextmanager
def series_lock(database: Database, series: str, year: int) -> Iterator[None]:
    """Hold the series until the block ends."""
    key = lock_key(series, year)
    if database.engine.dialect.name == "postgresql":
        with _advisory_lock(database, int.from_bytes(key[:8], "big", signed=True)):
            yield
        return
    folder = _lock_folder(database)
    if folder is None:  # an in-memory database lives in this process only
        with _memory_lock(key.hex()):
            yield
        return
    with _file_lock(folder / f"{key.hex()[:32]}.lock"):
        yield


def _lock_folder(database: Database) -> Path | None:
    """The folder of the SQLite file's series locks; None for an in-memory database."""
    path = make_url(database.url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return private_folder(Path(path).parent / "register-locks")


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """flock on its own open file: threads of one process exclude each other too."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextmanager
def _advisory_lock(database: Database, key: int) -> Iterator[None]:
    """pg_advisory_lock on a connection held for the block, in autocommit (no transaction)."""
    with database.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextmanager
def _memory_lock(key: str) -> Iterator[None]:
    with _memory_guard:
        lock = _memory_locks.setdefault(key, threading.Lock())
    with lock:
        yield
