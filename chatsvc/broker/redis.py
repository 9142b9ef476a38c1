"""Redis pub/sub broker: one subscriber connection per process, channels added and dropped as sockets come and go."""

from __future__ import annotations

import asyncio
import logging
import os

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chatsvc.broker.base import Broker, Handler, ResyncHandler

log = logging.getLogger("chatsvc.broker")

SUBSCRIBE_TIMEOUT = 5.0  # seconds to wait for Redis to confirm a subscription
MAX_CONNECTIONS = 64  # publishing connections per process (the subscriber has its own)


class RedisBroker(Broker):
    name = "redis"

    def __init__(self, url: str, *, prefix: str = "chatsvc:") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        # A blocking pool: past its size, a publish waits for a free connection instead of failing (a failed
        # publish of a notice that is not in the database, such as a revocation, would be lost for good).
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=5, socket_connect_timeout=5, health_check_interval=15
        )
        self._client = aioredis.Redis.from_pool(pool)  # owns the pool: aclose() closes its connections
        # Subscribe confirmations are read (not ignored): ``subscribe`` waits for its own, so that nothing
        # published after it returns can be missed.
        self._pubsub = self._client.pubsub()
        self._channels: set[str] = set()
        # Always subscribed, so the reader has a subscription even when no socket is connected.
        self._control = f"{prefix}process:{os.getpid()}:{id(self)}"
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._confirmations: dict[str, asyncio.Future[None]] = {}

    async def start(self, handler: Handler, on_resync: ResyncHandler | None = None) -> None:
        await super().start(handler, on_resync)
        await self._pubsub.subscribe(self._control)
        self._reader = asyncio.create_task(self._read(), name="redis-broker-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        try:
            await self._pubsub.aclose()
        except RedisError:
            pass
        await self._client.aclose()

    async def publish(self, channel: str, data: bytes) -> None:
        try:
            await self._client.publish(self.prefix + channel, data)
        except RedisError:
            # The message is committed; subscribers catch up from the database when Redis returns.
            log.warning("redis publish failed on %s; readers will catch up from the database", channel)

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            if channel in self._channels:
                return
            self._channels.add(channel)
            confirmed = self._confirmations.setdefault(
                self.prefix + channel, asyncio.get_running_loop().create_future()
            )
            try:
                await self._pubsub.subscribe(self.prefix + channel)
            except RedisError:
                log.warning("redis subscribe failed on %s; will resubscribe on reconnect", channel)
                self._confirmations.pop(self.prefix + channel, None)
                return
        try:
            await asyncio.wait_for(asyncio.shield(confirmed), SUBSCRIBE_TIMEOUT)
        except TimeoutError:
            log.warning("redis did not confirm the subscription to %s in time", channel)
        finally:
            self._confirmations.pop(self.prefix + channel, None)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            if channel not in self._channels:
                return
            self._channels.discard(channel)
            try:
                await self._pubsub.unsubscribe(self.prefix + channel)
            except RedisError:
                pass

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def _read(self) -> None:
        cut = len(self.prefix)
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, RuntimeError):
                # RuntimeError: redis-py's "pubsub connection not set" after a failed reconnect.
                await self._reconnect()
                continue
            if message is None:
                continue
            channel = message["channel"]
            if isinstance(channel, bytes):
                channel = channel.decode()
            if message.get("type") == "subscribe":
                waiter = self._confirmations.get(channel)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                continue
            if message.get("type") != "message" or channel == self._control:
                continue
            try:
                self._deliver(channel[cut:], message["data"])
            except Exception:  # a failing handler must not end the reader
                log.exception("broker handler failed on %s", channel)

    async def _reconnect(self) -> None:
        """Retry with backoff until a fresh subscriber connection holds every channel again, then resync."""
        delay = 0.1
        log.warning("redis subscriber connection lost; reconnecting")
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            async with self._lock:
                try:
                    await self._pubsub.aclose()
                except (RedisError, OSError, RuntimeError):
                    pass
                self._pubsub = self._client.pubsub()
                try:
                    await self._pubsub.subscribe(self._control, *(self.prefix + c for c in self._channels))
                except (RedisError, OSError):
                    continue
            log.info("redis subscriber reconnected; catching up from the database")
            if self._on_resync is not None:
                self._on_resync()
            return
