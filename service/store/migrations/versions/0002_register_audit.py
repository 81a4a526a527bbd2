"""The outgoing register and the audit trail.

Revision ID: 0002_register_audit
Revises: 0001_units
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_register_audit"
down_revision = "0001_units"
branch_labels = None
depends_on = None

# Issued entries and audit events are never changed or removed, whoever connects.
APPEND_ONLY = ("audit_events", "register_entries")


def upgrade() -> None:
    op.create_table(
        "register_counters",
        sa.Column("agency_key", sa.String(400), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_key", "year", name=op.f("pk_register_counters")),
    )
    op.create_table(
        "register_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_key", sa.String(400), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(60), nullable=False),
        sa.Column("doc_type", sa.String(40), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("unit_slug", sa.String(80), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(120), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("file_stem", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("docx", sa.LargeBinary(), nullable=False),
        sa.Column("docx_sha256", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_entries")),
        sa.UniqueConstraint(
            "agency_key", "year", "number", name=op.f("uq_register_entries_agency_key")
        ),
    )
    op.create_index(
        op.f("ix_register_entries_doc_type"), "register_entries", ["doc_type"], unique=False
    )
    op.create_index(
        op.f("ix_register_entries_document_date"),
        "register_entries",
        ["document_date"],
        unique=False,
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    for column in ("at", "actor", "action"):
        op.create_index(op.f(f"ix_audit_events_{column}"), "audit_events", [column], unique=False)
    for table in APPEND_ONLY:
        create_append_only_guard(table)


def create_append_only_guard(table: str) -> None:
    """Triggers that make UPDATE and DELETE on the table fail (and TRUNCATE on PostgreSQL)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION vb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION vb_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION vb_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        )


def downgrade() -> None:
    op.drop_table("audit_events")  # its triggers go with it
    op.drop_table("register_entries")
    op.drop_table("register_counters")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS vb_append_only()")
