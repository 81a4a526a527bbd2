"""The database: engine, sessions, and migrations to the current schema."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from service.core.files import private_folder
from service.core.outages import DATABASE_AWAY, DISK_FULL, causes

MIGRATIONS = Path(__file__).with_name("migrations")


class Database:
    """One database: an engine, a session factory and `upgrade()` to the latest schema."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """A session committed on success, rolled back on error.

        `immediate` takes SQLite's write lock at the start (BEGIN IMMEDIATE), so a
        read-then-write (the next register number) cannot interleave with another process.
        """
        session = self._sessions()
        if immediate and self.is_sqlite:
            session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Migrate the schema to the latest revision (safe when several processes start at once)."""
        from alembic import command

        with self.engine.connect() as connection:
            connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Processes starting together migrate one after the other.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(300020)")
                if current_revision(connection) == head_revision():
                    # Running Alembic's environment costs more than the rest of a start.
                    return
                config = alembic_config(self.url)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def current_revision(connection: Any) -> str | None:
    """The revision a database is at (None when it has no schema yet)."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The latest revision of the bundled migrations (read once a process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def alembic_config(url: str) -> Any:
    """An Alembic configuration pointing at the bundled migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def make_engine(url: str, **options: Any) -> Engine:
    """An engine; for SQLite, WAL, a busy timeout, foreign keys and real transactions."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **options)
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_folder(Path(database).parent)
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm the same mode.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(url, connect_args={"timeout": 30}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we emit it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def database_outage(exc: BaseException) -> str | None:
    """The clerk's message when the database is away or full (an Explain of core.outages)."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    for cause in causes(exc):
        text = str(cause).lower()
        if isinstance(cause, DBAPIError | OSError) and (
            "disk is full" in text or "no space left" in text or "could not extend file" in text
        ):
            return DISK_FULL
        if isinstance(cause, OperationalError) or (
            isinstance(cause, DBAPIError) and cause.connection_invalidated
        ):
            return DATABASE_AWAY
    return None
