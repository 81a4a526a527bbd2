"""Bulk jobs remember whether their merged PDF is laid out for printing on both sides.

Revision ID: 0006_job_duplex
Revises: 0005_accounts
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_job_duplex"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: the jobs made before it were all one-sided.
    op.add_column(
        "bulk_jobs",
        sa.Column("duplex", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as batch:
        batch.drop_column("duplex")
