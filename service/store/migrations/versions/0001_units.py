"""Unit profiles.

Revision ID: 0001_units
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_units"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("parent_agency", sa.String(200), nullable=True),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("agency_short", sa.String(200), nullable=True),
        sa.Column("agency_code", sa.String(30), nullable=False),
        sa.Column("unit_code", sa.String(30), nullable=True),
        sa.Column("place", sa.String(100), nullable=False),
        sa.Column("collective", sa.String(200), nullable=True),
        sa.Column("mode", sa.String(10), nullable=True),
        sa.Column("head_title", sa.String(100), nullable=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("archive", sa.String(60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("slug", name=op.f("uq_units_slug")),
    )


def downgrade() -> None:
    op.drop_table("units")
