"""Bot deflection: knowledge-base articles, the quick-reply menu, canned responses, how a conversation ended.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("alt", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_index("ix_kb_articles_updated", "kb_articles", ["updated_at"])
    op.create_table(
        "quick_replies",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "parent_id", sa.String(32), sa.ForeignKey("quick_replies.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("label", sa.String(80), nullable=False),
        sa.Column("label_fr", sa.String(80), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_quick_replies_parent", "quick_replies", ["parent_id", "position"])
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_index(
        "uq_canned_personal_shortcut", "canned_responses", ["owner_id", "shortcut"], unique=True,
        sqlite_where=sa.text("owner_id IS NOT NULL"), postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_index(
        "uq_canned_shared_shortcut", "canned_responses", ["shortcut"], unique=True,
        sqlite_where=sa.text("owner_id IS NULL"), postgresql_where=sa.text("owner_id IS NULL"),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("resolution", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("resolution")
    op.drop_table("canned_responses")
    op.drop_table("quick_replies")
    op.drop_table("kb_articles")
