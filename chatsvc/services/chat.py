"""Conversation use cases for both sides: write, commit, then publish."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from chatsvc.domain import protocol
from chatsvc.domain.bot import Move, Offer
from chatsvc.domain.mail import valid_email
from chatsvc.domain.model import (
    PRIORITY_NORMAL,
    SITE_KEY,
    ConversationStatus,
    EventKind,
    Role,
    check_transition,
)
from chatsvc.domain.origins import origin_allowed
from chatsvc.domain.tokens import VisitorClaims, VisitorTokens
from chatsvc.domain.widget import DEFAULT_WIDGET
from chatsvc.errors import BadRequest, Conflict, InvalidState, NotFound, OriginNotAllowed, Unauthorized
from chatsvc.services.accounts import StaffIdentity
from chatsvc.services.bot import Bot, Turn
from chatsvc.services.clock import Clock
from chatsvc.services.coalesce import Coalescer
from chatsvc.services.frames import iso
from chatsvc.services.hub import Hub, staff_conversation_channel
from chatsvc.services.routing import Routing
from chatsvc.services.visitor_details import clean_user_agent, visitor_details
from chatsvc.services.widget import WidgetService
from chatsvc.store import records
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import Applied, ConversationStore, NewEvent
from chatsvc.store.surveys import Survey, SurveyStore

log = logging.getLogger("chatsvc.chat")

LIVE_UPDATE_SECONDS = 1.0  # a visitor's page and read mark: stored and fanned out at most this often


@dataclasses.dataclass(frozen=True)
class VisitorIdentity:
    visitor: records.Visitor
    site: records.Site
    lang: str = "en"

    @property
    def person(self) -> protocol.Person:
        return protocol.Person(role=Role.VISITOR.value, name=self.visitor.name or "Visitor")


def ack_for(applied: Applied, client_id: str) -> protocol.Ack:
    event = next(e for e in applied.events if e.client_id == client_id)
    return ack_of(event, duplicate=applied.duplicate)


def ack_of(event: records.StoredEvent, *, duplicate: bool) -> protocol.Ack:
    """The ack for a stored message (``duplicate``: this send was a resend of it)."""
    assert event.client_id is not None
    return protocol.Ack(
        client_id=event.client_id,
        conversation=event.conversation_id,
        seq=event.seq,
        at=iso(event.created_at) or "",
        duplicate=duplicate,
    )


@dataclasses.dataclass(frozen=True)
class _Page:
    """Where a visitor is, as stored on their row."""

    url: str | None
    title: str | None
    timezone: str | None
    language: str | None
    user_agent: str | None


class _Moved(Exception):
    """The conversation changed state between reading it and writing to it."""


class _CameBack(Exception):
    """The visitor was seen again after the moment a close for leaving was decided on."""


def _handing_off(changes: dict[str, object]) -> Callable[[records.Conversation], dict[str, object]]:
    """``changes`` that put the chat in the queue, plus ``handoff_at`` the first time only: the manager's first
    response time counts from the first handoff (docs/metrics.md), whatever requeues come after."""

    def with_handoff(current: records.Conversation) -> dict[str, object]:
        return {**changes, "handoff_at": changes["queued_at"]} if current.handoff_at is None else dict(changes)

    return with_handoff


def _handoff_data(turn: Turn | None) -> dict[str, object] | None:
    if turn is None:
        return None
    return {"reason": turn.reply.reason, "topic": turn.reply.topic}


class ChatService:
    def __init__(
        self,
        conversations: ConversationStore,
        accounts: AccountStore,
        routing: Routing,
        hub: Hub,
        tokens: VisitorTokens,
        clock: Clock,
        surveys: SurveyStore,
        bot: Bot | None = None,
        on_abandoned: Callable[[records.Conversation], Awaitable[object]] | None = None,
        widgets: WidgetService | None = None,
    ) -> None:
        self.bot = bot
        self.widgets = widgets  # each site's widget settings: which survey questions it asks
        # A visitor who leaves the queue before anyone answered: the ticket service keeps the question.
        self.on_abandoned = on_abandoned
        self.conversations = conversations
        self.accounts = accounts
        self.routing = routing
        self.hub = hub
        self.tokens = tokens
        self.clock = clock
        self.surveys = surveys
        # ``page`` and ``read`` frames: at most one stored update and fan-out a second per visitor.
        self._pages: Coalescer[_Page] = Coalescer(LIVE_UPDATE_SECONDS)
        self._reads: Coalescer[int] = Coalescer(LIVE_UPDATE_SECONDS, merge=max)

    def stop(self) -> None:
        """Shutting down: page and read updates still waiting for their second are dropped (the widget sends its
        page again after it reconnects)."""
        self._pages.stop()
        self._reads.stop()

    # --- visitors: identity --------------------------------------------------------------------------

    async def site_for_handshake(self, site_key: str | None, origin: str | None) -> records.Site:
        """The site a visitor socket or session is for, refusing origins not on its allow-list.

        Browsers always send Origin; a client without one (a server-side integration) is not a cross-site
        hijack risk because its credential is in the first frame, never ambient.
        """
        # Only a well-formed key reaches the database (PostgreSQL refuses a NUL byte with an error, not a miss).
        site = await self.accounts.find_site_by_key(site_key) if site_key and SITE_KEY.match(site_key) else None
        if site is None:
            raise NotFound("No such site.")
        if origin is not None and not origin_allowed(origin, site.allowed_origins):
            raise OriginNotAllowed()
        return site

    async def new_visitor(self, site: records.Site) -> str:
        visitor = await self.conversations.create_visitor(site.id, self.clock())
        return self.tokens.issue(VisitorClaims(visitor_id=visitor.id, site_id=site.id))

    async def identify_visitor(self, token: str, site: records.Site, lang: str = "en") -> VisitorIdentity:
        claims = self.tokens.verify(token, site_id=site.id)
        visitor = await self.conversations.get_visitor(claims.visitor_id)
        if visitor is None or visitor.site_id != site.id:
            raise Unauthorized()
        await self.conversations.touch_visitor(visitor.id, self.clock())
        return VisitorIdentity(visitor=visitor, site=site, lang=lang)

    async def visitor_conversation(self, who: VisitorIdentity, conversation_id: str) -> records.Conversation:
        """The visitor's own conversation, or NotFound, the same answer as for one that does not exist."""
        conversation = await self.conversations.find(conversation_id)
        if conversation is None or conversation.visitor_id != who.visitor.id:
            raise NotFound()
        return conversation

    # --- visitors: actions ---------------------------------------------------------------------------

    async def _open_or_start(
        self, who: VisitorIdentity, topic: str | None, current: records.Conversation | None = None
    ) -> tuple[records.Conversation, bool]:
        """The visitor's open conversation (``current`` when the caller just read it), or a new one."""
        current = current or await self.conversations.open_of_visitor(who.visitor.id)
        if current is not None:
            return current, False
        team_id = await self.accounts.team_for_topic(topic) if topic else None
        return await self.conversations.start(
            site_id=who.site.id,
            visitor_id=who.visitor.id,
            status=ConversationStatus.BOT.value,
            topic=topic,
            team_id=team_id,
            priority=PRIORITY_NORMAL,
            now=self.clock(),
        )

    async def visitor_message(self, who: VisitorIdentity, frame: protocol.VisitorMessage) -> protocol.Ack:
        current = await self.conversations.open_of_visitor(who.visitor.id)
        if current is None:
            earlier = await self._resend_into_closed(who, frame.client_id)
            if earlier is not None:
                return earlier
        conversation, created = await self._open_or_start(who, frame.topic, current)
        new_events = []
        if created:
            new_events.append(self._visitor_event(who, EventKind.OPENED, data={"topic": frame.topic}))
        new_events.append(self._visitor_event(who, EventKind.MESSAGE, body=frame.text, client_id=frame.client_id))
        status = conversation.status
        turn = None
        queue = False
        if status == ConversationStatus.BOT.value:
            if self.bot is not None and self.bot.enabled():
                turn = self.bot.answer_question(frame.text, who.lang)
                new_events.append(turn.event)
                queue = turn.reply.move is Move.HANDOFF
            else:
                queue = True  # nothing to offer: straight to a person
        if queue:
            new_events.append(self._visitor_event(who, EventKind.QUEUED, data=_handoff_data(turn)))

        def check(current: records.Conversation) -> None:
            if current.status == ConversationStatus.CLOSED.value:
                raise InvalidState("The conversation is closed.")
            if current.status != status:
                raise _Moved()  # someone else moved it meanwhile: decide again on what it is now

        try:
            applied = await self.conversations.apply(
                conversation.id, new_events, now=self.clock(), check=check,
                changes=_handing_off(await self._queue_changes(turn)) if queue else None,
            )
        except _Moved:
            return await self.visitor_message(who, frame)
        if created:
            await self.hub.tell_follow(f"visitor:{who.visitor.id}", conversation.id)
        await self._publish(applied)
        if queue and not applied.duplicate:
            # The message is committed: the ack does not wait for the assignment, which follows (coalesced with
            # the other arrivals of the moment) and is told to the visitor by its events.
            await self.routing.dispatch(wait=False)
        return ack_for(applied, frame.client_id)

    async def _queue_changes(self, turn: Turn | None) -> dict[str, object]:
        changes: dict[str, object] = {"status": ConversationStatus.QUEUED.value, "queued_at": self.clock()}
        topic = turn.reply.topic if turn is not None else None
        if topic:
            changes["topic"] = topic
            changes["team_id"] = await self.accounts.team_for_topic(topic)
        return changes

    async def _bot_step(
        self, who: VisitorIdentity, conversation: records.Conversation, visitor_event: NewEvent, turn: Turn
    ) -> records.Conversation:
        """Store the visitor's action and the bot's reply together, then queue or resolve as the reply says."""
        move = turn.reply.move
        new_events = [visitor_event, turn.event]
        changes: dict[str, object] | Callable[[records.Conversation], dict[str, object]] = {}
        if move is Move.HANDOFF:
            new_events.append(self._visitor_event(who, EventKind.QUEUED, data=_handoff_data(turn)))
            changes = _handing_off(await self._queue_changes(turn))
        elif move is Move.RESOLVED:
            now = self.clock()
            new_events.append(NewEvent(kind=EventKind.CLOSED.value, author_role="bot", author_id=None,
                                       author_name=turn.event.author_name,
                                       # The widget shows the end-of-chat survey when a close says so.
                                       data={"resolution": "bot", "survey": True}))
            changes = {"status": ConversationStatus.CLOSED.value, "closed_at": now, "closed_by_role": "bot",
                       "resolution": "bot"}

        def check(current: records.Conversation) -> None:
            if current.status != ConversationStatus.BOT.value:
                raise InvalidState("A person is already on this conversation.")

        applied = await self.conversations.apply(
            conversation.id, new_events, now=self.clock(), check=check, changes=changes
        )
        await self._publish(applied)
        if move is Move.HANDOFF:
            await self.routing.dispatch(wait=False)  # committed: the assignment follows
        return applied.conversation

    async def _in_bot_turn(self, who: VisitorIdentity) -> records.Conversation:
        conversation = await self.conversations.open_of_visitor(who.visitor.id)
        if conversation is None or conversation.status != ConversationStatus.BOT.value or self.bot is None:
            raise InvalidState("The bot is not in this conversation.")
        return conversation

    async def visitor_feedback(self, who: VisitorIdentity, helpful: bool) -> records.Conversation:
        conversation = await self._in_bot_turn(who)
        assert self.bot is not None
        last = await self.conversations.last_event(conversation.id, EventKind.BOT.value)
        offer = Offer.from_data(last.data if last else None)
        if offer is None or offer.move not in (Move.ANSWER, Move.SUGGEST, Move.CANNED):
            raise InvalidState("There is no answer to give feedback on.")
        turn = self.bot.answer_feedback(helpful, offer, who.lang)
        event = self._visitor_event(who, EventKind.FEEDBACK, data={"helpful": helpful})
        return await self._bot_step(who, conversation, event, turn)

    async def visitor_choose(self, who: VisitorIdentity, article_id: str) -> records.Conversation:
        conversation = await self._in_bot_turn(who)
        assert self.bot is not None
        turn = self.bot.answer_choice(article_id, who.lang)
        if turn is None:
            raise NotFound("No such article.")
        event = self._visitor_event(who, EventKind.CHOICE, data={"article": article_id})
        return await self._bot_step(who, conversation, event, turn)

    async def visitor_menu(self, who: VisitorIdentity, item_id: str) -> records.Conversation:
        if self.bot is None:
            raise NotFound("No such menu item.")
        turn = self.bot.answer_menu(item_id, who.lang)
        if turn is None:
            raise NotFound("No such menu item.")
        conversation, created = await self._open_or_start(who, None)
        if conversation.status != ConversationStatus.BOT.value:
            raise InvalidState("A person is already on this conversation.")
        if created:
            opened = await self.conversations.apply(
                conversation.id, [self._visitor_event(who, EventKind.OPENED)], now=self.clock()
            )
            await self.hub.tell_follow(f"visitor:{who.visitor.id}", conversation.id)
            await self._publish(opened)
        event = self._visitor_event(who, EventKind.CHOICE, body=turn.choice_label, data={"menu_item": item_id})
        return await self._bot_step(who, conversation, event, turn)

    async def _resend_into_closed(self, who: VisitorIdentity, client_id: str) -> protocol.Ack | None:
        """A resend of a message stored in the visitor's latest conversation, closed since: the same ack again,
        instead of opening a new conversation with the message stored twice. Called when none is open."""
        latest = await self.conversations.of_visitor(who.visitor.id, limit=1)
        if not latest:
            return None
        event = await self.conversations.find_resend(latest[0].id, who.visitor.id, client_id)
        if event is None:
            return None
        return ack_of(event, duplicate=True)

    async def visitor_handoff(self, who: VisitorIdentity, topic: str | None) -> records.Conversation:
        conversation, created = await self._open_or_start(who, topic)
        if conversation.status != ConversationStatus.BOT.value:
            return conversation  # already waiting for or talking to a person
        new_events = [self._visitor_event(who, EventKind.OPENED, data={"topic": topic})] if created else []
        new_events.append(self._visitor_event(who, EventKind.QUEUED))

        def check(current: records.Conversation) -> None:
            check_transition(ConversationStatus(current.status), ConversationStatus.QUEUED)

        applied = await self.conversations.apply(
            conversation.id,
            new_events,
            now=self.clock(),
            check=check,
            changes=_handing_off({"status": ConversationStatus.QUEUED.value, "queued_at": self.clock()}),
        )
        if created:
            await self.hub.tell_follow(f"visitor:{who.visitor.id}", conversation.id)
        await self._publish(applied)
        await self.routing.dispatch(wait=False)  # committed: the assignment follows
        return applied.conversation

    async def visitor_close(self, who: VisitorIdentity) -> records.Conversation | None:
        conversation = await self.conversations.open_of_visitor(who.visitor.id)
        if conversation is None:
            raise InvalidState("There is no open conversation to close.")
        closed = await self._close(conversation.id, role=Role.VISITOR, actor_id=who.visitor.id,
                                   actor_name=who.person.name)
        await self._keep_abandoned(conversation, closed)
        return closed

    async def visitor_left(
        self, conversation_id: str, seen_before: datetime.datetime
    ) -> tuple[records.Conversation, datetime.datetime] | None:
        """The visitor has held no socket since ``seen_before``: close their chat with the bot or in the queue
        (``closed`` ``{"reason": "left"}``), keeping an unanswered question as a ticket as an explicit close does.

        Conditional, in the close's own transaction: nothing happens (None) when the chat is no longer
        with the bot or in the queue (closed by another process's sweep, assigned meanwhile) or when the
        visitor came back since (their last-seen time, locked, is not before ``seen_before``). Otherwise the
        closed conversation and when the visitor was last seen.
        """
        before: list[records.Conversation] = []
        last_seen: list[datetime.datetime] = []

        def check(current: records.Conversation) -> None:
            if current.status not in (ConversationStatus.BOT.value, ConversationStatus.QUEUED.value):
                raise InvalidState()
            before.append(current)

        async def still_away(conn: AsyncConnection, applied: Applied) -> None:
            seen = await self.conversations.lock_last_seen(conn, applied.conversation.visitor_id)
            if seen is not None and seen >= seen_before:
                raise _CameBack()
            last_seen.append(seen or seen_before)

        try:
            closed = await self._close(
                conversation_id, role=Role.SYSTEM, actor_id=None, actor_name="chatsvc", data={"reason": "left"},
                check=check, after=still_away, log_close=False,
            )
        except (InvalidState, NotFound, _CameBack):
            return None
        gone = (closed.closed_at or self.clock()) - last_seen[0]
        log.info("conversation %s (%s) closed: the visitor left %.0fs ago", conversation_id, before[0].status,
                 gone.total_seconds())
        await self._keep_abandoned(before[0], closed)
        return closed, last_seen[0]

    async def _keep_abandoned(self, before: records.Conversation, closed: records.Conversation) -> None:
        """A chat closed while it waited in the queue with nobody having answered: the ticket service keeps
        the question (when the visitor gave an email)."""
        waited = before.status == ConversationStatus.QUEUED.value and before.first_response_at is None
        if waited and self.on_abandoned is not None:
            try:
                await self.on_abandoned(closed)
            except Exception:  # the close stands; the ticket is a courtesy that must not fail the visitor
                log.exception("could not keep the abandoned question of conversation %s", closed.id)

    async def open_conversation(self, who: VisitorIdentity) -> records.Conversation | None:
        """The visitor's open conversation, if any."""
        return await self.conversations.open_of_visitor(who.visitor.id)

    async def announce_closed(self, applied: Applied) -> None:
        """After the commit of a close stored by another use case (the chat that became a ticket in the
        ticket's own transaction): every socket hears the ``closed`` event, the agent who held it gets the
        slot back, and the queue moves on."""
        await self._publish(applied)
        await self.routing.after_close(applied.conversation)

    async def visitor_identify(self, who: VisitorIdentity, name: str | None, email: str | None) -> VisitorIdentity:
        """Record the visitor's name and email (each optional); the identity is refreshed with them."""
        values: dict[str, str] = {}
        if name is not None:
            values["name"] = " ".join(name.split())
        if email is not None:
            if not valid_email(email):
                raise BadRequest("That is not an email address.")
            values["email"] = email.strip()
        if not values:
            return who
        visitor = await self.conversations.set_visitor_details(who.visitor.id, **values)
        who = dataclasses.replace(who, visitor=visitor)
        await self._publish_visitor(who)  # the agent's panel shows the name and email at once
        return who

    async def visitor_page(
        self, who: VisitorIdentity, frame: protocol.VisitorPage, user_agent: str | None
    ) -> VisitorIdentity:
        """Where the visitor is now (with their socket's User-Agent): stored, and shown to the staff of their
        open conversation. At most one stored update and fan-out a second per visitor (every tab together): a
        page equal to the stored one is skipped, later ones within the second are applied at its end, the last
        one winning."""
        page = _Page(
            url=frame.url, title=" ".join((frame.title or "").split()) or None, timezone=frame.timezone,
            language=frame.language, user_agent=clean_user_agent(user_agent),
        )
        visitor = who.visitor
        stored = _Page(url=visitor.page_url, title=visitor.page_title, timezone=visitor.timezone,
                       language=visitor.language, user_agent=visitor.user_agent)
        await self._pages.submit(who.visitor.id, page, lambda p: self._store_page(who, p), current=stored)
        return dataclasses.replace(who, visitor=dataclasses.replace(
            visitor, page_url=page.url, page_title=page.title, timezone=page.timezone, language=page.language,
            user_agent=page.user_agent,
        ))

    async def _store_page(self, who: VisitorIdentity, page: _Page) -> None:
        stored = await self.conversations.get_visitor(who.visitor.id)
        if stored is not None and page == _Page(url=stored.page_url, title=stored.page_title,
                                                timezone=stored.timezone, language=stored.language,
                                                user_agent=stored.user_agent):
            return  # unchanged (another tab, or a reload of the same page): nothing to store or tell
        visitor = await self.conversations.set_visitor_page(
            who.visitor.id, url=page.url, title=page.title, timezone=page.timezone, language=page.language,
            user_agent=page.user_agent, now=self.clock(),
        )
        await self._publish_visitor(dataclasses.replace(who, visitor=visitor))

    async def _publish_visitor(self, who: VisitorIdentity) -> None:
        conversation = await self.conversations.open_of_visitor(who.visitor.id)
        if conversation is not None:
            frame = protocol.VisitorUpdate(conversation=conversation.id, visitor=visitor_details(who.visitor))
            await self.hub.publish_frame(staff_conversation_channel(conversation.id), frame, staff_only=True)

    async def visitor_read(self, who: VisitorIdentity, frame: protocol.VisitorRead) -> None:
        """The visitor has seen their conversation up to ``seq``: the mark moves forward only, and staff hear
        of it when it moved. At most one stored update and fan-out a second per conversation (every tab
        together), the highest mark of the second winning."""
        key = (who.visitor.id, frame.conversation)
        if key not in self._reads:  # checked once per window: the same conversation stays the visitor's
            await self.visitor_conversation(who, frame.conversation)
        await self._reads.submit(key, frame.seq, lambda seq: self._store_read(frame.conversation, seq))

    async def _store_read(self, conversation_id: str, seq: int) -> None:
        moved = await self.conversations.advance_read(conversation_id, seq)
        if moved is not None:
            await self.hub.publish_frame(
                staff_conversation_channel(conversation_id),
                protocol.ReadUpdate(conversation=conversation_id, seq=moved),
                staff_only=True,
            )

    async def visitor_rate(self, who: VisitorIdentity, frame: protocol.VisitorRate) -> protocol.Rated:
        """The end-of-chat survey of one of the visitor's own conversations, once it is closed; stored once, and
        only the questions the site asks (CSAT, and NPS or CES when turned on)."""
        conversation = await self.visitor_conversation(who, frame.conversation)
        if conversation.status != ConversationStatus.CLOSED.value:
            raise InvalidState("The conversation is still open: rate it once it has ended.")
        settings = await self.widgets.settings_of(conversation.site_id) if self.widgets else DEFAULT_WIDGET
        unasked = settings.unasked(csat=True, nps=frame.nps is not None, ces=frame.ces is not None)
        if unasked:
            # The widget asks only what the site turned on: anything else was not asked, so it is not kept.
            raise InvalidState(f"This site does not ask for {' or '.join(n.upper() for n in unasked)}.")
        comment = (frame.comment or "").strip() or None
        try:
            await self.surveys.add(Survey(
                conversation_id=conversation.id, site_id=conversation.site_id, csat=frame.csat, nps=frame.nps,
                ces=frame.ces, comment=comment, created_at=self.clock(),
            ))
        except Conflict:
            raise InvalidState("This conversation was rated already.") from None
        # A rating stores no event, so nothing else tells the managers' live panel (today's CSAT, NPS, CES).
        self.hub.changed()
        return protocol.Rated(conversation=conversation.id)

    async def visitor_typing(self, who: VisitorIdentity, active: bool) -> None:
        conversation = await self.conversations.open_of_visitor(who.visitor.id)
        if conversation is None:
            return
        await self.hub.publish_frame(
            f"conv:{conversation.id}",
            protocol.TypingNotice(conversation=conversation.id, who=who.person, active=active),
            exclude=f"visitor:{who.visitor.id}",
        )

    def _visitor_event(
        self, who: VisitorIdentity, kind: EventKind, *, body: str | None = None, client_id: str | None = None,
        data: dict[str, object] | None = None,
    ) -> NewEvent:
        return NewEvent(
            kind=kind.value,
            author_role=Role.VISITOR.value,
            author_id=who.visitor.id,
            author_name=who.person.name,
            body=body,
            client_id=client_id,
            data={k: v for k, v in (data or {}).items() if v is not None} or None,
        )

    # --- staff ---------------------------------------------------------------------------------------

    async def staff_may_read(self, who: StaffIdentity, conversation: records.Conversation) -> bool:
        """Managers and admins read all; an agent reads what they hold or held, what waits in the queue for
        them (no team, or one of their teams: what they could pick), and the history of a visitor they are
        serving now."""
        if who.role in (Role.MANAGER, Role.ADMIN):
            return True
        if conversation.agent_id == who.user.id:
            return True
        if conversation.status == ConversationStatus.QUEUED.value and (
            conversation.team_id is None or conversation.team_id in await self.accounts.team_ids_of(who.user.id)
        ):
            return True
        if await self.conversations.was_participant(conversation.id, who.user.id):
            return True
        return await self.conversations.serves_visitor(who.user.id, conversation.visitor_id)

    async def readable_conversation(self, who: StaffIdentity, conversation_id: str) -> records.Conversation:
        conversation = await self.conversations.find(conversation_id)
        if conversation is None or not await self.staff_may_read(who, conversation):
            raise NotFound()
        return conversation

    @staticmethod
    def holds(who: StaffIdentity, conversation: records.Conversation) -> bool:
        """Whether the staff member holds the conversation now (assigned to them)."""
        return conversation.agent_id == who.user.id and conversation.status == ConversationStatus.ASSIGNED.value

    async def held_conversation(self, who: StaffIdentity, conversation_id: str) -> records.Conversation:
        """A conversation the agent may write to: assigned to them now."""
        conversation = await self.conversations.find(conversation_id)
        if (
            conversation is None
            or conversation.agent_id != who.user.id
            or conversation.status != ConversationStatus.ASSIGNED.value
        ):
            raise NotFound()
        return conversation

    async def agent_message(self, who: StaffIdentity, frame: protocol.AgentMessage) -> protocol.Ack:
        await self.held_conversation(who, frame.conversation)
        now = self.clock()

        def changes(current: records.Conversation) -> dict[str, object]:
            if current.first_response_at is not None:
                return {}
            return {"first_response_at": now, "first_responder_id": who.user.id}

        return await self._staff_writes(who, frame, EventKind.MESSAGE, now=now, holder_only=True, changes=changes)

    async def notable_conversation(self, who: StaffIdentity, conversation_id: str) -> records.Conversation:
        """A conversation the staff member may add a note to: an agent, one they hold now; a manager or admin,
        any (closed ones too: a note after the fact is still useful to the next person)."""
        if who.role in (Role.MANAGER, Role.ADMIN):
            return await self.readable_conversation(who, conversation_id)
        return await self.held_conversation(who, conversation_id)

    async def agent_note(self, who: StaffIdentity, frame: protocol.AgentNote) -> protocol.Ack:
        """Store an internal note (a numbered event published to staff sockets only)."""
        await self.notable_conversation(who, frame.conversation)
        manager = who.role in (Role.MANAGER, Role.ADMIN)
        return await self._staff_writes(who, frame, EventKind.NOTE, now=self.clock(), holder_only=not manager)

    async def _staff_writes(
        self, who: StaffIdentity, frame: protocol.AgentMessage | protocol.AgentNote, kind: EventKind, *,
        now: datetime.datetime, holder_only: bool,
        changes: Callable[[records.Conversation], dict[str, object]] | None = None,
    ) -> protocol.Ack:
        """Store a staff member's text as ``kind``, publish it, and answer with its ack."""

        def check(current: records.Conversation) -> None:
            # Again under the row lock: the chat may have been transferred away since the caller's read.
            if holder_only and (
                current.agent_id != who.user.id or current.status != ConversationStatus.ASSIGNED.value
            ):
                raise NotFound()

        applied = await self.conversations.apply(
            frame.conversation,
            [
                NewEvent(
                    kind=kind.value,
                    author_role=who.user.role,
                    author_id=who.user.id,
                    author_name=who.user.name,
                    body=frame.text,
                    client_id=frame.client_id,
                )
            ],
            now=now,
            check=check,
            changes=changes,
        )
        await self._publish(applied)
        return ack_for(applied, frame.client_id)

    async def agent_typing(self, who: StaffIdentity, conversation_id: str, active: bool) -> None:
        await self.held_conversation(who, conversation_id)
        person = protocol.Person(role=who.user.role, name=who.user.name, id=who.user.id)
        await self.hub.publish_frame(
            f"conv:{conversation_id}",
            protocol.TypingNotice(conversation=conversation_id, who=person, active=active),
            exclude=f"user:{who.user.id}",
        )

    async def agent_close(
        self, who: StaffIdentity, conversation_id: str, *, resolution: str | None = None
    ) -> records.Conversation | None:
        await self.held_conversation(who, conversation_id)
        return await self._close(conversation_id, role=Role(who.user.role), actor_id=who.user.id,
                                 actor_name=who.user.name, resolution=resolution)

    # --- shared --------------------------------------------------------------------------------------

    async def _close(
        self, conversation_id: str, *, role: Role, actor_id: str | None, actor_name: str,
        resolution: str | None = None, data: dict[str, object] | None = None,
        check: Callable[[records.Conversation], None] | None = None,
        after: Callable[[AsyncConnection, Applied], Awaitable[None]] | None = None, log_close: bool = True,
    ) -> records.Conversation:
        """Close it (``check``, then the transition's own rule; ``after`` in the same transaction can still
        refuse), then publish and let the queue move on."""
        now = self.clock()

        def check_close(current: records.Conversation) -> None:
            if check is not None:
                check(current)
            check_transition(ConversationStatus(current.status), ConversationStatus.CLOSED)

        event_data = {**({"resolution": resolution} if resolution else {}), **(data or {})}
        applied = await self.conversations.apply(
            conversation_id,
            [NewEvent(kind=EventKind.CLOSED.value, author_role=role.value, author_id=actor_id, author_name=actor_name,
                      data=event_data or None)],
            now=now,
            check=check_close,
            changes={"status": ConversationStatus.CLOSED.value, "closed_at": now, "closed_by_role": role.value,
                     "closed_by_id": actor_id, "resolution": resolution},
            after=after,
        )
        if log_close:
            log.info("conversation %s closed by %s", conversation_id, role.value)
        # Closing keeps agent_id on record: the agent who held it gets the slot back.
        await self.announce_closed(applied)
        return applied.conversation

    async def _publish(self, applied: Applied) -> None:
        if applied.duplicate:
            return  # published when first stored
        await self.hub.publish_stored(applied.events)

    async def history(self, conversation_id: str, after_seq: int, limit: int) -> list[records.StoredEvent]:
        return await self.conversations.events_after(conversation_id, after_seq, limit)
