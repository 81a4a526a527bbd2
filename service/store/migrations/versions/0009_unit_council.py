"""A unit profile holds its Hội đồng nhân dân beside its Ủy ban nhân dân.

Revision ID: 0009_unit_council
Revises: 0008_drafts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_unit_council"
down_revision = "0008_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: the units made before it have no council until one is entered.
    op.add_column("units", sa.Column("council", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("council")
