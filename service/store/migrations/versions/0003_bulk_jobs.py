"""Bulk jobs and their rows.

Revision ID: 0003_bulk_jobs
Revises: 0002_register_audit
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0003_bulk_jobs"
down_revision = "0002_register_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
