"""Tickets: business hours, tickets and their thread, assignment rules, webhooks, the mail queue.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "business_hours",
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("weekly", sa.JSON, nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "ticket_settings",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "visitor_id", sa.String(32), sa.ForeignKey("visitors.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
        sa.Column(
            "assignee_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("requester_name", sa.String(120), nullable=True),
        sa.Column("requester_email", sa.String(254), nullable=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("first_response_due", Time, nullable=True),
        sa.Column("resolution_due", Time, nullable=True),
        sa.Column("first_response_at", Time, nullable=True),
        sa.Column("resolved_at", Time, nullable=True),
        sa.Column("closed_at", Time, nullable=True),
    )
    op.create_index("uq_tickets_conversation", "tickets", ["conversation_id"], unique=True,
        sqlite_where=sa.text("conversation_id IS NOT NULL"),
        postgresql_where=sa.text("conversation_id IS NOT NULL"),
    )
    op.create_index("ix_tickets_status", "tickets", ["status", "updated_at"])
    op.create_index("ix_tickets_assignee", "tickets", ["assignee_id", "status"])
    op.create_index("ix_tickets_team", "tickets", ["team_id", "status"])
    op.create_index("ix_tickets_email", "tickets", ["requester_email"])
    op.create_index("ix_tickets_visitor", "tickets", ["visitor_id"])
    op.create_index("ix_tickets_first_response_due", "tickets", ["first_response_due"])
    op.create_index("ix_tickets_resolution_due", "tickets", ["resolution_due"])
    op.create_table(
        "ticket_entries",
        sa.Column(
            "ticket_id", sa.String(32), sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
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
    op.create_index("uq_ticket_entries_client_id", "ticket_entries", ["ticket_id", "client_id"], unique=True,
        sqlite_where=sa.text("client_id IS NOT NULL"), postgresql_where=sa.text("client_id IS NOT NULL"),
    )
    op.create_index("ix_ticket_entries_client_id", "ticket_entries", ["client_id"])
    op.create_table(
        "ticket_rules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("topic", sa.String(40), nullable=True),
        sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=True),
        sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
        sa.Column("agent_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("priority", sa.String(8), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_index("ix_ticket_rules_position", "ticket_rules", ["position"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("allow_private", sa.Boolean, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "webhook_id", sa.String(32), sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Time, nullable=True),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("delivered_at", Time, nullable=True),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_deliveries_webhook", "webhook_deliveries", ["webhook_id", "created_at"])
    op.create_table(
        "outbound_mail",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Time, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("sent_at", Time, nullable=True),
    )
    op.create_index("ix_outbound_mail_due", "outbound_mail", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbound_mail")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_table("ticket_rules")
    op.drop_table("ticket_entries")
    op.drop_table("tickets")
    op.drop_table("ticket_settings")
    op.drop_table("business_hours")
