"""What both clients share: the socket, the reader, reconnection, de-duplication and pending acks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatsvc.domain import protocol

log = logging.getLogger("chatsvc.client")

# Close codes after which reconnecting cannot help (credentials refused).
FATAL_CLOSE_CODES = {1008}


class Disconnected(Exception):
    """The socket is down right now (the client is reconnecting)."""


class ClientClosed(Exception):
    """The client was closed, or the server refused it for good (``code``)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def ws_url(base_url: str, path: str, query: str = "") -> str:
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, path, query, ""))


def new_client_id() -> str:
    return uuid.uuid4().hex


class BaseClient:
    path = "/"

    def __init__(
        self,
        base_url: str | Sequence[str],
        *,
        origin: str | None = None,
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.1, 5.0),
        open_timeout: float = 10.0,
        max_frames: int = 10_000,
    ) -> None:
        self.base_urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self._url_index = 0
        self.origin = origin
        self.reconnect = reconnect
        self.backoff = backoff
        self.open_timeout = open_timeout
        self.ws: ClientConnection | None = None
        # Received frames, for ``next_frame``; bounded (oldest dropped) so a client that only sends and uses
        # listeners does not accumulate every frame it ever received.
        self.frames: asyncio.Queue[protocol.ServerFrame] = asyncio.Queue(maxsize=max_frames)
        self.last_seq: dict[str, int] = {}
        self.transcripts: dict[str, list[protocol.Event]] = {}
        self.duplicates_dropped = 0  # events seen twice and shown once
        # Events that arrived past a hole. Staff sockets get every seq in order; a visitor socket skips the seqs of
        # staff-only notes, so on a visitor client a gap is normal wherever a note was written.
        self.gaps = 0
        self.welcome: protocol.Welcome | None = None
        self.closed_code: int | None = None
        self.connections = 0
        self._pending: dict[str, tuple[bytes, asyncio.Future[protocol.Ack]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._listeners: list[Callable[[protocol.ServerFrame], None]] = []

    @property
    def base_url(self) -> str:
        return self.base_urls[self._url_index % len(self.base_urls)]

    # --- to be provided by each client -------------------------------------------------------------

    def _hello(self) -> bytes:
        raise NotImplementedError

    def _query(self) -> str:
        return ""

    def _headers(self) -> dict[str, str]:
        return {}

    async def _prepare(self) -> None:
        """Before each connection (obtain a token, sign in)."""

    async def _after_welcome(self, welcome: protocol.Welcome) -> None:
        """After each welcome (resynchronise conversations)."""

    # --- lifecycle ---------------------------------------------------------------------------------

    async def connect(self) -> protocol.Welcome:
        await self._open()
        self._reader = asyncio.create_task(self._read_forever(), name=f"{type(self).__name__}-reader")
        assert self.welcome is not None
        return self.welcome

    async def __aenter__(self) -> BaseClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(ClientClosed("client closed"))

    async def drop(self) -> None:
        """Cut the connection abruptly, as a network failure would (the client then reconnects)."""
        if self.ws is not None and self.ws.transport is not None:
            self.ws.transport.abort()

    async def _open(self) -> None:
        await self._prepare()
        url = ws_url(self.base_url, self.path, self._query())
        self.ws = await websockets.connect(
            url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=self._headers(),
            open_timeout=self.open_timeout,
            max_size=2**20,
            compression=None,
            ping_interval=None,
        )
        self.connections += 1
        await self.ws.send(self._hello().decode())
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), self.open_timeout)
            frame = protocol.decode_server(raw)
            if isinstance(frame, protocol.Welcome):
                self.welcome = frame
                break
            self._dispatch(frame)
        self._connected.set()
        await self._after_welcome(self.welcome)
        # Messages sent but not acknowledged before the drop go again, with the same client ids.
        for data, future in list(self._pending.values()):
            if not future.done():
                await self.ws.send(data.decode())

    async def _read_forever(self) -> None:
        attempt = 0
        while not self._closing:
            try:
                assert self.ws is not None
                async for raw in self.ws:
                    self._dispatch(protocol.decode_server(raw))
                code = self.ws.close_code
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
            self._connected.clear()
            self.closed_code = code
            if self._closing:
                return
            if not self.reconnect or code in FATAL_CLOSE_CODES:
                self._fail_pending(ClientClosed(f"closed by the server ({code})", code))
                return
            while not self._closing:
                attempt += 1
                low, high = self.backoff
                delay = min(high, low * 2 ** min(attempt, 10)) * random.uniform(0.5, 1.0)
                await asyncio.sleep(delay)
                self._url_index += 1  # with several servers, try the next one
                try:
                    await self._open()
                    attempt = 0
                    break
                except (OSError, InvalidStatus, ConnectionClosed, TimeoutError, msgspec.DecodeError) as exc:
                    log.info("reconnect failed (%s); retrying", exc)

    def _fail_pending(self, exc: Exception) -> None:
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(exc)

    # --- frames in ---------------------------------------------------------------------------------

    def _dispatch(self, frame: protocol.ServerFrame) -> None:
        if isinstance(frame, protocol.Event):
            last = self.last_seq.get(frame.conversation, 0)
            if frame.seq <= last:
                self.duplicates_dropped += 1
                return
            if frame.seq != last + 1:
                self.gaps += 1
            self.last_seq[frame.conversation] = frame.seq
            self.transcripts.setdefault(frame.conversation, []).append(frame)
        elif isinstance(frame, protocol.Ack):
            pending = self._pending.pop(frame.client_id, None)
            if pending is not None and not pending[1].done():
                pending[1].set_result(frame)
        elif isinstance(frame, protocol.ErrorFrame) and frame.ref in self._pending:
            _, future = self._pending.pop(frame.ref)
            if not future.done():
                future.set_exception(ServerError(frame))
        for listener in self._listeners:
            listener(frame)
        if self.frames.full():
            self.frames.get_nowait()
        self.frames.put_nowait(frame)

    def add_listener(self, listener: Callable[[protocol.ServerFrame], None]) -> None:
        """Call ``listener(frame)`` for every frame received, as it arrives (after de-duplication)."""
        self._listeners.append(listener)

    async def next_frame(
        self, predicate: Callable[[protocol.ServerFrame], bool] | None = None, timeout: float = 10.0
    ) -> protocol.ServerFrame:
        """The next received frame matching ``predicate`` (frames that do not match are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if predicate is None or predicate(frame):
                    return frame

    async def wait_event(
        self,
        *,
        kind: str | None = None,
        role: str | None = None,
        conversation: str | None = None,
        text: str | None = None,
        timeout: float = 10.0,
    ) -> protocol.Event:
        def match(frame: protocol.ServerFrame) -> bool:
            return (
                isinstance(frame, protocol.Event)
                and (kind is None or frame.kind == kind)
                and (role is None or frame.author.role == role)
                and (conversation is None or frame.conversation == conversation)
                and (text is None or frame.text == text)
            )

        # Already received (shown) events count too: a test may ask after the fact.
        for events in self.transcripts.values():
            for event in events:
                if match(event):
                    return event
        frame = await self.next_frame(match, timeout)
        assert isinstance(frame, protocol.Event)
        return frame

    async def wait_error(self, code: str | None = None, timeout: float = 10.0) -> protocol.ErrorFrame:
        frame = await self.next_frame(
            lambda f: isinstance(f, protocol.ErrorFrame) and (code is None or f.code == code), timeout
        )
        assert isinstance(frame, protocol.ErrorFrame)
        return frame

    # --- frames out --------------------------------------------------------------------------------

    async def send_frame(self, frame: msgspec.Struct | dict[str, Any]) -> None:
        data = frame if isinstance(frame, dict) else frame
        raw = msgspec.json.encode(data)
        await self.send_raw(raw.decode())

    async def send_raw(self, data: str | bytes) -> None:
        if self.ws is None or not self._connected.is_set():
            raise Disconnected("not connected")
        await self.ws.send(data)

    async def _send_acked(self, client_id: str, frame: msgspec.Struct, timeout: float) -> protocol.Ack:
        data = protocol.encode(frame)
        future: asyncio.Future[protocol.Ack] = asyncio.get_running_loop().create_future()
        self._pending[client_id] = (data, future)
        if self._connected.is_set() and self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(data.decode())
        # Not connected or the send failed: the reconnect resends it.
        return await asyncio.wait_for(asyncio.shield(future), timeout)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)


class ServerError(Exception):
    def __init__(self, frame: protocol.ErrorFrame) -> None:
        super().__init__(f"{frame.code}: {frame.message}")
        self.code = frame.code
        self.frame = frame
