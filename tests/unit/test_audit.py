"""The audit trail: renders, issues and signatures recorded with who and when; append-only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from service.core.documents import DocumentService
from service.store.audit import AuditEvent
from service.store.register import RegisterEntry
from tests.conftest import client_as
from tests.helpers import SignableConverter, make_database, make_issuer, plan


@pytest.fixture()
def app(make_app) -> Any:
    return make_app(SignableConverter())


@pytest.fixture()
def client(app) -> Any:
    return app.test_client()


def test_render_and_issue_are_recorded_with_the_actor(app, client) -> None:
    start = dt.datetime.now(dt.UTC)
    rendered = client_as(app, "hoa").post("/api/documents/ke_hoach?format=docx", json=plan())
    assert rendered.status_code == 200
    issued = client_as(app, "lan").post("/api/register/issue/ke_hoach", json=plan())
    assert issued.status_code == 201
    events = client.get("/api/audit").json
    assert events["total"] == 3
    newest_first = [(e["action"], e["actor"]) for e in events["items"]]
    assert newest_first == [("issue", "key:lan"), ("render", "key:lan"), ("render", "key:hoa")]
    issue_event = events["items"][0]
    assert issue_event["subject"] == "Số: 01/KH-UBND - Ủy ban nhân dân xã Y Tịch"
    assert issue_event["details"]["entry"] == issued.json["id"]
    assert issue_event["details"]["pdf_sha256"] == issued.json["pdf_sha256"]
    assert events["items"][2]["subject"].endswith(".docx")
    assert dt.datetime.fromisoformat(issue_event["at"]) >= start.replace(microsecond=0)


def test_filters(app, client) -> None:
    for user in ("hoa", "lan"):
        client_as(app, user).post("/api/documents/ke_hoach", json=plan())
    assert client.get("/api/audit?actor=key:lan").json["total"] == 1
    assert client.get("/api/audit?action=issue").json["total"] == 0
    assert client.get("/api/audit?subject=KH-UBND").json["total"] == 2
    assert client.get("/api/audit?since=2999-01-01T00:00:00%2B07:00").json["total"] == 0
    assert client.get("/api/audit?until=2999-01-01").json["total"] == 2
    response = client.get("/api/audit?until=h%C3%B4m%20qua")
    assert response.status_code == 422 and "query.until" in response.json["errors"]
    response = client.get("/api/audit?action=delete")
    assert response.status_code == 422 and "query.action" in response.json["errors"]


def test_no_route_changes_the_trail(client) -> None:
    client.post("/api/documents/ke_hoach", json=plan())
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/api/audit").status_code == 405
        assert getattr(client, method)("/api/audit/1").status_code == 404
    assert client.get("/api/audit").json["total"] == 1


def test_the_database_refuses_updates_and_deletes(tmp_path: Path) -> None:
    database = make_database(tmp_path)
    issuer = make_issuer(database, DocumentService(SignableConverter()), tmp_path)
    issuer.issue("ke_hoach", plan(), actor="hoa")
    attempts = [
        update(AuditEvent).values(actor="someone else"),
        delete(AuditEvent),
        update(RegisterEntry).values(number=99),
        delete(RegisterEntry),
    ]
    for statement in attempts:
        with pytest.raises(DatabaseError, match="append-only"), database.session() as session:
            session.execute(statement)
    with pytest.raises(DatabaseError, match="append-only"), database.session() as session:
        session.execute(text("DELETE FROM audit_events"))
    with database.session() as session:
        assert {e.actor for e in session.query(AuditEvent)} == {"hoa"}
        assert session.query(RegisterEntry).one().number == 1


