"""The scale-out reference: ``bench.relay``'s protocol, with every frame going through Redis pub/sub, so that
several processes relay between sockets held by different ones. ``python -m bench.redis_relay --port P
--redis-url URL --prefix PFX``.

What any horizontally scaled chat relay must do at the least: publish a frame on the peer's channel and write
what arrives on a channel to the local socket that follows it. No storage, no auth, no acks. Like chatsvc on
Redis, it publishes even when the peer is on the same process (a process does not know where the peer is).

Protocol (as bench.relay): first frame ``{"role": "visitor", "pair": "p17"}`` or ``{"role": "agent", "pairs":
[...]}``, answered ``ready`` once this process follows the socket's channels; then a visitor's ``TEXT`` reaches
its agent as ``p17|TEXT`` and an agent's ``p17|TEXT`` reaches the visitor of p17 as ``TEXT``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

READY = "ready"


class RedisRelay:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.pubsub = redis.pubsub(ignore_subscribe_messages=True)
        self.local: dict[bytes, tuple[ServerConnection, str]] = {}  # channel -> (socket, frame prefix)
        # redis-py's PubSub is not safe for concurrent (un)subscribes: they could each open a connection and
        # leave subscriptions on one it then drops.
        self.lock = asyncio.Lock()
        self.forwarded = 0
        self.published = 0

    def channel(self, side: str, pair: str) -> str:
        return f"{self.prefix}{side}:{pair}"

    async def follow(self, ws: ServerConnection, side: str, pairs: list[str]) -> list[str]:
        channels = [self.channel(side, pair) for pair in pairs]
        for channel, pair in zip(channels, pairs, strict=True):
            self.local[channel.encode()] = (ws, f"{pair}|" if side == "agent" else "")
        async with self.lock:
            await self.pubsub.subscribe(*channels)
        return channels

    async def unfollow(self, ws: ServerConnection, channels: list[str]) -> None:
        for channel in channels:
            if self.local.get(channel.encode(), (None, ""))[0] is ws:
                del self.local[channel.encode()]
        with contextlib.suppress(Exception):
            async with self.lock:
                await self.pubsub.unsubscribe(*channels)

    async def handle(self, ws: ServerConnection) -> None:
        channels: list[str] = []
        try:
            first = json.loads(await ws.recv())
            if first.get("role") == "agent":
                channels = await self.follow(ws, "agent", [str(p) for p in first["pairs"]])
                await ws.send(READY)
                async for frame in ws:
                    pair, _, text = str(frame).partition("|")
                    await self.redis.publish(self.channel("visitor", pair), text)
                    self.published += 1
            else:
                pair = str(first["pair"])
                channels = await self.follow(ws, "visitor", [pair])
                await ws.send(READY)
                to_agent = self.channel("agent", pair)
                async for frame in ws:
                    await self.redis.publish(to_agent, str(frame))
                    self.published += 1
        except (ConnectionClosed, ValueError, KeyError, TypeError):
            pass
        finally:
            await self.unfollow(ws, channels)

    async def deliver(self) -> None:
        # listen() blocks without a timeout: get_message(timeout=...) could give up in the middle of reading a
        # message under load, and that message would be lost.
        async for message in self.pubsub.listen():
            if message.get("type") != "message":
                continue
            target = self.local.get(message["channel"])
            if target is None:
                continue
            ws, head = target
            with contextlib.suppress(ConnectionClosed):
                await ws.send(head + message["data"].decode())
                self.forwarded += 1


async def main(host: str, port: int, url: str, prefix: str) -> None:
    # A bounded pool that makes a publish wait for a free connection: the default pool refuses past its size
    # ("Too many connections"), which closed sockets mid-run when hundreds published at once.
    redis = aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(url, max_connections=50,
                                                                                    timeout=30))
    relay = RedisRelay(redis, prefix)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    await relay.pubsub.subscribe(prefix + "started")  # the pub/sub connection, opened before any socket comes
    deliverer = asyncio.create_task(relay.deliver())
    # The same WebSocket settings as chatsvc's server and bench.relay.
    async with serve(relay.handle, host, port, compression=None, max_size=16 * 1024, max_queue=256):
        await stop
    deliverer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await deliverer
    await relay.pubsub.aclose()
    await redis.aclose()
    print(f"redis relay: published {relay.published}, forwarded {relay.forwarded}", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.redis_relay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port, args.redis_url, args.prefix))
