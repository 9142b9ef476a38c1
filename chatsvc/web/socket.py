"""One WebSocket's life, shared by the visitor and agent endpoints.

Reading: every frame is size-limited (by the server's WebSocket layer), rate-limited and schema-checked before
any rule runs; an error answers that client only. Writing: frames go through a bounded queue drained by one
writer task; a client that does not read fills it and is disconnected (it will resume by seq).
Conversation events are delivered in seq order, each once: a gap (events published out of order by two
writers, or lost while the broker was away) is filled from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import msgspec
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from chatsvc import errors
from chatsvc.domain import protocol
from chatsvc.domain.model import STAFF_ONLY_KINDS
from chatsvc.services.container import Services
from chatsvc.services.frames import event_frame, visitor_data
from chatsvc.services.hub import Envelope, conversation_channel, staff_conversation_channel
from chatsvc.web.drain import Drain
from chatsvc.web.edge import client_address, same_origin, services_of, staff_token
from chatsvc.web.ratelimit import TokenBucket

log = logging.getLogger("chatsvc.socket")


@dataclasses.dataclass
class Following:
    """Where one conversation stands on this socket. ``last_sent`` None: waiting for the client's sync."""

    last_sent: int | None
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)


def not_stored(client_id: str) -> errors.Unavailable:
    """Call inside ``except``: an unexpected failure while storing a message (the database away, say) is logged
    with its traceback and answered with ``unavailable`` naming the client id, so that the sender knows this
    message is not acknowledged and sends it again (a resend is stored once)."""
    log.exception("could not store message %s", client_id)
    return errors.Unavailable("The message could not be stored just now; send it again.", ref=client_id)


class _Closing(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SocketSession:
    role = "socket"
    # Whether staff-only frames and events (notes) reach this socket. Visitor sockets step over their seqs.
    sees_staff_only = False

    def __init__(self, websocket: WebSocket, services: Services) -> None:
        self.ws = websocket
        self.services = services
        settings = services.settings
        self.outbox: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=settings.send_queue_frames)
        self.bucket = TokenBucket(settings.rate_per_second, settings.rate_burst)
        self.following: dict[str, Following] = {}
        self.channels: set[str] = set()
        self._closing: _Closing | None = None
        self._draining = False  # the server is shutting down: finish the frame at hand, flush, close 1012
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_rate_error = 0.0
        self._closed = asyncio.Event()
        self._aborted = asyncio.Event()
        self._abort_waiter: asyncio.Future[Any] | None = None
        self.identity = ""  # "visitor:ID" or "user:ID" once authenticated
        # Broker deliveries that arrive between subscribing and sending the welcome wait here, so that the
        # welcome is always a client's first frame.
        self._before_welcome: list[tuple[str, Envelope]] | None = []

    # --- subclass hooks ----------------------------------------------------------------------------

    async def authenticate(self, data: str) -> None:
        raise NotImplementedError

    async def handle(self, data: str) -> None:
        raise NotImplementedError

    async def cleanup(self) -> None:
        """Runs once when the socket ends, before unfollowing."""

    # --- the loop ----------------------------------------------------------------------------------

    async def run(self) -> None:
        writer = asyncio.create_task(self._write(), name=f"{self.role}-writer")
        try:
            first = await asyncio.wait_for(self._receive_text(), self.services.settings.hello_timeout)
            if first is None:
                return
            try:
                await self.authenticate(first)
            except (
                errors.BadFrame, errors.Unauthorized, errors.NotFound,
                msgspec.ValidationError, msgspec.DecodeError, RecursionError,
            ) as exc:
                # Whatever failed (no token, forged, expired, another site's), the client learns only this.
                raise _Closing(errors.CLOSE_POLICY, "unauthorized") from exc
            except errors.ChatError as exc:
                raise _Closing(exc.close_code or errors.CLOSE_POLICY, exc.code) from exc
            while self._closing is None:
                data = await self._receive_text()
                if data is None:
                    return
                if not self.bucket.take():
                    self._rate_limited()
                    continue
                await self._guarded(self.handle, data)
        except TimeoutError:
            await self._close(errors.CLOSE_POLICY, "hello_timeout")
        except _Closing as closing:
            await self._close(closing.code, closing.reason)
        except WebSocketDisconnect:
            pass
        finally:
            if self._draining and self._closing is None:
                # What is queued (the ack of a message committed just now) goes out before the close.
                self._closing = _Closing(errors.CLOSE_RESTART, "server restarting")
                with contextlib.suppress(asyncio.QueueFull):
                    self.outbox.put_nowait(None)
                await asyncio.wait({writer}, timeout=2.0)
            if self._closing is not None:
                await self._close(self._closing.code, self._closing.reason)
            writer.cancel()
            if self._abort_waiter is not None:
                self._abort_waiter.cancel()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self.cleanup()
            for channel in list(self.channels):
                await self.services.hub.unfollow(channel, self)
            self.channels.clear()

    async def _receive_text(self) -> str | None:
        """The next text frame, or None when the client went away or the socket was aborted.

        Binary frames are refused here. An abort (slow consumer, revocation) must end the loop even while
        the client sends nothing, so the read races the abort signal.
        """
        while True:
            if self._closing is not None or self._draining:
                return None
            if self._abort_waiter is None:
                self._abort_waiter = asyncio.ensure_future(self._aborted.wait())
            receive: asyncio.Future[Any] = asyncio.ensure_future(self.ws.receive())
            waiter = self._abort_waiter
            done, _ = await asyncio.wait({receive, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                receive.cancel()
                return None
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return None
            text = message.get("text")
            if text is not None:
                if len(text) > self.services.settings.max_frame_bytes:
                    raise _Closing(errors.CLOSE_TOO_BIG, "frame_too_big")
                return str(text)
            self.send_error(errors.BadFrame("Frames must be JSON text, not binary."))

    async def _guarded(self, step: Any, data: str) -> None:
        try:
            await step(data)
        except errors.ChatError as exc:
            if exc.close_code is not None and isinstance(exc, (errors.Unauthorized, errors.UnsupportedVersion)):
                raise _Closing(exc.close_code, exc.code) from exc
            self.send_error(exc)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            self.send_error(errors.BadFrame(_describe_decode_error(exc)))
        except UnicodeError:
            self.send_error(errors.BadFrame("The frame is not valid Unicode."))
        except RecursionError:
            self.send_error(errors.BadFrame("The frame is nested too deeply."))
        except _Closing:
            raise
        except Exception:  # noqa: BLE001 - one bad frame must not end the connection loop
            log.exception("unexpected error handling a %s frame", self.role)
            self.send_error(errors.ChatError("Something went wrong on the server; the frame was not applied."))

    def _rate_limited(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last_rate_error >= 1.0:  # one notice a second, not one per dropped frame
            self._last_rate_error = now
            self.send_error(errors.RateLimited("Too many frames; this one was dropped. Slow down."))

    # --- writing -----------------------------------------------------------------------------------

    def send(self, frame: msgspec.Struct) -> None:
        self.send_raw(protocol.encode(frame))

    def send_error(self, exc: errors.ChatError) -> None:
        self.send(protocol.ErrorFrame(code=exc.code, message=exc.message, ref=exc.ref))

    def send_raw(self, data: bytes) -> None:
        if self._closing is not None:
            return
        try:
            self.outbox.put_nowait(data)
        except asyncio.QueueFull:
            log.warning("%s socket is not reading; disconnecting it (it can resume)", self.role)
            self.abort(errors.CLOSE_TRY_AGAIN, errors.SlowConsumer.code)

    def abort(self, code: int, reason: str) -> None:
        """End this socket from outside its reading loop (revocation, slow consumer)."""
        if self._closing is None:
            self._closing = _Closing(code, reason)
            self._aborted.set()
            with contextlib.suppress(asyncio.QueueFull):
                self.outbox.put_nowait(None)
            self._spawn(self._close(code, reason))

    def drain(self) -> None:
        """The server is shutting down: stop reading; the frame being handled finishes, the queued frames go
        out, then the socket closes with 1012 so that the client reconnects elsewhere and resumes by seq."""
        if self._closing is None and not self._draining:
            self._draining = True
            self._aborted.set()

    async def _write(self) -> None:
        try:
            while True:
                data = await self.outbox.get()
                if data is None:
                    return
                await self.ws.send_text(data.decode())
        except (WebSocketDisconnect, RuntimeError, OSError):
            return

    async def _close(self, code: int, reason: str) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(code=code, reason=reason), 5.0)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- following conversations -------------------------------------------------------------------

    async def listen(self, channel: str) -> None:
        if channel not in self.channels:
            self.channels.add(channel)
            await self.services.hub.follow(channel, self)

    def _conversation_channels(self, conversation_id: str) -> list[str]:
        """A staff socket hears the conversation's staff channel too (notes, the visitor's page and read
        marks); a visitor socket never subscribes to it."""
        channels = [conversation_channel(conversation_id)]
        if self.sees_staff_only:
            channels.append(staff_conversation_channel(conversation_id))
        return channels

    async def follow(self, conversation_id: str, after_seq: int | None) -> None:
        """Receive this conversation's events: from ``after_seq`` (replayed from storage), or, when None,
        from whatever the client asks for in its next ``sync``. Following twice replays nothing twice."""
        state = self.following.get(conversation_id)
        if state is None:
            state = self.following[conversation_id] = Following(last_sent=None)
            for channel in self._conversation_channels(conversation_id):
                await self.listen(channel)
        if after_seq is None:
            return
        async with state.lock:
            if state.last_sent is not None:
                return  # already delivering (a follow notice and the sender's own follow can cross)
            state.last_sent = after_seq
            await self._fill(conversation_id, state)
            self.send(protocol.Synced(conversation=conversation_id, last_seq=state.last_sent))

    async def unfollow(self, conversation_id: str) -> None:
        if self.following.pop(conversation_id, None) is not None:
            for channel in self._conversation_channels(conversation_id):
                self.channels.discard(channel)
                await self.services.hub.unfollow(channel, self)

    async def sync(self, conversation_id: str, after_seq: int) -> None:
        """Replay from storage after ``after_seq``, then say so; live events continue from there."""
        state = self.following[conversation_id]
        async with state.lock:
            state.last_sent = after_seq
            await self._fill(conversation_id, state)
            self.send(protocol.Synced(conversation=conversation_id, last_seq=state.last_sent))

    async def replay(self, conversation_id: str, after_seq: int) -> None:
        """Replay from storage after ``after_seq`` once, then ``synced``, without following: nothing live comes
        after it (an agent reading a chat they do not hold)."""
        state = self.following.get(conversation_id)
        if state is not None:  # followed already (a chat held until a moment ago): a plain sync
            await self.sync(conversation_id, after_seq)
            return
        once = Following(last_sent=after_seq)
        await self._fill(conversation_id, once)
        self.send(protocol.Synced(conversation=conversation_id, last_seq=once.last_sent or after_seq))

    async def _fill(self, conversation_id: str, state: Following) -> None:
        page = self.services.settings.history_page
        while self._closing is None and state.last_sent is not None:
            events = await self.services.chat.history(conversation_id, state.last_sent, page)
            for event in events:
                if event.seq > state.last_sent:
                    if self.sees_staff_only:
                        self.send(event_frame(event))
                    elif event.kind not in STAFF_ONLY_KINDS:
                        self.send(event_frame(event, for_visitor=True))
                    state.last_sent = event.seq  # a note's seq is passed over all the same
            if len(events) < page:
                return

    async def _catch_up(self, conversation_id: str) -> None:
        state = self.following.get(conversation_id)
        if state is None:
            return
        async with state.lock:
            await self._fill(conversation_id, state)

    # --- broker deliveries (called synchronously by the hub) ---------------------------------------

    def welcomed(self) -> None:
        """The welcome is sent: deliver what arrived before it."""
        held, self._before_welcome = self._before_welcome, None
        for channel, envelope in held or ():
            self.on_envelope(channel, envelope)

    def on_envelope(self, channel: str, envelope: Envelope) -> None:
        if self._before_welcome is not None and envelope.control != "revoke":
            self._before_welcome.append((channel, envelope))
            return
        if envelope.control == "revoke":
            self.abort(errors.CLOSE_POLICY, envelope.reason or "revoked")
        elif envelope.control in ("follow", "unfollow") and envelope.conversation:
            self.on_follow_notice(envelope.conversation, envelope.control == "follow")
        elif envelope.seq is not None and envelope.conversation is not None:
            state = self.following.get(envelope.conversation)
            if state is None or state.last_sent is None:
                return
            if envelope.seq == state.last_sent + 1 and not state.lock.locked():
                state.last_sent = envelope.seq
                if self.sees_staff_only:
                    self.send_raw(bytes(envelope.frame))
                elif not envelope.staff_only:  # second guard: staff-only events travel on conv-staff:ID
                    visible = _for_visitor(bytes(envelope.frame))
                    if visible:
                        self.send_raw(visible)
            elif envelope.seq > state.last_sent:
                self._spawn(self._catch_up(envelope.conversation))  # a gap: fill it from storage
        elif (
            envelope.control is None
            and (envelope.exclude is None or envelope.exclude != self.identity)
            and (self.sees_staff_only or not envelope.staff_only)
        ):
            self.send_raw(bytes(envelope.frame))

    def on_follow_notice(self, conversation_id: str, follow: bool) -> None:
        if follow:
            self._spawn(self.follow(conversation_id, 0 if conversation_id not in self.following else None))
        else:
            self._spawn(self.unfollow(conversation_id))

    def on_resync(self) -> None:
        for conversation_id in list(self.following):
            self._spawn(self._catch_up(conversation_id))


_decode_event = msgspec.json.Decoder(protocol.Event).decode


def _for_visitor(frame: bytes) -> bytes:
    """A live event as a visitor may see it: a transfer published by older code may carry the staff's handover
    note in its data (decoded only when it could)."""
    if b'"note"' not in frame:
        return frame
    try:
        event = _decode_event(frame)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return frame
    if event.kind in STAFF_ONLY_KINDS:
        return b""  # a note from older code that lost its flag: the seq is stepped over all the same
    data = visitor_data(event.kind, event.data)
    if data is event.data:
        return frame
    return protocol.encode(msgspec.structs.replace(event, data=data))


def _describe_decode_error(exc: Exception) -> str:
    text = str(exc)
    if "Invalid value" in text and "type" in text:
        return "Unknown frame type. " + text
    return text[:200] if text else "The frame is not valid."


StaffSocketFactory = Callable[[WebSocket, Services, str | None], SocketSession]


async def serve_staff_socket(websocket: WebSocket, make: StaffSocketFactory) -> None:
    """The way in of a staff socket (the console's, the manager page's): the browser's own origin only, refused
    before accept (HTTP 403: cross-site hijacking), then the session's socket."""
    if not same_origin(websocket):
        await websocket.close(code=errors.CLOSE_POLICY)
        return
    await accept_and_run(websocket, make(websocket, services_of(websocket), staff_token(websocket)))


async def accept_and_run(websocket: WebSocket, session: SocketSession) -> None:
    """Accept a handshake its endpoint has vetted and run ``session`` on it, within the per-address cap (over
    it: close 1013 ``too_many_connections``). While the server drains, the handshake is refused with HTTP 503
    (a proxy passes it to another process); a socket open when the drain begins is closed with 1012."""
    drain: Drain = websocket.app.state.drain
    if drain.active:
        await websocket.send_denial_response(
            JSONResponse({"status": "draining"}, status_code=503, headers={"Retry-After": "1"})
        )
        return
    address = client_address(websocket)
    limiter = websocket.app.state.address_counter
    await websocket.accept()
    if not limiter.acquire(address):
        await websocket.close(code=errors.CLOSE_TRY_AGAIN, reason=errors.TooManyConnections.code)
        return
    drain.add(session)
    try:
        await session.run()
    finally:
        drain.discard(session)
        limiter.release(address)
