"""PostgreSQL statistics on events' kind and the bot turn's move together (``kind``, ``data ->> 'move'``), for
the unanswered questions.

Without them PostgreSQL guesses that 0.5 % of the bot's turns are "no answer" (a default for an expression it
knows nothing of): fewer than the 2,000 questions the stats page asks for, so it reads and parses every bot turn
of the period and sorts them (230 ms for a year of 100,000 generated conversations, on three processes), where
walking ``ix_events_kind_created`` backwards stops after the newest 2,000 (30 to 50 ms). Statistics on the move
alone are not enough: taken as independent of the kind (the move is null on every other event), "no answer"
looks 5 times rarer among bot turns than it is, and with a site filter PostgreSQL reads them all again. On both
together (multivariate MCV lists) it counts them right. ``ANALYZE`` (autovacuum) fills them. SQLite keeps no
such statistics and walks the index already.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STATISTICS = "st_events_move"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS {STATISTICS} ON kind, ((data ->> 'move')) FROM events")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
