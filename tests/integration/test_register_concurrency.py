"""200 issues from 8 processes at once, on SQLite and on a real PostgreSQL: 01-200, no gap."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.core.documents import DocumentService
from service.store.audit import AuditEvent
from service.store.base import Base
from service.store.database import Database
from service.store.register import RegisterCounter, RegisterEntry
from tests.conftest import docx_text
from tests.helpers import SignableConverter, database_refuses, make_issuer, plan
from tests.integration.servers import new_postgres_database

pytestmark = pytest.mark.integration
PROCESSES, EACH = 8, 25


def issue_many(url: str, count: int, start: Any, results: Any) -> None:
    """In a process of its own: its own engine, then `count` issues as soon as all are ready."""
    database = Database(url)
    # The same Issuer as the service; the converter is a fake (no LibreOffice) that returns a
    # PDF with the signature block, so signing-ready preparation runs inside the lock too.
    issuer = make_issuer(database, DocumentService(SignableConverter()))
    start.wait(timeout=120)
    numbers = [issuer.issue("ke_hoach", plan(), actor=f"p{id(start)}").number for _ in range(count)]
    database.dispose()
    results.put(numbers)


def run_in_parallel(url: str) -> list[list[int]]:
    """Issue PROCESSES x EACH documents from separate processes; each process's numbers."""
    Database(url).upgrade()
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    processes = [
        context.Process(target=issue_many, args=(url, EACH, start, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    numbers = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return numbers


def check_register(url: str, numbers: list[list[int]]) -> None:
    """Numbers 1..200 exactly, each printed in its own DOCX, counter and trail agree."""
    total = PROCESSES * EACH
    assert sorted(n for batch in numbers for n in batch) == list(range(1, total + 1))
    assert all(batch == sorted(batch) for batch in numbers)  # each process saw them rise
    # The processes really ran together: their numbers interleave.
    owner = {n: i for i, batch in enumerate(numbers) for n in batch}
    switches = sum(owner[n] != owner[n + 1] for n in range(1, total))
    assert switches >= PROCESSES, f"issues did not overlap ({switches} switches)"
    database = Database(url)
    try:
        with database.session() as session:
            entries = session.query(RegisterEntry).order_by(RegisterEntry.number).all()
            assert [e.number for e in entries] == list(range(1, total + 1))
            for entry in entries:
                assert f"Số: {entry.number:02d}/KH-UBND" in docx_text(entry.docx)
            (counter,) = session.query(RegisterCounter).all()
            assert counter.last_number == total
            issues = session.query(AuditEvent).filter_by(action="issue").count()
            assert issues == total
    finally:
        database.dispose()


def test_sqlite_200_issues_from_8_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.db'}"
    check_register(url, run_in_parallel(url))


def test_postgresql_200_issues_from_8_processes(postgres_url: str) -> None:
    url = new_postgres_database(postgres_url, "concurrency")
    check_register(url, run_in_parallel(url))


def test_postgresql_schema_and_append_only_trail(postgres_url: str) -> None:
    database = Database(new_postgres_database(postgres_url, "schema"))
    try:
        database.upgrade()
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        database_refuses(database)
    finally:
        database.dispose()
