"""Register entries know the entry a copy (sao y, sao lục, trích sao) was made from.

Revision ID: 0007_register_copies
Revises: 0006_job_duplex
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_register_copies"
down_revision = "0006_job_duplex"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE: no row is rewritten and the append-only triggers stay in place (a
    # batch copy of the table would drop them on SQLite).
    op.add_column("register_entries", sa.Column("source_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_register_entries_source_id"), "register_entries", ["source_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_register_entries_source_id"), table_name="register_entries")
    op.drop_column("register_entries", "source_id")
