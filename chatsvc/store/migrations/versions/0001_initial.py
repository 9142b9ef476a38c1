"""The initial schema: accounts, sites, teams, visitors, conversations and their events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("max_chats", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_login_at", Time, nullable=True),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
    )
    op.create_index("ix_staff_sessions_user", "staff_sessions", ["user_id"])
    op.create_table(
        "sites",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("allowed_origins", sa.JSON, nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "team_topics",
        sa.Column("topic", sa.String(40), primary_key=True),
        sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_table(
        "visitors",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_seen_at", Time, nullable=False),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "visitor_id", sa.String(32), sa.ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("queue_front", sa.Boolean, nullable=False),
        sa.Column("agent_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("queued_at", Time, nullable=True),
        sa.Column("assigned_at", Time, nullable=True),
        sa.Column("first_response_at", Time, nullable=True),
        sa.Column("closed_at", Time, nullable=True),
        sa.Column("closed_by_role", sa.String(16), nullable=True),
        sa.Column("closed_by_id", sa.String(32), nullable=True),
    )
    op.create_index(
        "uq_conversations_one_open_per_visitor",
        "conversations",
        ["visitor_id"],
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    )
    op.create_index("ix_conversations_queue", "conversations", ["status", "priority", "queued_at"])
    op.create_index("ix_conversations_agent", "conversations", ["agent_id", "status"])
    op.create_index("ix_conversations_visitor", "conversations", ["visitor_id", "created_at"])
    op.create_table(
        "conversation_participants",
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("joined_at", Time, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_role", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=True),
        sa.Column("author_name", sa.String(120), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_index(
        "uq_events_client_id",
        "events",
        ["conversation_id", "author_id", "client_id"],
        unique=True,
        sqlite_where=sa.text("client_id IS NOT NULL"),
        postgresql_where=sa.text("client_id IS NOT NULL"),
    )


def downgrade() -> None:
    for table in (
        "events", "conversation_participants", "conversations", "visitors", "team_topics", "team_members", "teams", "sites",
        "staff_sessions", "users", "server_secrets",
    ):
        op.drop_table(table)
