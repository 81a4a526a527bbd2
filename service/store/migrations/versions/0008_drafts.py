"""Drafts on the server, their versions and files; a register entry knows the draft it issued
and keeps scans of its signed paper.

Revision ID: 0008_drafts
Revises: 0007_register_copies
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_drafts"
down_revision = "0007_register_copies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_slug", sa.String(80), nullable=False),
        sa.Column("doc_type", sa.String(40), nullable=False),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signer_account", sa.String(120), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    for column in ("unit_slug", "status", "signer_account"):
        op.create_index(op.f(f"ix_drafts_{column}"), "drafts", [column], unique=False)
    op.create_table(
        "draft_versions",
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(120), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_draft_versions_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("draft_id", "version", name=op.f("pk_draft_versions")),
    )
    op.create_table(
        "draft_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_draft_files_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_files")),
    )
    op.create_index(op.f("ix_draft_files_draft_id"), "draft_files", ["draft_id"], unique=False)
    # A plain ADD COLUMN keeps the register's append-only triggers; the unique index refuses a
    # second entry for one draft, so a retried issue can never take a second number.
    op.add_column("register_entries", sa.Column("draft_id", sa.Integer(), nullable=True))
    op.create_index(
        op.f("ix_register_entries_draft_id"), "register_entries", ["draft_id"], unique=True
    )

    op.create_table(
        "entry_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entry_scans")),
    )
    op.create_index(op.f("ix_entry_scans_entry_id"), "entry_scans", ["entry_id"], unique=False)
    # Raised at Đăng xuất, so a session made before ends on the server, not only in the browser.
    op.add_column("accounts", sa.Column(
        "session_generation", sa.Integer(), nullable=False, server_default="0"
    ))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("session_generation")
    op.drop_index(op.f("ix_entry_scans_entry_id"), table_name="entry_scans")
    op.drop_table("entry_scans")
    op.drop_index(op.f("ix_register_entries_draft_id"), table_name="register_entries")
    with op.batch_alter_table("register_entries") as batch:
        batch.drop_column("draft_id")
    op.drop_index(op.f("ix_draft_files_draft_id"), table_name="draft_files")
    op.drop_table("draft_files")
    op.drop_table("draft_versions")
    for column in ("signer_account", "status", "unit_slug"):
        op.drop_index(op.f(f"ix_drafts_{column}"), table_name="drafts")
    op.drop_table("drafts")
