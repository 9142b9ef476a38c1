"""Ticket use cases: make a ticket from any channel, move it through its lifecycle, reply, note, assign.

Every change is one transaction (``TicketStore.apply``) that also queues the visitor's mail and the webhook
deliveries that follow from it; the workers are poked after the commit.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.domain.hours import BusinessHours
from chatsvc.domain.ids import new_id
from chatsvc.domain.links import TicketLinks
from chatsvc.domain.mail import compose_ticket_mail, safe_header_text, valid_email
from chatsvc.domain.model import ConversationStatus, EventKind, Role
from chatsvc.domain.model import check_transition as check_conversation_transition
from chatsvc.domain.rules import DEFAULT_ESCALATION, Escalation, Rule, TicketFacts, route
from chatsvc.domain.sla import DEFAULT_POLICY, SlaPolicy, due_dates
from chatsvc.domain.tickets import (
    EntryKind,
    Priority,
    Source,
    TicketStatus,
    WebhookEvent,
    check_chosen,
    check_transition,
    reopened_status,
)
from chatsvc.errors import BadRequest, Conflict, Forbidden, InvalidState, NotFound
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.clock import Clock
from chatsvc.settings import Settings
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import Applied, ConversationStore, NewEvent
from chatsvc.store.outbox import enqueue_mail
from chatsvc.store.ticket_config import TicketConfigStore
from chatsvc.store.tickets import Changed, NewEntry, Ticket, TicketEntry, TicketFilter, TicketStore
from chatsvc.store.webhooks import enqueue_deliveries

log = logging.getLogger("chatsvc.tickets")

SUBJECT_MAX = 200
TEXT_MAX = 20_000
SYSTEM_NAME = "chatsvc"
TRANSCRIPT_LIMIT = 10_000  # events of the chat a ticket came from, shown with it
ABANDONED_PER_HOUR = 3  # tickets (and mails) per email address from questions left in the queue


@dataclasses.dataclass(frozen=True)
class Requester:
    name: str | None
    email: str | None
    visitor_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Intake:
    """Everything a new ticket is made from, whatever the channel."""

    site: records.Site
    source: Source
    subject: str
    question: str  # what the rules and escalation words read (the visitor's words)
    requester: Requester
    lang: str = "en"
    topic: str | None = None
    conversation: records.Conversation | None = None
    first_message: NewEntry | None = None
    assignee_id: str | None = None  # the converting agent keeps the ticket
    team_id: str | None = None
    priority: Priority | None = None  # asked for by the creator; escalation may still raise it
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    creator_role: str = Role.SYSTEM.value
    creator_id: str | None = None
    creator_name: str = SYSTEM_NAME


class _ChatClosed(Exception):
    """The chat closed between reading it and locking it."""


def subject_from(text: str, limit: int = 80) -> str:
    """A one-line subject from the visitor's first words."""
    line = safe_header_text(text, SUBJECT_MAX)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class TicketService:
    def __init__(
        self,
        settings: Settings,
        store: TicketStore,
        config: TicketConfigStore,
        accounts: AccountStore,
        conversations: ConversationStore,
        clock: Clock,
        *,
        poke_mail: Callable[[], None] = lambda: None,
        poke_webhooks: Callable[[], None] = lambda: None,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.config = config
        self.accounts = accounts
        self.conversations = conversations
        self.clock = clock
        self._poke_mail = poke_mail
        self._poke_webhooks = poke_webhooks
        # Told after every committed change: the managers' live panel counts today's tickets and SLA breaches,
        # and a ticket stores no conversation event that would tell it.
        self._changed = changed
        self._links: TicketLinks | None = None
        self.served_url = "http://127.0.0.1:8000"  # set by the server from its host and port
        # Closing a chat that becomes a ticket is the chat service's job (set at start: it is built then):
        # the converting agent's close, and telling every socket of a close stored with the ticket (the visitor
        # who left a message instead of waiting).
        self.close_chat: Callable[[StaffIdentity, str], Awaitable[object]] | None = None
        self.announce_close: Callable[[Applied], Awaitable[object]] | None = None

    def start(self, link_secret: str) -> None:
        self._links = TicketLinks(link_secret)

    @property
    def links(self) -> TicketLinks:
        if self._links is None:
            raise RuntimeError("ticket service not started")
        return self._links

    @property
    def base_url(self) -> str:
        """Where mailed links point: the first public URL, else the address this process serves on. Never the
        request's Host header: anyone can send one, and a link in someone else's mail must not follow it."""
        return (self.settings.public_urls[0] if self.settings.public_urls else self.served_url).rstrip("/")

    def status_link(self, ticket_id: str) -> str:
        return self.links.url(self.base_url, ticket_id)

    # --- configuration ---------------------------------------------------------------------------------

    async def sla_policy(self) -> SlaPolicy:
        stored = await self.config.setting("sla")
        return SlaPolicy.parse(stored) if stored is not None else DEFAULT_POLICY

    async def escalation(self) -> Escalation:
        stored = await self.config.setting("escalation")
        return Escalation.parse(stored) if stored is not None else DEFAULT_ESCALATION

    async def business_hours(self, site_id: str) -> BusinessHours | None:
        stored = await self.config.hours(site_id)
        if stored is None:
            return None
        return BusinessHours.parse(stored.timezone, stored.weekly, stored.holidays)

    async def rules(self) -> list[Rule]:
        return [
            Rule(
                id=r.id,
                name=r.name,
                enabled=r.enabled,
                keywords=r.keywords,
                topic=r.topic,
                site_id=r.site_id,
                team_id=r.team_id,
                agent_id=r.agent_id,
                priority=Priority(r.priority) if r.priority else None,
            )
            for r in await self.config.rules()
        ]

    async def _due(
        self, site_id: str, priority: Priority, start: datetime.datetime
    ) -> tuple[datetime.datetime, ...]:
        return due_dates(await self.sla_policy(), priority, start, await self.business_hours(site_id))

    # --- creation -------------------------------------------------------------------------------------

    async def _new_ticket(self, intake: Intake) -> tuple[Ticket, list[NewEntry]]:
        """The ticket ``intake`` makes and its first entries, routed and with its SLA dates; nothing stored."""
        now = self.clock()
        routing = route(
            await self.rules(),
            TicketFacts(
                text=f"{intake.subject}\n{intake.question}", topic=intake.topic, site_id=intake.site.id
            ),
            await self.escalation(),
            base_priority=intake.priority or Priority.NORMAL,
        )
        priority = routing.priority
        first_due, resolution_due = await self._due(intake.site.id, priority, now)
        assignee_id = intake.assignee_id or routing.agent_id
        status = TicketStatus.OPEN if intake.assignee_id else TicketStatus.NEW
        details = {
            **intake.details,
            "rule": routing.rule_id,
            "escalation_words": list(routing.matched_words),
        }
        ticket = Ticket(
            id=new_id(),
            site_id=intake.site.id,
            visitor_id=intake.requester.visitor_id,
            conversation_id=intake.conversation.id if intake.conversation else None,
            source=intake.source.value,
            subject=safe_header_text(intake.subject, SUBJECT_MAX) or "(no subject)",
            status=status.value,
            priority=priority.value,
            flagged=routing.flagged,
            team_id=routing.team_id or intake.team_id,
            assignee_id=assignee_id,
            requester_name=intake.requester.name,
            requester_email=intake.requester.email,
            lang=intake.lang if intake.lang in ("en", "fr") else "en",
            topic=intake.topic,
            details=details,
            last_seq=0,
            created_at=now,
            updated_at=now,
            first_response_due=first_due,
            resolution_due=resolution_due,
            first_response_at=None,
            resolved_at=None,
            closed_at=None,
        )
        created = NewEntry(
            kind=EntryKind.CHANGE.value,
            author_role=intake.creator_role,
            author_id=intake.creator_id,
            author_name=intake.creator_name,
            data={
                "field": "created",
                "source": intake.source.value,
                "status": status.value,
                "priority": priority.value,
                "rule": routing.rule_id,
                "escalation_words": list(routing.matched_words) or None,
                "reason": intake.details.get("reason"),
            },
        )
        return ticket, [created] + ([intake.first_message] if intake.first_message else [])

    async def create(self, intake: Intake) -> Ticket:
        resend = intake.first_message.client_id if intake.first_message else None
        if resend is not None:
            earlier = await self.store.by_first_message(resend, intake.requester.email)
            if earlier is not None:
                return earlier  # the same form sent again (a retry after a lost answer): one ticket
        ticket, entries = await self._new_ticket(intake)
        try:
            changed = await self.store.create(
                ticket,
                entries,
                after=self._follow_up(WebhookEvent.CREATED, "ticket_created", intake.site.name),
            )
        except Conflict:
            # Two requests made a ticket for one conversation at the same moment: the database kept one.
            existing = (
                await self.store.of_conversation(ticket.conversation_id) if ticket.conversation_id else None
            )
            if existing is None:
                raise
            return existing
        self._poke()
        self._log_created(changed.ticket)
        return changed.ticket

    @staticmethod
    def _log_created(ticket: Ticket) -> None:
        log.info(
            "ticket %s created from %s (priority %s%s)",
            ticket.id,
            ticket.source,
            ticket.priority,
            ", flagged" if ticket.flagged else "",
        )

    async def convert_conversation(
        self,
        who: StaffIdentity,
        conversation_id: str,
        *,
        reason: str,
        subject: str | None,
        priority: Priority | None,
        email: str | None = None,
    ) -> Ticket:
        """An agent's "convert to ticket": the ticket keeps the chat's transcript, the chat is closed.

        ``email``: the visitor's address as they gave it in the chat, kept on the visitor (so the widget's
        later chats know it too) and used as the ticket's requester."""
        conversation = await self.conversations.find(conversation_id)
        if conversation is None or conversation.agent_id != who.user.id or conversation.status != "assigned":
            raise NotFound()
        if email is not None:
            email = email.strip()
            if not valid_email(email):
                raise BadRequest("That is not an email address.")
        existing = await self.store.of_conversation(conversation.id)
        if existing is not None:
            return existing
        if email is not None:
            await self.conversations.set_visitor_details(conversation.visitor_id, email=email)
        ticket = await self.create(
            await self._intake_from_chat(
                conversation,
                Source.CHAT,
                reason=reason,
                subject=subject,
                priority=priority,
                assignee_id=who.user.id,
                creator=who,
            )
        )
        if self.close_chat is not None:
            try:
                await self.close_chat(who, conversation.id)
            except (NotFound, InvalidState):
                # The visitor closed it, or it moved, meanwhile: the ticket stands either way.
                log.info(
                    "conversation %s was not closed after becoming ticket %s", conversation.id, ticket.id
                )
        return ticket

    async def from_open_chat(
        self,
        conversation: records.Conversation,
        *,
        subject: str,
        message: NewEntry,
        requester: Requester,
        lang: str,
        details: dict[str, Any],
    ) -> Ticket:
        """The visitor sent the leave-a-message form while their chat was open (nobody could answer): the chat
        becomes the ticket, like an agent's convert (the transcript stays with it), with the form's message as
        the visitor's, and closes with resolution ``ticket``. Being this ticket's, the chat never becomes a
        second, "abandoned" one.

        One transaction: the conversation is locked and checked, the ticket written, the ``closed`` event
        stored; the event is published after the commit. A chat a person holds (``assigned``) is refused with
        ``invalid_state`` and nothing changes: the visitor is talking to someone. A chat that already has a
        ticket (an agent converted it, or it was left in the queue) gets the form's message added to that
        ticket, and the ticket the requester's new email and name. ``requester.name`` None keeps the name
        the visitor gave before."""
        if message.client_id is not None:
            earlier = await self.store.by_first_message(message.client_id, requester.email)
            if earlier is not None:
                return earlier  # the same form sent again (a retry after a lost answer): stored once
        chat = await self._intake_from_chat(conversation, Source.FORM, reason="left_message")
        requester = Requester(
            name=requester.name or chat.requester.name, email=requester.email, visitor_id=conversation.visitor_id
        )
        fresh, entries = await self._new_ticket(dataclasses.replace(
            chat,
            subject=subject,
            question="\n".join(part for part in (chat.question, message.body) if part),
            requester=requester,
            lang=lang,
            first_message=message,
            details={**details, **chat.details},
        ))
        site_name = chat.site.name
        now = self.clock()
        made: list[Changed] = []

        async def write_ticket(conn: AsyncConnection | None) -> None:
            made.clear()
            existing = await self.store.of_conversation(conversation.id, conn=conn)
            if existing is None or existing.status == TicketStatus.CLOSED.value:
                # A closed ticket is final (as on its status page): the message starts a request of its own.
                ticket = fresh if existing is None else dataclasses.replace(fresh, conversation_id=None)
                after = self._follow_up(WebhookEvent.CREATED, "ticket_created", site_name)
                made.append(await self.store.create(ticket, entries, after=after, conn=conn))
            else:
                made.append(await self._add_left_message(existing.id, message, requester, now, site_name, conn))

        closed = NewEvent(
            kind=EventKind.CLOSED.value,
            author_role=Role.VISITOR.value,
            author_id=conversation.visitor_id,
            author_name=requester.name or "Visitor",
            data={"resolution": "ticket"},
        )

        def check(current: records.Conversation) -> None:
            if current.status == ConversationStatus.ASSIGNED.value:
                raise InvalidState("A person has joined the chat: write to them there.")
            if current.status == ConversationStatus.CLOSED.value:
                raise _ChatClosed()
            check_conversation_transition(ConversationStatus(current.status), ConversationStatus.CLOSED)

        async def ticket_step(conn: AsyncConnection, _closing: Applied) -> None:
            await write_ticket(conn)

        applied: Applied | None = None
        for attempt in range(2):
            try:
                try:
                    applied = await self.conversations.apply(
                        conversation.id,
                        [closed],
                        now=now,
                        check=check,
                        changes={
                            "status": ConversationStatus.CLOSED.value,
                            "closed_at": now,
                            "closed_by_role": Role.VISITOR.value,
                            "closed_by_id": conversation.visitor_id,
                            "resolution": "ticket",
                        },
                        after=ticket_step,
                    )
                except _ChatClosed:
                    # Closed meanwhile (another tab, an agent, the queue left): nothing to close, the ticket
                    # still takes the message.
                    applied = None
                    await write_ticket(None)
                break
            except Conflict:
                # Another request made the chat's ticket at the same moment: add to it instead.
                if attempt:
                    raise
        ticket = made[0].ticket
        if made[0].before is None:
            self._log_created(ticket)
        self._poke()
        if applied is not None and self.announce_close is not None:
            try:
                await self.announce_close(applied)
            except Exception:  # committed: the sockets fill the gap from the database when they next hear
                log.exception("conversation %s closed as ticket %s but not announced", conversation.id, ticket.id)
        return ticket

    async def _add_left_message(
        self,
        ticket_id: str,
        message: NewEntry,
        requester: Requester,
        now: datetime.datetime,
        site_name: str,
        conn: AsyncConnection | None,
    ) -> Changed:
        """The form's message joins the chat's existing ticket as the visitor's, with the requester's email and
        name as the form gave them; a pending or resolved ticket opens again, as for an answer from the
        status page. The visitor gets the acknowledgement (with the status link) at that email."""
        extra: list[NewEntry] = []

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            if current.status == TicketStatus.CLOSED.value:
                raise InvalidState("This request is closed.")
            values: dict[str, Any] = {}
            before = {"name": current.requester_name, "email": current.requester_email}
            after = {"name": requester.name or current.requester_name, "email": requester.email}
            if after != before:
                values.update(requester_name=after["name"], requester_email=after["email"])
                extra.append(visitor_change("requester", before, after))
            if current.status in (TicketStatus.PENDING.value, TicketStatus.RESOLVED.value):
                target = reopened_status(current.assignee_id is not None)
                extra.append(visitor_change("status", current.status, target.value))
                values.update(self._status_changes(current, target, now))
            return values

        def visitor_change(field: str, before: Any, after: Any) -> NewEntry:
            return NewEntry(
                kind=EntryKind.CHANGE.value,
                author_role=Role.VISITOR.value,
                author_id=message.author_id,
                author_name=message.author_name,
                data={"field": field, "from": before, "to": after},
            )

        async def after(conn: AsyncConnection, changed: Changed) -> None:
            if not changed.duplicate:
                await self._queue(conn, changed, WebhookEvent.UPDATED, "ticket_created", site_name,
                                  reply=None, agent_name=None)

        return await self.store.apply(
            ticket_id, [message], now=now, changes=plan, extra=extra, after=after, conn=conn
        )

    async def from_abandoned_chat(self, conversation: records.Conversation) -> Ticket | None:
        """The visitor left the queue before anyone answered: with an email to answer to, the question
        becomes a ticket instead of vanishing."""
        visitor = await self.conversations.get_visitor(conversation.visitor_id)
        if visitor is None or not visitor.email or conversation.first_response_at is not None:
            return None
        if await self.store.of_conversation(conversation.id) is not None:
            return None
        since = self.clock() - datetime.timedelta(hours=1)
        if await self.store.count_recent(visitor.email, Source.ABANDONED.value, since) >= ABANDONED_PER_HOUR:
            # Anyone can type any address: a few a day is courtesy, more would make us a mail cannon.
            log.warning(
                "abandoned question of conversation %s not kept: too many for that address", conversation.id
            )
            return None
        return await self.create(
            await self._intake_from_chat(conversation, Source.ABANDONED, reason="abandoned")
        )

    async def _intake_from_chat(
        self,
        conversation: records.Conversation,
        source: Source,
        *,
        reason: str,
        subject: str | None = None,
        priority: Priority | None = None,
        assignee_id: str | None = None,
        creator: StaffIdentity | None = None,
    ) -> Intake:
        visitor = await self.conversations.get_visitor(conversation.visitor_id)
        site = await self.accounts.get_site(conversation.site_id)
        events = await self.conversations.events_after(conversation.id, 0, 10_000)
        said = [e.body for e in events if e.kind == "message" and e.author_role == "visitor" and e.body]
        lang = next((str(e.data.get("lang")) for e in events if e.data and e.data.get("lang")), "en")
        question = "\n".join(said)
        return Intake(
            site=site,
            source=source,
            subject=subject or (subject_from(said[0]) if said else "Chat"),
            question=question,
            requester=Requester(
                name=visitor.name if visitor else None,
                email=visitor.email if visitor else None,
                visitor_id=conversation.visitor_id,
            ),
            lang=lang,
            topic=conversation.topic,
            conversation=conversation,
            assignee_id=assignee_id,
            team_id=conversation.team_id,
            priority=priority,
            details={"reason": reason},
            creator_role=creator.user.role if creator else Role.SYSTEM.value,
            creator_id=creator.user.id if creator else None,
            creator_name=creator.user.name if creator else SYSTEM_NAME,
        )

    # --- who may see and do what ----------------------------------------------------------------------

    async def visibility(self, who: StaffIdentity) -> Scope:
        """None for managers and admins (everything); an agent sees their own tickets, their teams' and
        the unowned pool."""
        if who.role in (Role.MANAGER, Role.ADMIN):
            return None
        return who.user.id, await self.accounts.team_ids_of(who.user.id)

    async def readable(self, who: StaffIdentity, ticket_id: str) -> Ticket:
        ticket = await self.store.find(ticket_id) if 0 < len(ticket_id) <= 64 else None
        if ticket is None:
            raise NotFound()
        if not visible(ticket, await self.visibility(who)):
            raise NotFound()
        return ticket

    async def search(
        self, who: StaffIdentity, spec: TicketFilter, *, sort: str, limit: int, offset: int
    ) -> tuple[list[Ticket], int]:
        spec = dataclasses.replace(spec, visible_to=await self.visibility(who))
        return await self.store.search(spec, now=self.clock(), sort=sort, limit=limit, offset=offset)

    # --- staff actions --------------------------------------------------------------------------------

    def _staff_entry(
        self,
        who: StaffIdentity,
        kind: EntryKind,
        *,
        body: str | None = None,
        data: dict[str, Any] | None = None,
        client_id: str | None = None,
    ) -> NewEntry:
        return NewEntry(
            kind=kind.value,
            author_role=who.user.role,
            author_id=who.user.id,
            author_name=who.user.name,
            body=body,
            data=data,
            client_id=client_id,
        )

    @staticmethod
    def _change(who: StaffIdentity | None, field: str, before: Any, after: Any) -> NewEntry:
        return NewEntry(
            kind=EntryKind.CHANGE.value,
            author_role=who.user.role if who else Role.SYSTEM.value,
            author_id=who.user.id if who else None,
            author_name=who.user.name if who else SYSTEM_NAME,
            data={"field": field, "from": before, "to": after},
        )

    def _status_changes(
        self, current: Ticket, target: TicketStatus, now: datetime.datetime
    ) -> dict[str, Any]:
        check_transition(TicketStatus(current.status), target)
        values: dict[str, Any] = {"status": target.value}
        if target is TicketStatus.RESOLVED:
            values["resolved_at"] = now
        elif target is TicketStatus.CLOSED:
            values["closed_at"] = now
        elif current.status == TicketStatus.RESOLVED.value:
            values["resolved_at"] = None  # reopened: the resolution clock runs again
        return values

    async def reply(
        self,
        who: StaffIdentity,
        ticket_id: str,
        text: str,
        *,
        status: TicketStatus | None = None,
        client_id: str | None = None,
    ) -> Changed:
        """A reply to the visitor, mailed to them. Replying acknowledges a new ticket (it becomes open and,
        when nobody has it, the replier's); ``status`` moves it on in the same step (pending, resolved)."""
        text = _text(text)
        ticket = await self.readable(who, ticket_id)
        now = self.clock()
        extra: list[NewEntry] = []

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            _refuse_closed(current)
            values: dict[str, Any] = {}
            state = TicketStatus(current.status)
            if current.first_response_at is None:
                values["first_response_at"] = now
            if current.assignee_id is None:
                values["assignee_id"] = who.user.id
                extra.append(self._change(who, "assignee", None, who.user.id))
            if state is TicketStatus.NEW or (state is not TicketStatus.OPEN and status is TicketStatus.OPEN):
                values.update(self._status_changes(current, TicketStatus.OPEN, now))
                extra.append(self._change(who, "status", state.value, "open"))
                state = TicketStatus.OPEN
            if status is not None and status is not state:
                values.update(
                    self._status_changes(dataclasses.replace(current, status=state.value), status, now)
                )
                extra.append(self._change(who, "status", state.value, status.value))
            return values

        message = self._staff_entry(who, EntryKind.MESSAGE, body=text, client_id=client_id)
        follow = self._follow_up_changes(
            extra, await self._site_name(ticket), reply=text, agent_name=who.user.name
        )
        changed = await self.store.apply(
            ticket_id, [message], now=now, changes=plan, extra=extra, after=follow
        )
        self._poke()
        return changed

    async def note(
        self, who: StaffIdentity, ticket_id: str, text: str, *, client_id: str | None = None
    ) -> Changed:
        """An internal note: staff only, never mailed, never on the visitor's status page."""
        text = _text(text)
        await self.readable(who, ticket_id)
        return await self.store.apply(
            ticket_id,
            [self._staff_entry(who, EntryKind.NOTE, body=text, client_id=client_id)],
            now=self.clock(),
            check=_refuse_closed,
        )

    async def set_status(self, who: StaffIdentity, ticket_id: str, target: TicketStatus) -> Changed:
        ticket = await self.readable(who, ticket_id)
        now = self.clock()
        extra: list[NewEntry] = []

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            check_chosen(TicketStatus(current.status), target)
            values = self._status_changes(current, target, now)
            extra.append(self._change(who, "status", current.status, target.value))
            if target is TicketStatus.OPEN and current.assignee_id is None:
                # "Open" means someone has it: the person opening it takes it.
                values["assignee_id"] = who.user.id
                extra.append(self._change(who, "assignee", None, who.user.id))
            return values

        follow = self._follow_up_changes(extra, await self._site_name(ticket))
        changed = await self.store.apply(ticket_id, [], now=now, changes=plan, extra=extra, after=follow)
        self._poke()
        return changed

    async def assign(
        self,
        who: StaffIdentity,
        ticket_id: str,
        *,
        assignee_id: str | None,
        team_id: str | None,
        set_assignee: bool,
        set_team: bool,
    ) -> Changed:
        """Agents take a free ticket or release their own; managers and admins give it to anyone and move it
        between teams. A released ticket that was open or pending is new again: nobody has it."""
        ticket = await self.readable(who, ticket_id)
        manager = who.role in (Role.MANAGER, Role.ADMIN)
        if set_team and not manager:
            raise Forbidden("Only managers and admins move tickets between teams.")
        if set_assignee and not manager and assignee_id not in (who.user.id, None):
            raise Forbidden("Agents may take a ticket or release it, not give it to someone else.")
        if set_assignee and assignee_id is not None:
            try:
                user = await self.accounts.get_user(assignee_id) if len(assignee_id) <= 32 else None
            except NotFound:
                user = None
            if user is None or user.disabled:
                raise BadRequest("No such active staff member.")
        if set_team and team_id is not None:
            try:
                await self.accounts.get_team(team_id)
            except NotFound:
                raise BadRequest("No such team.") from None
        now = self.clock()
        extra: list[NewEntry] = []

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            _refuse_closed(current)
            if set_assignee and not manager and current.assignee_id not in (None, who.user.id):
                raise Forbidden("Someone else has this ticket: ask a manager to move it.")
            values: dict[str, Any] = {}
            if set_assignee and assignee_id != current.assignee_id:
                values["assignee_id"] = assignee_id
                extra.append(self._change(who, "assignee", current.assignee_id, assignee_id))
                if assignee_id is None and current.status in (
                    TicketStatus.OPEN.value,
                    TicketStatus.PENDING.value,
                ):
                    values.update(self._status_changes(current, TicketStatus.NEW, now))
                    extra.append(self._change(who, "status", current.status, TicketStatus.NEW.value))
            if set_team and team_id != current.team_id:
                values["team_id"] = team_id
                extra.append(self._change(who, "team", current.team_id, team_id))
            return values

        follow = self._follow_up_changes(extra, await self._site_name(ticket))
        changed = await self.store.apply(ticket_id, [], now=now, changes=plan, extra=extra, after=follow)
        self._poke()
        return changed

    async def set_priority(self, who: StaffIdentity, ticket_id: str, priority: Priority) -> Changed:
        """A new priority brings its own SLA targets, counted from when the ticket was made."""
        ticket = await self.readable(who, ticket_id)
        first_due, resolution_due = await self._due(ticket.site_id, priority, ticket.created_at)
        extra: list[NewEntry] = []

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            _refuse_closed(current)
            if current.priority == priority.value:
                return {}
            extra.append(self._change(who, "priority", current.priority, priority.value))
            return {
                "priority": priority.value,
                "first_response_due": first_due,
                "resolution_due": resolution_due,
            }

        follow = self._follow_up_changes(extra, await self._site_name(ticket))
        changed = await self.store.apply(
            ticket_id, [], now=self.clock(), changes=plan, extra=extra, after=follow
        )
        self._poke()
        return changed

    # --- the visitor's side (through the signed link) --------------------------------------------------

    async def by_link(self, token: str) -> Ticket:
        ticket = await self.store.find(self.links.ticket_id(token))
        if ticket is None:
            raise NotFound()
        return ticket

    async def story(self, ticket: Ticket) -> tuple[list[records.StoredEvent], list[TicketEntry]]:
        """The chat it came from (its events) and the ticket's thread, in order: what pages show, each
        keeping only what its reader may see."""
        events = []
        if ticket.conversation_id:
            events = await self.conversations.events_after(ticket.conversation_id, 0, TRANSCRIPT_LIMIT)
        return events, await self.store.entries(ticket.id)

    async def visitor_answer(self, token: str, text: str, *, client_id: str | None = None) -> Changed:
        """The visitor answers from the status page: the answer joins the thread and a pending or resolved
        ticket opens again (new again when nobody has it). A closed ticket is final: the page offers to
        write a new request."""
        text = _text(text)
        ticket = await self.by_link(token)
        now = self.clock()
        extra: list[NewEntry] = []
        name = ticket.requester_name or ticket.requester_email or "Visitor"

        def plan(current: Ticket) -> dict[str, Any]:
            extra.clear()
            if current.status == TicketStatus.CLOSED.value:
                raise InvalidState("This request is closed.")
            if current.status in (TicketStatus.PENDING.value, TicketStatus.RESOLVED.value):
                target = reopened_status(current.assignee_id is not None)
                extra.append(
                    NewEntry(
                        kind=EntryKind.CHANGE.value,
                        author_role=Role.VISITOR.value,
                        author_id=current.visitor_id,
                        author_name=name,
                        data={"field": "status", "from": current.status, "to": target.value},
                    )
                )
                return self._status_changes(current, target, now)
            return {}

        message = NewEntry(
            kind=EntryKind.MESSAGE.value,
            author_role=Role.VISITOR.value,
            author_id=ticket.visitor_id,
            author_name=name,
            body=text,
            client_id=client_id,
        )
        follow = self._follow_up_changes(extra, await self._site_name(ticket), visitor_wrote=True)
        changed = await self.store.apply(
            ticket.id, [message], now=now, changes=plan, extra=extra, after=follow
        )
        self._poke()
        return changed

    # --- housekeeping ---------------------------------------------------------------------------------

    async def close_resolved(self) -> int:
        """Close tickets resolved longer ago than the auto-close delay (nobody reopened them)."""
        now = self.clock()
        before = now - datetime.timedelta(days=self.settings.ticket_autoclose_days)
        closed = 0
        for ticket_id in await self.store.due_for_autoclose(before):
            extra: list[NewEntry] = []

            def plan(current: Ticket, extra: list[NewEntry] = extra) -> dict[str, Any]:
                extra.clear()
                if current.status != TicketStatus.RESOLVED.value:
                    raise InvalidState("reopened meanwhile")
                extra.append(self._change(None, "status", "resolved", "closed"))
                return self._status_changes(current, TicketStatus.CLOSED, now)

            try:
                ticket = await self.store.get(ticket_id)
                follow = self._follow_up_changes(extra, await self._site_name(ticket))
                await self.store.apply(ticket_id, [], now=now, changes=plan, extra=extra, after=follow)
                closed += 1
            except (InvalidState, NotFound):
                continue
            except Exception:  # one ticket's trouble must not keep the others open
                log.exception("could not close resolved ticket %s", ticket_id)
        if closed:
            log.info(
                "closed %d resolved ticket(s) after %g days", closed, self.settings.ticket_autoclose_days
            )
            self._poke()
        return closed

    # --- what follows a change: the visitor's mail and the webhooks, in the same transaction ---------

    def _poke(self) -> None:
        self._poke_mail()
        self._poke_webhooks()
        self._changed()

    async def _site_name(self, ticket: Ticket) -> str:
        """Read before the change's transaction: inside it, a second pooled connection could be waited for
        while the ticket row is locked."""
        return (await self.accounts.get_site(ticket.site_id)).name

    def _follow_up(
        self, event: WebhookEvent, mail_kind: str | None, site_name: str
    ) -> Callable[[AsyncConnection, Changed], Any]:
        async def after(conn: AsyncConnection, changed: Changed) -> None:
            await self._queue(conn, changed, event, mail_kind, site_name, reply=None, agent_name=None)

        return after

    def _follow_up_changes(
        self,
        extra: list[NewEntry],
        site_name: str,
        *,
        reply: str | None = None,
        agent_name: str | None = None,
        visitor_wrote: bool = False,
    ) -> Callable[[AsyncConnection, Changed], Any]:
        """After a change: the visitor's mail (a reply, a resolution) and the webhooks."""

        async def after(conn: AsyncConnection, changed: Changed) -> None:
            if changed.duplicate or (not extra and reply is None and not visitor_wrote):
                return  # a resend, or nothing changed
            resolved = changed.ticket.status == TicketStatus.RESOLVED.value and (
                changed.before is None or changed.before.status != TicketStatus.RESOLVED.value
            )
            mail_kind: str | None
            if reply is not None:
                mail_kind = "ticket_resolved" if resolved else "ticket_reply"
            else:
                mail_kind = "ticket_resolved" if resolved else None
            event = WebhookEvent.RESOLVED if resolved else WebhookEvent.UPDATED
            await self._queue(conn, changed, event, mail_kind, site_name, reply=reply, agent_name=agent_name)

        return after

    async def _queue(
        self,
        conn: AsyncConnection,
        changed: Changed,
        event: WebhookEvent,
        mail_kind: str | None,
        site_name: str,
        *,
        reply: str | None,
        agent_name: str | None,
    ) -> None:
        ticket = changed.ticket
        now = ticket.updated_at
        if mail_kind is not None and ticket.requester_email:
            mail = compose_ticket_mail(
                mail_kind,  # type: ignore[arg-type]
                lang=ticket.lang,
                site_name=site_name,
                requester_name=ticket.requester_name,
                requester_email=ticket.requester_email,
                subject=ticket.subject,
                link=self.status_link(ticket.id),
                reply_text=reply,
                agent_name=agent_name,
            )
            await enqueue_mail(conn, mail, kind=mail_kind, ticket_id=ticket.id, now=now)
        payload = self.webhook_payload(event, changed)
        await enqueue_deliveries(conn, event=event.value, ticket_id=ticket.id, payload=payload, now=now)

    def webhook_payload(self, event: WebhookEvent, changed: Changed) -> dict[str, Any]:
        ticket = changed.ticket
        return {
            "event": event.value,
            "ticket": ticket_json(ticket) | {"url": f"{self.base_url}/tickets/{ticket.id}"},
            "entries": [entry_json(e) for e in changed.entries if e.kind != EntryKind.NOTE.value],
        }


Scope = tuple[str, frozenset[str]] | None  # (agent id, their team ids); None: sees everything


def visible(ticket: Ticket, scope: Scope) -> bool:
    """Whether a staff member with this scope may see the ticket: their own, their teams', or unowned."""
    if scope is None:
        return True
    user_id, teams = scope
    return (
        ticket.assignee_id == user_id
        or (ticket.team_id is not None and ticket.team_id in teams)
        or (ticket.assignee_id is None and ticket.team_id is None)
    )


def _text(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        raise BadRequest("The text is empty.")
    if len(stripped) > TEXT_MAX:
        raise BadRequest(f"The text is longer than {TEXT_MAX} characters.")
    return stripped


def _refuse_closed(current: Ticket) -> None:
    if current.status == TicketStatus.CLOSED.value:
        raise InvalidState("The ticket is closed.")


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "flagged": ticket.flagged,
        "source": ticket.source,
        "site_id": ticket.site_id,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "conversation_id": ticket.conversation_id,
        "requester": {"name": ticket.requester_name, "email": ticket.requester_email},
        "lang": ticket.lang,
        "topic": ticket.topic,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "first_response_due": _iso(ticket.first_response_due),
        "resolution_due": _iso(ticket.resolution_due),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
    }


def entry_json(entry: TicketEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "kind": entry.kind,
        "author": {"role": entry.author_role, "id": entry.author_id, "name": entry.author_name},
        "body": entry.body,
        "data": entry.data,
        "at": _iso(entry.created_at),
    }
