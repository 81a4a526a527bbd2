"""A unit profile names its province (migration 0010, after 0009_unit_council)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0010_unit_province", "0009_unit_council"


def upgrade() -> None:
    # Nullable: the units made before it have no province until one is chosen.
    op.add_column("units", sa.Column("province", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("province")
