"""The reference: a bare WebSocket relay, ``python -m bench.relay --port P``.

What any chat server must do at the least, and nothing more: take a frame from one socket and write it to
another. No storage, no auth, no acks, no JSON beyond the first frame. Measured beside chatsvc in the same run,
it says how much of chatsvc's latency and CPU is the WebSocket and asyncio floor on this machine, and how much
is chatsvc's own work (validation, the database commit, fan-out).

Protocol (text frames):

- first frame, visitor: ``{"role": "visitor", "pair": "p17"}``; the relay answers ``ready`` once the pair's agent
  is connected;
- first frame, agent: ``{"role": "agent", "pairs": ["p0", "p20", ...]}`` (an agent holds several chats);
- then a visitor's frame ``TEXT`` reaches its agent as ``p17|TEXT``, and an agent's ``p17|TEXT`` reaches the
  visitor of p17 as ``TEXT``. A frame with no one at the other end is dropped (and counted, printed at exit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

READY = "ready"


class Relay:
    def __init__(self) -> None:
        self.visitors: dict[str, ServerConnection] = {}
        self.agents: dict[str, ServerConnection] = {}
        self.forwarded = 0
        self.dropped = 0

    async def handle(self, ws: ServerConnection) -> None:
        try:
            first = json.loads(await ws.recv())
            if first.get("role") == "agent":
                await self._agent(ws, [str(pair) for pair in first["pairs"]])
            else:
                await self._visitor(ws, str(first["pair"]))
        except (ConnectionClosed, ValueError, KeyError, TypeError):
            return

    async def _agent(self, ws: ServerConnection, pairs: list[str]) -> None:
        for pair in pairs:
            self.agents[pair] = ws
            visitor = self.visitors.get(pair)
            if visitor is not None:
                await visitor.send(READY)
        try:
            async for frame in ws:
                pair, _, text = str(frame).partition("|")
                visitor = self.visitors.get(pair)
                if visitor is None:
                    self.dropped += 1
                    continue
                # Awaiting the peer's send is the relay's only back-pressure: a slow reader slows its writer.
                await visitor.send(text)
                self.forwarded += 1
        finally:
            for pair in pairs:
                if self.agents.get(pair) is ws:
                    del self.agents[pair]

    async def _visitor(self, ws: ServerConnection, pair: str) -> None:
        self.visitors[pair] = ws
        if pair in self.agents:
            await ws.send(READY)
        prefix = pair + "|"
        try:
            async for frame in ws:
                agent = self.agents.get(pair)
                if agent is None:
                    self.dropped += 1
                    continue
                await agent.send(prefix + str(frame))
                self.forwarded += 1
        finally:
            if self.visitors.get(pair) is ws:
                del self.visitors[pair]


async def main(host: str, port: int) -> None:
    relay = Relay()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # The same WebSocket settings chatsvc's server uses: no compression, 16 KiB frames at most.
    async with serve(relay.handle, host, port, compression=None, max_size=16 * 1024, max_queue=256):
        await stop
    print(f"relay: forwarded {relay.forwarded} frames, dropped {relay.dropped}", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
