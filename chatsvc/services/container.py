"""Everything one server process holds, built from settings, started and stopped with the app."""

from __future__ import annotations

import asyncio
import logging

from chatsvc.broker import create_broker, create_live_state
from chatsvc.domain.ids import new_secret
from chatsvc.domain.matching import Thresholds
from chatsvc.domain.tokens import VisitorTokens
from chatsvc.logs import never_log
from chatsvc.services.accounts import AccountService
from chatsvc.services.availability import AvailabilityService
from chatsvc.services.bootstrap import ensure_defaults
from chatsvc.services.bot import Bot
from chatsvc.services.chat import ChatService
from chatsvc.services.clock import Clock, utcnow
from chatsvc.services.directory import Directory
from chatsvc.services.hub import Hub
from chatsvc.services.kb import KnowledgeBaseService
from chatsvc.services.live_stats import LiveStats
from chatsvc.services.mailer import Mailer
from chatsvc.services.replies import RepliesService
from chatsvc.services.routing import Routing
from chatsvc.services.stats import StatsService
from chatsvc.services.tasks import stop_task
from chatsvc.services.tickets import TicketService
from chatsvc.services.visitor_presence import VisitorPresence
from chatsvc.services.webhooks import WebhookSender
from chatsvc.services.widget import WidgetService
from chatsvc.settings import Settings
from chatsvc.store.accounts import AccountStore
from chatsvc.store.conversations import ConversationStore
from chatsvc.store.database import Database, describe
from chatsvc.store.kb import KbStore
from chatsvc.store.live_stats import LiveStatsStore
from chatsvc.store.replies import CannedStore, MenuStore
from chatsvc.store.stats import StatsStore
from chatsvc.store.surveys import SurveyStore
from chatsvc.store.ticket_config import TicketConfigStore
from chatsvc.store.tickets import TicketStore
from chatsvc.store.webhooks import WebhookStore
from chatsvc.store.widget_settings import WidgetSettingsStore

log = logging.getLogger("chatsvc")


class Services:
    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database_url, pool_size=settings.database_pool)
        self.broker = create_broker(settings.redis_url, prefix=settings.redis_prefix)
        self.hub = Hub(self.broker)
        self.account_store = AccountStore(self.db)
        self.conversation_store = ConversationStore(self.db)
        self.directory = Directory(self.account_store, self.conversation_store)
        self.accounts = AccountService(settings, self.account_store, self.hub, clock)
        # Presence and the queue mirror, shared by every process through the same Redis as the broker.
        self.live_state = create_live_state(settings.redis_url, prefix=settings.redis_prefix, ttl=settings.presence_ttl)
        self.routing = Routing(
            settings, self.conversation_store, self.account_store, self.directory, self.hub, clock,
            live=self.live_state, db=self.db,
        )
        self.visitor_presence = VisitorPresence(settings, self.conversation_store, clock)
        self.kb_store = KbStore(self.db)
        self.kb = KnowledgeBaseService(
            self.kb_store,
            self.hub,
            clock,
            thresholds=Thresholds(answer=settings.bot_answer_threshold, suggest=settings.bot_suggest_threshold),
        )
        self.replies = RepliesService(
            MenuStore(self.db), CannedStore(self.db), self.conversation_store, self.directory, self.hub, clock
        )
        self.mailer = Mailer(settings, self.db, clock)
        self.webhook_store = WebhookStore(self.db)
        self.webhooks = WebhookSender(settings, self.webhook_store, clock)
        self.ticket_store = TicketStore(self.db)
        self.ticket_config = TicketConfigStore(self.db)
        self.tickets = TicketService(
            settings, self.ticket_store, self.ticket_config, self.account_store, self.conversation_store, clock,
            poke_mail=self.mailer.poke, poke_webhooks=self.webhooks.poke, changed=self.hub.changed,
        )
        self.availability = AvailabilityService(self.tickets, self.routing, clock)
        self.survey_store = SurveyStore(self.db)
        self.widget_store = WidgetSettingsStore(self.db)
        self.widgets = WidgetService(self.widget_store, clock)
        self.stats = StatsService(StatsStore(self.db), clock, settings.stats_timezone)
        never_log(settings.metrics_token)  # whatever carries it (a scraper's misplaced query parameter)
        if 0 < len(settings.metrics_token) < 16:
            log.warning(
                "CHATSVC_METRICS_TOKEN has only %d characters: use a long random value", len(settings.metrics_token)
            )
        # Today's figures come from the stats service; looked up when asked, so the order here does not matter.
        self.live_stats = LiveStats(
            settings, self.hub, self.routing, self.conversation_store, LiveStatsStore(self.db), clock,
            today=lambda: self.stats.today_summary(),
        )
        self._chat: ChatService | None = None
        self._housekeeping: asyncio.Task[None] | None = None

    @property
    def chat(self) -> ChatService:
        if self._chat is None:
            raise RuntimeError("services not started")
        return self._chat

    async def start(self) -> None:
        log.info("storage: %s", describe(self.settings.database_url))
        await self.db.migrate()
        # First-start seeding, one process at a time (several starting together on one empty database).
        async with self.db.cluster_lock("bootstrap"):
            secret = self.settings.secret_key or await self.account_store.get_or_create_secret(
                "visitor_token_key", new_secret
            )
            ticket_key = await self.account_store.get_or_create_secret("ticket_link_key", new_secret)
            await ensure_defaults(self.settings, self.account_store, self.accounts, self.clock)
        tokens = VisitorTokens(secret, self.settings.visitor_token_ttl)
        self._chat = ChatService(
            self.conversation_store, self.account_store, self.routing, self.hub, tokens, self.clock,
            self.survey_store, bot=Bot(self.kb, self.replies), on_abandoned=self.tickets.from_abandoned_chat,
            widgets=self.widgets,
        )
        self.tickets.start(ticket_key)
        self.tickets.close_chat = lambda who, conversation_id: self.chat.agent_close(
            who, conversation_id, resolution="ticket"
        )
        self.tickets.announce_close = self.chat.announce_closed
        await self.hub.start()
        log.info("broker: %s", self.broker.name)
        if not self.settings.public_urls:
            local = any(h in self.tickets.base_url for h in ("//127.", "//localhost", "//[::1]"))
            log.log(
                logging.INFO if local else logging.WARNING,
                "links mailed to visitors point at %s; set CHATSVC_PUBLIC_URLS to the address visitors reach "
                "this server at", self.tickets.base_url,
            )
        await self.kb.start()
        await self.replies.start()
        await self.routing.recover()
        await self.live_stats.start()
        self.visitor_presence.start(self.chat.visitor_left)
        self.mailer.start()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="chatsvc-housekeeping")
        await self.webhooks.start()

    async def _keep_house(self) -> None:
        """Periodic chores that must not depend on anyone's visit: closing long-resolved tickets."""
        while True:
            try:
                await self.tickets.close_resolved()
            except Exception:
                log.exception("ticket housekeeping failed; trying again later")
            await asyncio.sleep(max(self.settings.worker_interval, 1.0) * 30)

    async def stop(self) -> None:
        await self.webhooks.stop()
        await stop_task(self._housekeeping)
        await self.visitor_presence.stop()
        self.chat.stop()
        await self.mailer.stop()
        await self.live_stats.stop()
        await self.routing.stop()
        await self.replies.stop()
        await self.kb.stop()
        await self.hub.stop()
        await self.db.close()

    async def health(self) -> dict[str, bool]:
        return {"database": await self.db.ping(), "broker": await self.broker.ping()}
