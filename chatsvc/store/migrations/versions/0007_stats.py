"""The manager's figures: when a chat was first handed to a person and first assigned, who answered it first,
and the indexes that select a period.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)

INDEXES = (
    ("ix_conversations_created", "conversations", ["created_at"]),
    ("ix_conversations_site_created", "conversations", ["site_id", "created_at"]),
    ("ix_events_kind_created", "events", ["kind", "created_at"]),
    ("ix_tickets_created", "tickets", ["created_at"]),
)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both backends: no table is rebuilt. first_responder_id has no
    # foreign key (as closed_by_id): SQLite cannot add one without a rebuild (see the downgrade).
    op.add_column("conversations", sa.Column("handoff_at", Time, nullable=True))
    op.add_column("conversations", sa.Column("first_assigned_at", Time, nullable=True))
    op.add_column("conversations", sa.Column("first_responder_id", sa.String(32), nullable=True))
    # Backfill from what older rows know. queued_at and assigned_at are the latest entry to the queue and the
    # latest assignment, so a chat requeued or transferred before this migration gets its later time: the best
    # there is. The agent who holds (or last held) an answered chat most likely wrote its first reply.
    op.execute("UPDATE conversations SET handoff_at = queued_at WHERE queued_at IS NOT NULL")
    op.execute("UPDATE conversations SET first_assigned_at = assigned_at WHERE assigned_at IS NOT NULL")
    op.execute(
        "UPDATE conversations SET first_responder_id = agent_id "
        "WHERE first_response_at IS NOT NULL AND agent_id IS NOT NULL"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # Plain DROP COLUMN (see 0005): a batch rebuild of ``conversations`` would cascade into its events.
    op.drop_column("conversations", "first_responder_id")
    op.drop_column("conversations", "first_assigned_at")
    op.drop_column("conversations", "handoff_at")
