"""The widget: per-site widget settings and end-of-chat surveys.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "widget_settings",
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("position", sa.String(8), nullable=False),
        sa.Column("greeting_en", sa.String(300), nullable=True),
        sa.Column("greeting_fr", sa.String(300), nullable=True),
        sa.Column("prechat", sa.String(8), nullable=False),
        sa.Column("survey_csat", sa.Boolean, nullable=False),
        sa.Column("survey_nps", sa.Boolean, nullable=False),
        sa.Column("survey_ces", sa.Boolean, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "surveys",
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csat", sa.SmallInteger, nullable=False),
        sa.Column("nps", sa.SmallInteger, nullable=True),
        sa.Column("ces", sa.SmallInteger, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index("ix_surveys_site", "surveys", ["site_id", "created_at"])


def downgrade() -> None:
    op.drop_table("surveys")
    op.drop_table("widget_settings")
