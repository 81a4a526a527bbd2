"""The outgoing register and the audit trail.

Revision ID: 0002_register_audit
Revises: 0001_units
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0002_register_audit"
down_revision = "0001_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
