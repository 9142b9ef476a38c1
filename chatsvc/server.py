"""Running the app under uvicorn with the WebSocket bounds from settings, and the SIGTERM drain."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import cast

import uvicorn
from starlette.applications import Starlette

from chatsvc.app import create_app
from chatsvc.logs import configure, setup
from chatsvc.settings import Settings
from chatsvc.web.drain import Drain


def served_url(host: str, port: int) -> str:
    """This process's own address, for links in mail when no public URL is configured."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def uvicorn_config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    setup(settings.log_level)  # before the services are built: their start-up warnings are log lines too
    app = create_app(settings)
    app.state.services.tickets.served_url = served_url(host, port)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=configure(settings.log_level),
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,  # larger frames close with 1009 before we read them
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        ws_per_message_deflate=False,  # no compression: no decompression bombs, less CPU per message
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(settings.drain_seconds)),  # the drain sets its own bound
    )


log = logging.getLogger("chatsvc.server")


class ChatServer(uvicorn.Server):
    """uvicorn with a drain on SIGTERM (and on the first Ctrl-C), bounded by ``drain_seconds`` (D):

    1. at once: ``/healthz`` answers 503 ``draining``, new WebSocket handshakes get HTTP 503, and every open
       socket finishes the frame it is handling, sends what it has queued and closes with 1012;
    2. on SIGTERM the process keeps listening until D/2 so that a load balancer's health checks see the 503
       (a Ctrl-C skips this); plain HTTP requests are still served meanwhile;
    3. then uvicorn's own shutdown: the listener closes, running requests get until 0.8·D, the services stop
       (this process's agent leases are dropped);
    4. a process still alive at D exits anyway (status 1, logged): the drain promises an end.

    The process exits 0 after a drain (uvicorn would re-raise the signal and die of it).
    """

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self.draining = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._watchdog: threading.Timer | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await super().serve(sockets)
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.draining or self._loop is None or not self.started:
            if self.draining and sig == signal.SIGINT:
                self.force_exit = True  # a second Ctrl-C: now
            self.should_exit = True
            return
        self._loop.call_soon_threadsafe(self.drain, sig == signal.SIGTERM)

    def drain(self, linger: bool = True) -> None:
        """Start the drain (from the event loop's thread); ``linger``: keep listening until D/2."""
        if self.draining:
            return
        self.draining = True
        self._drain_task = asyncio.ensure_future(self._drain(linger))

    async def _drain(self, linger: bool) -> None:
        total = self.drain_seconds
        started = time.monotonic()
        self._watchdog = threading.Timer(total, _too_late, args=(total,))
        self._watchdog.daemon = True
        self._watchdog.start()
        drain: Drain = cast(Starlette, self.config.app).state.drain  # the app given to uvicorn_config
        count = len(drain.sockets)
        drain.begin()
        logging.getLogger("uvicorn.error").addFilter(_DenialNoise())
        log.info("draining: %d socket(s) told to reconnect elsewhere (1012), exit within %.0f s", count, total)
        closed = await drain.wait_closed(total * 0.4)
        if not closed:
            log.warning("draining: %d socket(s) still open; uvicorn closes them", len(drain.sockets))
        if linger:
            await asyncio.sleep(max(0.0, started + total / 2 - time.monotonic()))
        # uvicorn's shutdown from here: stop listening, let running requests end, stop the services.
        grace = max(0.1, started + total * 0.8 - time.monotonic())
        self.config.timeout_graceful_shutdown = grace  # type: ignore[assignment]  # a float works (wait_for)
        self.should_exit = True


class _DenialNoise(logging.Filter):
    """uvicorn (0.54, websockets-sansio) logs "ASGI callable returned without completing handshake" after a
    handshake answered with an HTTP response (our 503 while draining): not an error, dropped during the drain."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def _too_late(total: float) -> None:
    logging.getLogger("chatsvc.server").error("draining took more than %.0f s: exiting now", total)
    logging.shutdown()
    os._exit(1)


def serve(settings: Settings, host: str, port: int) -> None:
    ChatServer(uvicorn_config(settings, host, port), settings.drain_seconds).run()
