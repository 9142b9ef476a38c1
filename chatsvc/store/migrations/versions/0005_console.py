"""The agent console: where the visitor is (page, browser, language) and how far they have read.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)

VISITOR_COLUMNS = ("page_url", "page_title", "timezone", "language", "user_agent", "page_seen_at")


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both backends: no table is rebuilt, no row is touched.
    op.add_column("visitors", sa.Column("page_url", sa.String(2048), nullable=True))
    op.add_column("visitors", sa.Column("page_title", sa.String(300), nullable=True))
    op.add_column("visitors", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column("visitors", sa.Column("language", sa.String(35), nullable=True))
    op.add_column("visitors", sa.Column("user_agent", sa.String(512), nullable=True))
    op.add_column("visitors", sa.Column("page_seen_at", Time, nullable=True))
    op.add_column("conversations", sa.Column("visitor_read_seq", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding ``visitors`` or ``conversations`` on
    # SQLite drops the old table, and with foreign keys on that would cascade into every conversation and event.
    op.drop_column("conversations", "visitor_read_seq")
    for column in reversed(VISITOR_COLUMNS):
        op.drop_column("visitors", column)
