"""Bulk jobs and their rows.

Revision ID: 0003_bulk_jobs
Revises: 0002_register_audit
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_bulk_jobs"
down_revision = "0002_register_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("doc_type", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("backend", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("base", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("list_separator", sa.String(10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("input_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index(op.f("ix_bulk_jobs_input_key"), "bulk_jobs", ["input_key"], unique=False)
    op.create_index(op.f("ix_bulk_jobs_state"), "bulk_jobs", ["state"], unique=False)
    op.create_table(
        "bulk_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(200), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("completions", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("docx_name", sa.String(200), nullable=True),
        sa.Column("pdf_name", sa.String(200), nullable=True),
        sa.Column("docx_sha256", sa.String(64), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_rows_job_id_bulk_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_rows")),
        sa.UniqueConstraint("job_id", "index", name=op.f("uq_bulk_rows_job_id")),
    )
    op.create_index(op.f("ix_bulk_rows_status"), "bulk_rows", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bulk_rows_status"), table_name="bulk_rows")
    op.drop_table("bulk_rows")
    op.drop_index(op.f("ix_bulk_jobs_state"), table_name="bulk_jobs")
    op.drop_index(op.f("ix_bulk_jobs_input_key"), table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
