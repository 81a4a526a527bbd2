"""Unit profiles keep their issuer and signer parts whole, as the documents hold them.

Revision ID: 0004_unit_parts
Revises: 0003_bulk_jobs
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_unit_parts"
down_revision = "0003_bulk_jobs"
branch_labels = None
depends_on = None

ISSUER = ("parent_agency", "agency", "agency_short", "agency_code", "unit_code", "place")
SIGNER = ("collective", "mode", "head_title", "title", "name")


def _units(*names: str) -> sa.TableClause:
    return sa.table("units", sa.column("id", sa.Integer), *(sa.column(n) for n in names))


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("issuer", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("signer", sa.JSON(), nullable=True))
    connection = op.get_bind()
    old = _units(*ISSUER, *SIGNER)
    new = sa.table("units", sa.column("id", sa.Integer), sa.column("issuer", sa.JSON),
                   sa.column("signer", sa.JSON))
    for row in connection.execute(sa.select(old)).mappings().all():
        connection.execute(
            new.update()
            .where(new.c.id == row["id"])
            .values(issuer={n: row[n] for n in ISSUER}, signer={n: row[n] for n in SIGNER})
        )
    with op.batch_alter_table("units") as batch:
        batch.alter_column("issuer", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("signer", existing_type=sa.JSON(), nullable=False)
        for name in (*ISSUER, *SIGNER):
            if name != "agency":
                batch.drop_column(name)


def downgrade() -> None:
    raise NotImplementedError("unit profiles are not split back into columns")
