"""``python -m bench.soak``: a bounded soak of 2 ``chatsvc serve`` processes on PostgreSQL + Redis with thousands of
sockets: idle visitors plus a few hundred steadily chatting pairs. Every 30 s it prints each process's RSS, the
messages delivered and the window's median and p99 latency; at the end, RSS growth, latency drift, errors and lost
messages (every acknowledged message must have been received: lost must be 0).

The load (defaults): 2,000 idle visitors (authenticated, no conversation; each tells the server its page once a
minute, as the widget does on navigation) and 200 visitors chatting with 20 agents, each visitor sending a message
every 4 s (+/-30 %, open loop: a send never waits for the previous ack) and its agent answering every second one
the moment it arrives. Every socket is spread over the two processes round robin. A message is timed from its
send to the other side's receipt (its send time travels in its text).

Bounded: ``--minutes`` (default 3) of load, then a drain of at most 15 s, then every socket is closed, both
servers stopped, the database dropped and the Redis keys deleted. The generator is this one process, one asyncio
loop, sharing the 2 cores with the servers, PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.cluster import (
    agent_message,
    agent_token,
    chatsvc_cluster,
    close_all,
    decode,
    open_agent,
    open_chatting_visitor,
    open_visitor_retrying,
    own_cpu,
    raise_fd_limit,
    visitor_message,
    visitor_token,
)
from bench.procs import cpu_seconds, rss_mib
from bench.progress import Progress
from bench.report import load_average, machine_facts, revision
from bench.stats import percentile
from bench.system import bounded_gather
from bench.workload import AGENT_TAG, VISITOR_TAG, make_text, now_ns, parse_text
from chatsvc.domain import protocol

DRAIN_S = 15.0


@dataclasses.dataclass
class Window:
    at_s: float
    rss_mib: list[float]
    delivered: int
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_pct: float
    client_cpu_pct: float


@dataclasses.dataclass
class Soak:
    sent_at: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)  # client id -> (t, key)
    acked: set[str] = dataclasses.field(default_factory=set)
    received: set[str] = dataclasses.field(default_factory=set)
    duplicates: int = 0
    window_ms: list[float] = dataclasses.field(default_factory=list)
    delivered_total: int = 0
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    closed_sockets: int = 0
    stopping: bool = False

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def arrived(self, text: str | None) -> tuple[int, int, str] | None:
        parsed = parse_text(text)
        if parsed is None:
            return None
        tag, visitor, k, sent = parsed
        key = f"{tag}{visitor}.{k}"
        if key in self.received:
            self.duplicates += 1
            return None
        self.received.add(key)
        self.delivered_total += 1
        self.window_ms.append((now_ns() - sent) / 1e6)
        return visitor, k, tag

    def acked_frame(self, frame: dict[str, Any]) -> None:
        noted = self.sent_at.pop(frame.get("client_id", ""), None)
        if noted is not None:
            self.acked.add(noted[1])

    @property
    def lost(self) -> int:
        return len(self.acked - self.received)


async def main(args: argparse.Namespace) -> int:
    fds = raise_fd_limit()
    progress = Progress(quiet=args.quiet)
    load_before = load_average()
    workroot = Path(tempfile.mkdtemp(prefix="chatsvc-soak-"))
    soak = Soak()
    windows: list[Window] = []
    capacity = math.ceil(args.chatting / args.agents)
    print(f"bench.soak at {revision()}: 2 chatsvc processes on PostgreSQL + Redis; {args.idle:,} idle visitors "
          f"(a page frame each per minute), {args.chatting} visitors chatting with {args.agents} agents "
          f"({1 / args.rate:g} s between a visitor's messages, answered every {args.reply_every}), "
          f"{args.minutes:g} minutes", flush=True)
    print(machine_facts(), flush=True)
    print(f"load average before: {load_before:.1f}; open-files limit {fds:,}", flush=True)
    try:
        async with chatsvc_cluster(2, workroot, progress, agents=args.agents, capacity=capacity) as cluster:
            code = await soak_on(cluster, args, soak, windows, progress)
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    print(summary(soak, windows, args), flush=True)
    return code or (1 if soak.lost or soak.duplicates else 0)


async def soak_on(cluster: Any, args: argparse.Namespace, soak: Soak, windows: list[Window],
                  progress: Progress) -> int:
    agents: list[ClientConnection] = []
    chatting: list[ClientConnection] = [None] * args.chatting  # type: ignore[list-item]
    idle: list[ClientConnection] = []
    conversations: list[str] = [""] * args.chatting
    holder: dict[str, ClientConnection] = {}
    tasks: list[asyncio.Task[None]] = []
    retries: list[str] = []  # idle visitors' handshakes tried again

    async def agent_reader(ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = decode(raw)
                kind = frame.get("type")
                if kind == "event" and frame.get("kind") == "message" and frame["author"]["role"] == "visitor":
                    got = soak.arrived(frame.get("text"))
                    if got is not None and (got[1] + 1) % args.reply_every == 0:
                        visitor, k, _ = got
                        client_id = uuid.uuid4().hex
                        soak.sent_at[client_id] = (now_ns(), f"{AGENT_TAG}{visitor}.{k}")
                        await ws.send(agent_message(frame["conversation"], client_id,
                                                    make_text(AGENT_TAG, visitor, k, 80)))
                elif kind == "ack":
                    soak.acked_frame(frame)
                elif kind == "chat" and frame.get("mine"):
                    holder[frame["conversation"]["id"]] = ws
                elif kind == "error":
                    soak.error(f"agent: {frame.get('code')}")
        except ConnectionClosed:
            pass
        if not soak.stopping:
            soak.error("agent socket closed by the server")

    async def visitor_reader(ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = decode(raw)
                kind = frame.get("type")
                if kind == "event" and frame.get("kind") == "message" and frame["author"]["role"] != "visitor":
                    soak.arrived(frame.get("text"))
                elif kind == "ack":
                    soak.acked_frame(frame)
                elif kind == "error":
                    soak.error(f"visitor: {frame.get('code')}")
        except ConnectionClosed:
            pass
        if not soak.stopping:
            soak.error("visitor socket closed by the server")

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as http:

        async def connect_agent(agent: int) -> None:
            url = cluster.url_for(agent)
            ws, _ = await open_agent(url, await agent_token(http, url, agent))
            agents.append(ws)
            tasks.append(asyncio.create_task(agent_reader(ws)))

        async def connect_chatting(visitor: int) -> None:
            ws, conversations[visitor] = await open_chatting_visitor(http, cluster.url_for(visitor), visitor)
            chatting[visitor] = ws
            tasks.append(asyncio.create_task(visitor_reader(ws)))

        async def connect_idle(visitor: int) -> None:
            url = cluster.url_for(visitor)
            ws = await open_visitor_retrying(url, await visitor_token(http, url), retries)
            idle.append(ws)
            tasks.append(asyncio.create_task(visitor_reader(ws)))

        await bounded_gather(list(range(args.agents)), connect_agent, 10, progress, "agents")
        await bounded_gather(list(range(args.chatting)), connect_chatting, 20, progress, "chatting visitors")
        await bounded_gather(list(range(args.idle)), connect_idle, 20, progress, "idle visitors")
    if retries:
        soak.errors["idle handshakes retried"] = len(retries)
        progress.say(f"{len(retries)} idle handshakes retried, e.g. {retries[0]}")
    deadline = time.monotonic() + 60
    while not set(conversations) <= holder.keys():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(set(conversations) - holder.keys())} conversations not assigned in 60 s")
        await asyncio.sleep(0.1)
    progress.say(f"{len(agents) + len(idle) + args.chatting:,} sockets open; every conversation assigned")

    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    end = start + args.minutes * 60
    interval = 1.0 / args.rate

    async def pacer(visitor: int) -> None:
        rng = random.Random(visitor)
        due = start + rng.uniform(0, interval)
        k = 0
        while due < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            client_id = uuid.uuid4().hex
            soak.sent_at[client_id] = (now_ns(), f"{VISITOR_TAG}{visitor}.{k}")
            try:
                await chatting[visitor].send(visitor_message(client_id, make_text(VISITOR_TAG, visitor, k, 80)))
            except ConnectionClosed:
                soak.error("visitor send: socket closed")
            k += 1
            due += interval * rng.uniform(0.7, 1.3)

    async def pager(index: int) -> None:
        rng = random.Random(-1 - index)
        due = start + rng.uniform(0, 60)
        while due < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            with contextlib.suppress(ConnectionClosed):
                await idle[index].send(protocol.encode(protocol.VisitorPage(
                    url=f"https://shop.example/p/{rng.randrange(1000)}", title="A product")).decode())
            due += 60

    pids = cluster.pids
    senders = [asyncio.create_task(pacer(v)) for v in range(args.chatting)]
    senders += [asyncio.create_task(pager(i)) for i in range(len(idle))]
    print(flush=True)
    print("| at s | RSS MiB per process | delivered (window / total) | p50 ms | p99 ms | errors | server CPU % "
          "| client CPU % |", flush=True)
    print("|---|---|---|---|---|---|---|---|", flush=True)
    try:
        last_total, t_prev = 0, loop.time()
        cpu_prev, own_prev = sum(cpu_seconds(p) for p in pids), own_cpu()
        soak.window_ms = []
        while end - loop.time() > 1.0:  # no sliver of a window at the end
            await asyncio.sleep(min(args.every, max(0.0, end - loop.time())))
            now = loop.time()
            cpu_now, own_now = sum(cpu_seconds(p) for p in pids), own_cpu()
            span = max(1e-9, now - t_prev)
            window = Window(
                at_s=now - start,
                rss_mib=[rss_mib(p) for p in pids],
                delivered=soak.delivered_total - last_total,
                p50_ms=percentile(soak.window_ms, 50),
                p99_ms=percentile(soak.window_ms, 99),
                errors=sum(soak.errors.values()),
                server_cpu_pct=100 * (cpu_now - cpu_prev) / span,
                client_cpu_pct=100 * (own_now - own_prev) / span,
            )
            windows.append(window)
            print(f"| {window.at_s:.0f} | {' / '.join(f'{r:.0f}' for r in window.rss_mib)} | "
                  f"{window.delivered:,} / {soak.delivered_total:,} | {window.p50_ms:.1f} | {window.p99_ms:.1f} | "
                  f"{window.errors} | {window.server_cpu_pct:.0f} | {window.client_cpu_pct:.0f} |", flush=True)
            soak.window_ms = []
            last_total, t_prev, cpu_prev, own_prev = soak.delivered_total, now, cpu_now, own_now
        await asyncio.gather(*senders, return_exceptions=True)
        deadline = loop.time() + DRAIN_S
        while (soak.sent_at or soak.acked - soak.received) and loop.time() < deadline:
            await asyncio.sleep(0.1)
    finally:
        soak.stopping = True
        for task in senders:
            task.cancel()
        await close_all([*agents, *chatting, *idle])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*senders, *tasks, return_exceptions=True)
    if soak.sent_at:
        soak.errors["sent, never acked"] = len(soak.sent_at)
    problems = [line for server in cluster.servers for line in server.log_problems()]
    if problems:
        soak.errors["server log lines at WARNING or above"] = len(problems)
        progress.say(f"server log, e.g.: {problems[0][:300]}")
    return 0


def summary(soak: Soak, windows: list[Window], args: argparse.Namespace) -> str:
    lines = [""]
    if windows:
        first, last = windows[0], windows[-1]
        growth = " / ".join(f"{b - a:+.1f}" for a, b in zip(first.rss_mib, last.rss_mib, strict=True))
        lines.append(f"RSS growth per process, first window to last: {growth} MiB "
                     f"({' / '.join(f'{r:.0f}' for r in first.rss_mib)} -> "
                     f"{' / '.join(f'{r:.0f}' for r in last.rss_mib)})")
        lines.append(f"latency drift, first window to last: p50 {first.p50_ms:.1f} -> {last.p50_ms:.1f} ms, "
                     f"p99 {first.p99_ms:.1f} -> {last.p99_ms:.1f} ms")
    lines.append(f"messages: {len(soak.acked):,} acknowledged, {soak.delivered_total:,} delivered, "
                 f"lost {soak.lost} (acknowledged, never received), duplicates {soak.duplicates}")
    lines.append(f"errors: {sum(soak.errors.values())} {soak.errors if soak.errors else ''}".rstrip())
    lines.append(f"load average after: {load_average():.1f}")
    lines.append(f"command: .venv/bin/python -m bench.soak {' '.join(sys.argv[1:])}".rstrip())
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="minutes of load (default 3)")
    parser.add_argument("--idle", type=int, default=2000, help="idle visitor sockets (default 2,000)")
    parser.add_argument("--chatting", type=int, default=200, help="chatting visitors (default 200)")
    parser.add_argument("--agents", type=int, default=20, help="agents (default 20)")
    parser.add_argument("--rate", type=float, default=0.25, help="messages per second per chatting visitor "
                        "(default 0.25)")
    parser.add_argument("--reply-every", type=int, default=2, help="agents answer every Nth message (default 2)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between printed lines (default 30)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 120 or args.agents < 1 or args.chatting < args.agents or args.rate <= 0:
        parser.error("--minutes in (0, 120], --chatting >= --agents >= 1, --rate > 0")
    if args.idle < 0 or args.reply_every < 1:
        parser.error("--idle >= 0 and --reply-every >= 1")
    return args


if __name__ == "__main__":
    try:
        raise SystemExit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, RuntimeError) as exc:
        print(f"bench.soak: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
