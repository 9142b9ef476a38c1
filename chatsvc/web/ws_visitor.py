"""``/ws/visitor?site=KEY``: one visitor's socket. The token comes in the first frame, never the URL."""

from __future__ import annotations

from starlette.websockets import WebSocket

from chatsvc import errors
from chatsvc.domain import protocol
from chatsvc.services.chat import VisitorIdentity
from chatsvc.services.container import Services
from chatsvc.services.frames import iso
from chatsvc.web.edge import services_of
from chatsvc.web.socket import SocketSession, accept_and_run, not_stored


class VisitorSocket(SocketSession):
    role = "visitor"

    def __init__(self, websocket: WebSocket, services: Services, site_key: str) -> None:
        super().__init__(websocket, services)
        self.site_key = site_key
        self.user_agent = websocket.headers.get("user-agent")  # kept with the visitor's ``page``
        self.who: VisitorIdentity | None = None

    async def authenticate(self, data: str) -> None:
        try:
            frame = protocol.decode_visitor(data)
        except Exception as exc:  # noqa: BLE001 - anything but a valid hello is unauthorized here
            raise errors.Unauthorized() from exc
        if not isinstance(frame, protocol.VisitorHello):
            raise errors.Unauthorized()
        if frame.v != protocol.PROTOCOL_VERSION:
            raise errors.UnsupportedVersion()
        chat = self.services.chat
        site = await chat.site_for_handshake(self.site_key, None)
        self.who = who = await chat.identify_visitor(frame.token, site, frame.lang)
        self.services.visitor_presence.connected(who.visitor.id)  # identify_visitor marked them seen
        self.identity = f"visitor:{who.visitor.id}"
        await self.listen(self.identity)
        conversation = await self.services.conversation_store.open_of_visitor(who.visitor.id)
        infos = [await self.services.directory.info(conversation, for_staff=False)] if conversation else []
        bot = chat.bot
        in_bot_turn = conversation is None or conversation.status == "bot"
        menu = bot.root_menu(frame.lang) if bot is not None and in_bot_turn and bot.enabled() else None
        self.send(
            protocol.Welcome(
                v=protocol.PROTOCOL_VERSION,
                role="visitor",
                you=who.person,
                conversations=infos,
                server_time=iso(self.services.clock()) or "",
                menu=menu or None,
            )
        )
        self.welcomed()
        if conversation is not None:
            after = frame.last_seq if frame.conversation == conversation.id else 0
            await self.follow(conversation.id, min(after, conversation.last_seq))
            update = await self.services.routing.queue_update_for(conversation.id)
            if update is not None:
                self.send(update)

    async def cleanup(self) -> None:
        if self.who is not None:
            await self.services.visitor_presence.disconnected(self.who.visitor.id)

    async def handle(self, data: str) -> None:
        assert self.who is not None
        try:
            frame = protocol.decode_visitor(data)
        except Exception as exc:
            kind = protocol.frame_type_of(data)
            if kind in protocol.AGENT_FRAME_TYPES - protocol.VISITOR_FRAME_TYPES:
                raise errors.Forbidden("That frame type is for agents only.") from exc
            raise
        chat = self.services.chat
        if isinstance(frame, protocol.VisitorMessage):
            try:
                ack = await chat.visitor_message(self.who, frame)
            except errors.ChatError as exc:
                exc.ref = frame.client_id
                raise
            except Exception as exc:
                raise not_stored(frame.client_id) from exc
            if ack.conversation not in self.following:
                await self.follow(ack.conversation, 0)
            self.send(ack)
        elif isinstance(frame, protocol.VisitorTyping):
            await chat.visitor_typing(self.who, frame.active)
        elif isinstance(frame, protocol.VisitorHandoff):
            conversation = await chat.visitor_handoff(self.who, frame.topic)
            if conversation.id not in self.following:
                await self.follow(conversation.id, 0)
        elif isinstance(frame, protocol.VisitorClose):
            await chat.visitor_close(self.who)
        elif isinstance(frame, protocol.VisitorFeedback):
            await chat.visitor_feedback(self.who, frame.helpful)
        elif isinstance(frame, protocol.VisitorChoose):
            await chat.visitor_choose(self.who, frame.article)
        elif isinstance(frame, protocol.VisitorMenu):
            conversation = await chat.visitor_menu(self.who, frame.item)
            if conversation.id not in self.following:
                await self.follow(conversation.id, 0)
        elif isinstance(frame, protocol.VisitorIdentify):
            self.who = await chat.visitor_identify(self.who, frame.name, frame.email)
        elif isinstance(frame, protocol.VisitorPage):
            self.who = await chat.visitor_page(self.who, frame, self.user_agent)
        elif isinstance(frame, protocol.VisitorRead):
            await chat.visitor_read(self.who, frame)
        elif isinstance(frame, protocol.VisitorRate):
            self.send(await chat.visitor_rate(self.who, frame))
        elif isinstance(frame, protocol.Sync):
            await chat.visitor_conversation(self.who, frame.conversation)
            await self.follow(frame.conversation, None)
            await self.sync(frame.conversation, frame.after_seq)
        elif isinstance(frame, protocol.VisitorHello):
            raise errors.InvalidState("Already authenticated.")


async def visitor_endpoint(websocket: WebSocket) -> None:
    services = services_of(websocket)
    site_key = websocket.query_params.get("site", "")
    try:
        await services.chat.site_for_handshake(site_key, websocket.headers.get("origin"))
    except errors.ChatError:
        await websocket.close(code=errors.CLOSE_POLICY)  # before accept: the handshake gets HTTP 403
        return
    await accept_and_run(websocket, VisitorSocket(websocket, services, site_key))
