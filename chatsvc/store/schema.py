"""One schema for SQLite (embedded default) and PostgreSQL, in SQLAlchemy Core.

Migrations in ``migrations/versions`` create exactly these tables; a test compares the two.
Times are stored as timezone-aware UTC datetimes.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa

metadata = sa.MetaData()



class UTCDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(datetime.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime.datetime | None, dialect: sa.Dialect) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)


server_secrets = sa.Table(
    "server_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("must_change_password", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("max_chats", sa.Integer, nullable=True),  # null: the server default
    sa.Column("status", sa.String(16), nullable=False, default="offline"),  # last chosen presence
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_login_at", UTCDateTime(), nullable=True),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_digest", sa.String(64), primary_key=True),  # sha256 of the cookie value
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Index("ix_staff_sessions_user", "user_id"),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(64), nullable=False, unique=True),  # public: goes in the embed tag
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("allowed_origins", sa.JSON, nullable=False),  # exact origins, never patterns
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

# A topic (set by the bot's menu or the widget) routes a conversation to the team that owns it.
team_topics = sa.Table(
    "team_topics",
    metadata,
    sa.Column("topic", sa.String(40), primary_key=True),
    sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
)

visitors = sa.Table(
    "visitors",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(120), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    # Where the visitor is, as their widget last said (``page`` frame), for the agent serving them.
    sa.Column("page_url", sa.String(2048), nullable=True),
    sa.Column("page_title", sa.String(300), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    sa.Column("language", sa.String(35), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("page_seen_at", UTCDateTime(), nullable=True),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    sa.Column("visitor_id", sa.String(32), sa.ForeignKey("visitors.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("topic", sa.String(40), nullable=True),
    sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    sa.Column("priority", sa.Integer, nullable=False, default=1),
    # A chat handed back by an agent who left goes before everyone who was merely waiting.
    sa.Column("queue_front", sa.Boolean, nullable=False, default=False),
    sa.Column("agent_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("last_seq", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("queued_at", UTCDateTime(), nullable=True),
    sa.Column("assigned_at", UTCDateTime(), nullable=True),
    sa.Column("first_response_at", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Column("closed_by_role", sa.String(16), nullable=True),
    sa.Column("closed_by_id", sa.String(32), nullable=True),
    # How it ended: "bot" (deflected: the visitor said the bot's answer solved it), "agent", "visitor", ...
    sa.Column("resolution", sa.String(16), nullable=True),
    # The visitor has seen events up to here (``read`` frame); only ever increases.
    sa.Column("visitor_read_seq", sa.Integer, nullable=False, default=0, server_default="0"),
    # For the manager's figures (migration 0007; docs/metrics.md). Each is written once and never overwritten,
    # unlike queued_at / assigned_at / agent_id, which a requeue or a transfer moves on.
    sa.Column("handoff_at", UTCDateTime(), nullable=True),  # first entry to the queue: handed to a person
    sa.Column("first_assigned_at", UTCDateTime(), nullable=True),  # first assignment to an agent
    # The staff member whose reply set first_response_at. No foreign key, like closed_by_id: SQLite cannot add
    # one to an existing table without rebuilding it, and a record of who answered may outlive the account.
    sa.Column("first_responder_id", sa.String(32), nullable=True),
    # One open conversation per visitor, enforced by the database (two tabs starting at once).
    sa.Index(
        "uq_conversations_one_open_per_visitor",
        "visitor_id",
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    ),
    sa.Index("ix_conversations_queue", "status", "priority", "queued_at"),
    sa.Index("ix_conversations_agent", "agent_id", "status"),
    sa.Index("ix_conversations_visitor", "visitor_id", "created_at"),
    # The manager's figures select a period by created_at, optionally for one site (migration 0007).
    sa.Index("ix_conversations_created", "created_at"),
    sa.Index("ix_conversations_site_created", "site_id", "created_at"),
)

# Every staff member who ever held a conversation: they may read its transcript later.
conversation_participants = sa.Table(
    "conversation_participants",
    metadata,
    sa.Column(
        "conversation_id",
        sa.String(32),
        sa.ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
)

events = sa.Table(
    "events",
    metadata,
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
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # A resend with the same client id is stored once (per author, so ids cannot collide across people).
    sa.Index(
        "uq_events_client_id",
        "conversation_id",
        "author_id",
        "client_id",
        unique=True,
        sqlite_where=sa.text("client_id IS NOT NULL"),
        postgresql_where=sa.text("client_id IS NOT NULL"),
    ),
    # The bot's unanswered questions of a period (kind 'bot', by time; migration 0007).
    sa.Index("ix_events_kind_created", "kind", "created_at"),
)


# --- bot deflection (migration 0002) ----------------------------------------------------------------------

kb_articles = sa.Table(
    "kb_articles",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # imported ids are kept (e.g. "frA-001"); new ones random
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # Markdown, rendered through a sanitizer
    sa.Column("alt", sa.JSON, nullable=False),  # "also asked as": alternative phrasings
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("published", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_kb_articles_updated", "updated_at"),
)

# The bot's quick-reply menu: a tree of buttons. Each leads to a canned answer, an article, a routing topic
# (the queue, for that topic's team), a person (the general queue), or a sub-menu (its children).
quick_replies = sa.Table(
    "quick_replies",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("parent_id", sa.String(32), sa.ForeignKey("quick_replies.id", ondelete="CASCADE"), nullable=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("label", sa.String(80), nullable=False),
    sa.Column("label_fr", sa.String(80), nullable=True),
    sa.Column("action", sa.String(16), nullable=False),  # answer | article | topic | human | menu
    sa.Column("payload", sa.Text, nullable=True),  # the answer's text, the article id, or the topic
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_quick_replies_parent", "parent_id", "position"),
)

# Canned responses for agents: shared (owner null, managed by admins) or personal.
canned_responses = sa.Table(
    "canned_responses",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    sa.Column("shortcut", sa.String(40), nullable=False),
    sa.Column("title", sa.String(120), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # One shortcut per owner; shared shortcuts are unique among themselves (a partial index: NULLs differ).
    sa.Index("uq_canned_personal_shortcut", "owner_id", "shortcut", unique=True,
             sqlite_where=sa.text("owner_id IS NOT NULL"), postgresql_where=sa.text("owner_id IS NOT NULL")),
    sa.Index("uq_canned_shared_shortcut", "shortcut", unique=True,
             sqlite_where=sa.text("owner_id IS NULL"), postgresql_where=sa.text("owner_id IS NULL")),
)


# --- tickets (migration 0003) -------------------------------------------------------------------------------

# Opening hours per site, in the site's time zone: used by the SLA clocks and by the widget (leave a message).
# ``weekly``: {"mon": [["09:00", "17:30"]], ...}; ``holidays``: ["2026-12-25", ...] (closed all day).
business_hours = sa.Table(
    "business_hours",
    metadata,
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("weekly", sa.JSON, nullable=False),
    sa.Column("holidays", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# Install-wide ticket settings edited by admins, one JSON document per name ("sla", "escalation").
ticket_settings = sa.Table(
    "ticket_settings",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # random: ticket links cannot be walked
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    sa.Column("visitor_id", sa.String(32), sa.ForeignKey("visitors.id", ondelete="SET NULL"), nullable=True),
    # The chat it came from (its events are the transcript); one ticket per conversation.
    sa.Column(
        "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("source", sa.String(16), nullable=False),  # chat | form | abandoned | api
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # new | open | pending | resolved | closed
    sa.Column("priority", sa.String(8), nullable=False),  # low | normal | high | urgent
    sa.Column("flagged", sa.Boolean, nullable=False, default=False),  # an escalation word was found
    sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    sa.Column("assignee_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("requester_name", sa.String(120), nullable=True),
    sa.Column("requester_email", sa.String(254), nullable=True),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("topic", sa.String(40), nullable=True),
    # The visitor's details when the ticket was made (page, browser...), the rule and words that applied.
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("first_response_due", UTCDateTime(), nullable=True),
    sa.Column("resolution_due", UTCDateTime(), nullable=True),
    sa.Column("first_response_at", UTCDateTime(), nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Index(
        "uq_tickets_conversation",
        "conversation_id",
        unique=True,
        sqlite_where=sa.text("conversation_id IS NOT NULL"),
        postgresql_where=sa.text("conversation_id IS NOT NULL"),
    ),
    sa.Index("ix_tickets_status", "status", "updated_at"),
    sa.Index("ix_tickets_assignee", "assignee_id", "status"),
    sa.Index("ix_tickets_team", "team_id", "status"),
    sa.Index("ix_tickets_email", "requester_email"),
    sa.Index("ix_tickets_visitor", "visitor_id"),
    sa.Index("ix_tickets_first_response_due", "first_response_due"),
    sa.Index("ix_tickets_resolution_due", "resolution_due"),
    sa.Index("ix_tickets_created", "created_at"),  # tickets of a period (manager's figures, migration 0007)
)

# A ticket's own numbered thread: replies, the visitor's answers, internal notes, and every change
# (status, assignee, priority) with who and when.
ticket_entries = sa.Table(
    "ticket_entries",
    metadata,
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(16), nullable=False),  # message | note | change
    sa.Column("author_role", sa.String(16), nullable=False),
    sa.Column("author_id", sa.String(32), nullable=True),
    sa.Column("author_name", sa.String(120), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=True),  # a form sent twice is stored once
    sa.Column("body", sa.Text, nullable=True),
    sa.Column("data", sa.JSON, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index(
        "uq_ticket_entries_client_id",
        "ticket_id",
        "client_id",
        unique=True,
        sqlite_where=sa.text("client_id IS NOT NULL"),
        postgresql_where=sa.text("client_id IS NOT NULL"),
    ),
    sa.Index("ix_ticket_entries_client_id", "client_id"),  # a form sent again finds the ticket it made
)

# Assignment rules, evaluated in ``position`` order; the first that matches applies.
ticket_rules = sa.Table(
    "ticket_rules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("keywords", sa.JSON, nullable=False),  # any of these words in the question
    sa.Column("topic", sa.String(40), nullable=True),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=True),
    sa.Column("team_id", sa.String(32), sa.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True),
    sa.Column("agent_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    sa.Column("priority", sa.String(8), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_ticket_rules_position", "position"),
)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(128), nullable=False),  # HMAC key; shown once, never logged
    sa.Column("events", sa.JSON, nullable=False),  # ticket.created | ticket.updated | ticket.resolved
    sa.Column("enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("allow_private", sa.Boolean, nullable=False, default=False),  # admin's explicit choice
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# A durable queue and log: a delivery is written with the change that causes it, then sent and retried.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("webhook_id", sa.String(32), sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("ticket_id", sa.String(32), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(300), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("delivered_at", UTCDateTime(), nullable=True),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
)

# Mail to visitors, queued durably and sent by a worker (or written to the outbox folder without SMTP).
outbound_mail = sa.Table(
    "outbound_mail",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),  # ticket_created | ticket_reply | ticket_resolved
    sa.Column("ticket_id", sa.String(32), nullable=True),
    sa.Column("to_address", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.String(300), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.Index("ix_outbound_mail_due", "status", "next_attempt_at"),
)


# --- the widget (migration 0004) ----------------------------------------------------------------------------

# How a site's widget looks and what it asks; a site without a row uses the defaults of domain/widget.py.
widget_settings = sa.Table(
    "widget_settings",
    metadata,
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("color", sa.String(7), nullable=False),  # #rrggbb; the text colour is derived from it
    sa.Column("position", sa.String(8), nullable=False),  # right | left
    sa.Column("greeting_en", sa.String(300), nullable=True),  # null: the widget's own greeting
    sa.Column("greeting_fr", sa.String(300), nullable=True),
    sa.Column("prechat", sa.String(8), nullable=False),  # off | optional | required
    sa.Column("survey_csat", sa.Boolean, nullable=False),
    sa.Column("survey_nps", sa.Boolean, nullable=False),
    sa.Column("survey_ces", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# The visitor's end-of-chat rating: one per conversation (the primary key refuses a second).
surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column(
        "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csat", sa.SmallInteger, nullable=False),  # 1..5
    sa.Column("nps", sa.SmallInteger, nullable=True),  # 0..10
    sa.Column("ces", sa.SmallInteger, nullable=True),  # 1..7
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_surveys_site", "site_id", "created_at"),
)


# --- the console's queue version (migration 0006) -----------------------------------------------------------

# Named counters bumped in the transaction of the change they count. ``queue``: every change to the waiting queue
# (a chat joins or leaves it, or its place, priority or team changes while it waits); the staff's ``waiting``
# frame carries it as ``version`` so that a console drops a list older than one it has shown.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
