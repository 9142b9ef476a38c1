"""The reference under the same load: ``bench.relay`` in a child process, driven by plain websockets clients."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from bench.procs import ChildServer, free_port, python_module
from bench.progress import Progress
from bench.relay import READY
from bench.system import Facts, bounded_gather
from bench.workload import AGENT_TAG, VISITOR_TAG, Plan, Recorder, make_text

READY_TIMEOUT = 30.0


class RelaySystem:
    name = "relay (reference)"

    def __init__(self, plan: Plan, recorder: Recorder, workdir: Path, *, progress: Progress) -> None:
        self.plan = plan
        self.recorder = recorder
        self.progress = progress
        self.workdir = workdir
        self.server: ChildServer | None = None
        self.url = ""
        self.agents: list[ClientConnection] = []
        self.visitors: list[ClientConnection | None] = []
        self._readers: list[asyncio.Task[None]] = []
        self._replies: set[asyncio.Task[None]] = set()
        self._closing = False

    def pairs_of(self, agent: int) -> list[int]:
        # Round robin, as chatsvc's least-loaded assignment ends up with the same number of chats per agent.
        return list(range(agent, self.plan.visitors, self.plan.agents))

    async def start(self) -> None:
        port = free_port()
        self.url = f"ws://127.0.0.1:{port}"
        self.server = ChildServer(
            python_module("bench.relay", "--port", str(port)), {}, port, self.workdir / "relay.log"
        )
        self.progress.say(f"{self.name}: starting the relay on port {port}")
        await self.server.start()
        await bounded_gather(
            list(range(self.plan.agents)), self._connect_agent, 10, self.progress, f"{self.name}: agents"
        )
        self.visitors = [None] * self.plan.visitors
        await bounded_gather(
            list(range(self.plan.visitors)),
            self._connect_visitor,
            20,
            self.progress,
            f"{self.name}: visitors",
        )

    async def _open(self) -> ClientConnection:
        # The same client settings as chatsvc's client: no compression, no client pings.
        return await connect(self.url, compression=None, max_size=2**20, ping_interval=None, open_timeout=10)

    async def _connect_agent(self, agent: int) -> None:
        ws = await self._open()
        await ws.send(json.dumps({"role": "agent", "pairs": [f"p{v}" for v in self.pairs_of(agent)]}))
        self.agents.append(ws)
        self._readers.append(asyncio.create_task(self._agent_reader(ws)))

    async def _connect_visitor(self, visitor: int) -> None:
        ws = await self._open()
        await ws.send(json.dumps({"role": "visitor", "pair": f"p{visitor}"}))
        if await asyncio.wait_for(ws.recv(), READY_TIMEOUT) != READY:
            raise RuntimeError("the relay did not pair a visitor")
        self.visitors[visitor] = ws
        self._readers.append(asyncio.create_task(self._visitor_reader(ws)))

    async def _agent_reader(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                pair, _, text = str(frame).partition("|")
                key = self.recorder.agent_received(text)
                if key is not None:
                    task = asyncio.create_task(self._reply(ws, pair, key))
                    self._replies.add(task)
                    task.add_done_callback(self._replies.discard)
        except ConnectionClosed:
            pass
        if not self._closing:
            self.recorder.error("agent socket closed during the load")

    async def _visitor_reader(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                self.recorder.visitor_received(str(frame))
        except ConnectionClosed:
            pass
        if not self._closing:
            self.recorder.error("visitor socket closed during the load")

    async def send(self, visitor: int, k: int) -> None:
        ws = self.visitors[visitor]
        assert ws is not None
        text = make_text(VISITOR_TAG, visitor, k, self.plan.size)
        self.recorder.visitor_sent()
        try:
            await ws.send(text)
        except ConnectionClosed:
            self.recorder.error("visitor send: connection closed")
            return
        self.recorder.acked.add((visitor, k))  # no acks here: handed to the socket is the relay's "acked"

    async def _reply(self, ws: ClientConnection, pair: str, key: tuple[int, int]) -> None:
        text = make_text(AGENT_TAG, key[0], key[1], self.plan.size)
        self.recorder.replies_sent += 1
        try:
            await ws.send(f"{pair}|{text}")
        except ConnectionClosed:
            self.recorder.error("agent send: connection closed")
            return
        self.recorder.replies_acked.add(key)

    async def finish(self) -> Facts:
        sockets = [*self.agents, *(v for v in self.visitors if v is not None)]
        facts = Facts(
            connections_open=sum(1 for ws in sockets if ws.state is State.OPEN),
            connections_expected=self.plan.agents + self.plan.visitors,
        )
        self._closing = True
        if self._replies:
            await asyncio.wait(set(self._replies), timeout=5)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in [*self._readers, *self._replies]:
            task.cancel()
        await asyncio.gather(*self._readers, *self._replies, return_exceptions=True)
        if self.server is not None:
            await self.server.stop()
        return facts
