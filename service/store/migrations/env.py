"""Alembic environment: migrate on the connection Database.upgrade() hands in, or on the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from service.store import models  # noqa: F401  (every table registered on Base.metadata)
from service.store.base import Base

config = context.config


def run(connection: object) -> None:
    """Run the migrations on one connection (batch mode so SQLite can alter tables)."""
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url") or "").connect() as own:
        run(own)
        own.commit()
