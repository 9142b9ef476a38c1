"""chatsvc under load: ``chatsvc serve`` in a child process, driven by chatsvc's own Python client."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable
from pathlib import Path

from websockets.protocol import State

from bench.procs import ChildServer, free_port, postgres_database, python_module, redis_prefix
from bench.progress import Progress
from bench.seed import PASSWORD, create_agents, email
from bench.system import Facts, bounded_gather
from bench.workload import AGENT_TAG, VISITOR_TAG, Plan, Recorder, make_text, now_ns
from chatsvc.client import AgentClient, ClientClosed, Disconnected, ServerError, VisitorClient
from chatsvc.client.base import BaseClient
from chatsvc.domain import protocol

ACK_TIMEOUT = 30.0  # longer than any sane latency: a message not acked by then is counted as an error
ASSIGN_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class Backend:
    name: str  # "sqlite+memory" or "postgres+redis"
    database_url: str = ""  # PostgreSQL server to create a throw-away database on; empty: SQLite in workdir
    redis_url: str = ""  # empty: the in-process broker


class ChatsvcSystem:
    def __init__(
        self, backend: Backend, plan: Plan, recorder: Recorder, workdir: Path, *, progress: Progress
    ) -> None:
        self.name = f"chatsvc {backend.name}"
        self.backend = backend
        self.plan = plan
        self.recorder = recorder
        self.progress = progress
        self.workdir = workdir
        self.server: ChildServer | None = None
        self.agents: list[AgentClient] = []
        self.visitors: list[VisitorClient] = []
        self.conversations: list[str] = []  # visitor index -> its conversation
        self._readers: list[asyncio.Task[None]] = []
        self._replies: set[asyncio.Task[None]] = set()
        self._resources = contextlib.AsyncExitStack()

    # --- start ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        env = await self._environment()
        await self._create_agents(env)
        port = free_port()
        self.server = ChildServer(
            python_module("chatsvc", "serve", "--host", "127.0.0.1", "--port", str(port)),
            env,
            port,
            self.workdir / "chatsvc.log",
        )
        self.progress.say(f"{self.name}: starting the server on port {port}")
        await self.server.start()
        url = f"http://127.0.0.1:{port}"
        self.agents = [AgentClient(url, email(a), PASSWORD) for a in range(self.plan.agents)]
        await bounded_gather(self.agents, self._connect_agent, 10, self.progress, f"{self.name}: agents")
        self.visitors = [VisitorClient(url, site="default") for _ in range(self.plan.visitors)]
        self.conversations = [""] * self.plan.visitors
        await bounded_gather(
            list(range(self.plan.visitors)),
            self._connect_visitor,
            20,
            self.progress,
            f"{self.name}: visitors",
        )
        await self._wait_assigned()

    async def _environment(self) -> dict[str, str]:
        env = {
            "CHATSVC_DATA_DIR": str(self.workdir),
            "CHATSVC_LOG_LEVEL": "warning",
            # Limits that protect a real server from one client would throttle the benchmark's many sockets
            # from one address instead; everything else keeps its default so we measure what ships.
            "CHATSVC_RATE_PER_SECOND": "1000",
            "CHATSVC_RATE_BURST": "1000",
            "CHATSVC_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            "CHATSVC_DEFAULT_CAPACITY": str(self.plan.capacity),
        }
        if self.backend.database_url:
            env["CHATSVC_DATABASE_URL"] = await self._resources.enter_async_context(
                postgres_database(self.backend.database_url)
            )
        else:
            env["CHATSVC_DATABASE_URL"] = f"sqlite:///{self.workdir / 'bench.db'}"
        if self.backend.redis_url:
            env["CHATSVC_REDIS_URL"] = self.backend.redis_url
            env["CHATSVC_REDIS_PREFIX"] = await self._resources.enter_async_context(
                redis_prefix(self.backend.redis_url)
            )
        return env

    async def _create_agents(self, env: dict[str, str]) -> None:
        """Agents come from chatsvc's CLI (``user add``), as an operator would create them: see bench/seed.py."""
        self.progress.say(f"{self.name}: creating {self.plan.agents} agents with the CLI")
        await create_agents(env, self.plan.agents, self.plan.capacity)

    async def _connect_agent(self, agent: AgentClient) -> None:
        await agent.connect()
        self._readers.append(asyncio.create_task(self._agent_reader(agent)))

    async def _connect_visitor(self, visitor: int) -> None:
        client = self.visitors[visitor]
        await client.connect()
        self._readers.append(asyncio.create_task(self._visitor_reader(client)))
        # The first message opens the conversation and puts it in the queue; it is not measured.
        ack = await client.send(f"hello, visitor {visitor} here", timeout=ACK_TIMEOUT)
        self.conversations[visitor] = ack.conversation

    async def _wait_assigned(self) -> None:
        """Until every conversation is held by an agent whose socket follows it (it got the history)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ASSIGN_TIMEOUT
        wanted = set(self.conversations)
        while True:
            held = {c for agent in self.agents for c in agent.chats if c in agent.transcripts}
            self.progress.bar(f"{self.name}: assigned", len(wanted & held), len(wanted))
            if wanted <= held:
                break
            if loop.time() > deadline:
                raise RuntimeError(
                    f"{len(wanted - held)} of {len(wanted)} visitors were not assigned within {ASSIGN_TIMEOUT:.0f}s"
                )
            await asyncio.sleep(0.1)
        self.progress.done_bar()

    # --- frames in: the clients' queues, drained as they arrive --------------------------------------

    async def _agent_reader(self, agent: AgentClient) -> None:
        while True:
            frame = await agent.frames.get()
            if (
                isinstance(frame, protocol.Event)
                and frame.kind == "message"
                and frame.author.role == "visitor"
            ):
                key = self.recorder.agent_received(frame.text)
                if key is not None:
                    task = asyncio.create_task(self._reply(agent, frame.conversation, key))
                    self._replies.add(task)
                    task.add_done_callback(self._replies.discard)

    async def _visitor_reader(self, visitor: VisitorClient) -> None:
        while True:
            frame = await visitor.frames.get()
            if (
                isinstance(frame, protocol.Event)
                and frame.kind == "message"
                and frame.author.role != "visitor"
            ):
                self.recorder.visitor_received(frame.text)

    # --- frames out ----------------------------------------------------------------------------------

    async def send(self, visitor: int, k: int) -> None:
        text = make_text(VISITOR_TAG, visitor, k, self.plan.size)
        self.recorder.visitor_sent()
        sent = now_ns()
        if await self._acked(self.visitors[visitor].send(text, timeout=ACK_TIMEOUT), "visitor"):
            self.recorder.acked.add((visitor, k))
            self.recorder.ack_latency(sent)

    async def _reply(self, agent: AgentClient, conversation: str, key: tuple[int, int]) -> None:
        text = make_text(AGENT_TAG, key[0], key[1], self.plan.size)
        self.recorder.replies_sent += 1
        if await self._acked(agent.send(conversation, text, timeout=ACK_TIMEOUT), "agent"):
            self.recorder.replies_acked.add(key)

    async def _acked(self, sending: Awaitable[protocol.Ack], who: str) -> bool:
        try:
            await sending
            return True
        except ServerError as exc:
            self.recorder.error(f"{who} send: server error {exc.code}")
        except TimeoutError:
            self.recorder.error(f"{who} send: no ack within {ACK_TIMEOUT:.0f}s")
        except (Disconnected, ClientClosed) as exc:
            self.recorder.error(f"{who} send: {type(exc).__name__}")
        return False

    # --- finish --------------------------------------------------------------------------------------

    async def finish(self) -> Facts:
        clients: list[BaseClient] = [*self.agents, *self.visitors]
        facts = Facts(
            connections_open=sum(1 for c in clients if c.ws is not None and c.ws.state is State.OPEN),
            connections_expected=len(clients),
            reconnects=sum(max(0, c.connections - 1) for c in clients),
            gaps=sum(c.gaps for c in clients),
            duplicates_dropped=sum(c.duplicates_dropped for c in clients),
        )
        await self._compare_transcripts(facts)
        if self._replies:
            await asyncio.wait(set(self._replies), timeout=5)
        for task in [*self._readers, *self._replies]:
            task.cancel()
        await asyncio.gather(*self._readers, *self._replies, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        if self.server is not None:
            await self.server.stop()
            facts.server_log = self.server.log_problems()
        await self._resources.aclose()
        return facts

    async def _compare_transcripts(self, facts: Facts) -> None:
        """Each conversation as the visitor saw it and as its agent saw it: the same events, same order.
        Replies still in flight may make them differ for a moment, so a difference is re-checked briefly."""
        holder = {c: agent for agent in self.agents for c in agent.chats}

        def differing() -> int:
            count = 0
            for visitor, conversation in zip(self.visitors, self.conversations, strict=True):
                agent = holder.get(conversation)
                theirs = agent.transcripts.get(conversation, []) if agent else []
                mine = visitor.transcripts.get(conversation, [])
                if [(e.seq, e.kind, e.text) for e in mine] != [(e.seq, e.kind, e.text) for e in theirs]:
                    count += 1
            return count

        for _ in range(20):
            facts.transcripts_differing = differing()
            if not facts.transcripts_differing:
                break
            await asyncio.sleep(0.1)
        facts.transcripts_checked = len(self.conversations)
