"""``python -m bench.scale``: the same chatting load on 1 and on 2 ``chatsvc serve`` processes (PostgreSQL + Redis),
beside the reference on 1 and 2 processes (a bare ``websockets`` relay, and the same relay through Redis pub/sub),
all in the same run. Prints messages/s, median and p95 latency, and the scaling ratio (2 processes / 1).

The load: V visitors talking with A agents (each conversation a visitor/agent pair). Closed loop, to find what
the servers can carry: each visitor sends a message, its agent answers it the moment it arrives, and the visitor
sends the next one the moment the answer arrives. A message is timed from its send to the other side's receipt
(the send time travels in its text); chatsvc's acks (send -> ack, i.e. the commit) are timed too. Clients are
spread over the processes round robin, so with 2 processes a visitor and its agent may sit on different ones
(their messages then cross Redis). Every acknowledged message must arrive: a lost one is counted and printed.

This machine has 2 cores and the load generator (one process, one asyncio loop, bare ``websockets`` sockets
speaking chatsvc's protocol) competes with the servers, PostgreSQL and Redis for them; the output says how much
CPU each took. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
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
    open_socket,
    own_cpu,
    raise_fd_limit,
    relay_cluster,
    visitor_message,
)
from bench.procs import cpu_seconds, rss_mib
from bench.progress import Progress
from bench.report import load_average, machine_facts, revision
from bench.stats import percentile, ratio
from bench.system import bounded_gather
from bench.workload import AGENT_TAG, VISITOR_TAG, make_text, now_ns, parse_text

REPLY_TIMEOUT = 30.0  # a visitor waits this long for the answer before counting an error and sending again


@dataclasses.dataclass
class Outcome:
    system: str
    processes: int
    sockets: int
    delivered: int = 0  # messages received in the window, both directions
    window_s: float = 0.0
    latencies_ms: list[float] = dataclasses.field(default_factory=list)  # send -> other side's receipt
    ack_ms: list[float] = dataclasses.field(default_factory=list)  # chatsvc: send -> ack
    acked: set[str] = dataclasses.field(default_factory=set)  # texts' keys acked (chatsvc) or written (relay)
    received: set[str] = dataclasses.field(default_factory=set)
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    server_rss_mib: float = 0.0

    @property
    def msgs_per_s(self) -> float:
        return self.delivered / self.window_s if self.window_s else math.nan

    @property
    def lost(self) -> int:
        return len(self.acked - self.received)

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Load:
    """The closed loop shared by both kinds of system: ``send_visitor(v, text)`` is given by the system, which
    calls ``arrived`` when a message reaches the other side."""

    def __init__(self, outcome: Outcome, visitors: int, size: int) -> None:
        self.outcome = outcome
        self.visitors = visitors
        self.size = size
        self.waiting: list[asyncio.Future[None] | None] = [None] * visitors
        self.measuring = False
        self.window_start = 0
        self.stopping = False

    def arrived(self, text: str | None) -> tuple[int, int, str] | None:
        """A benchmark message reached the other side: time it; returns (visitor, k, tag)."""
        parsed = parse_text(text)
        if parsed is None:
            return None
        tag, visitor, k, sent = parsed
        key = f"{tag}{visitor}.{k}"
        self.outcome.received.add(key)
        if self.measuring and sent >= self.window_start:
            self.outcome.delivered += 1
            self.outcome.latencies_ms.append((now_ns() - sent) / 1e6)
        if tag == AGENT_TAG:
            future = self.waiting[visitor]
            if future is not None and not future.done():
                future.set_result(None)
        return visitor, k, tag

    async def visitor_loop(self, visitor: int, send: Callable[[int, int, str], Any]) -> None:
        loop = asyncio.get_running_loop()
        k = 0
        while not self.stopping:
            future = loop.create_future()
            self.waiting[visitor] = future
            await send(visitor, k, make_text(VISITOR_TAG, visitor, k, self.size))
            try:
                await asyncio.wait_for(future, REPLY_TIMEOUT)
            except TimeoutError:
                self.outcome.error("no answer within 30 s")
            k += 1

    async def run(self, send: Callable[[int, int, str], Any], warmup: float, duration: float,
                  progress: Progress, pids: list[int]) -> None:
        loops = [asyncio.create_task(self.visitor_loop(v, send)) for v in range(self.visitors)]
        try:
            await asyncio.sleep(warmup)
            server0, client0 = sum(cpu_seconds(p) for p in pids), own_cpu()
            self.window_start = now_ns()
            self.measuring = True
            t0 = time.monotonic()
            while time.monotonic() - t0 < duration:
                await asyncio.sleep(min(1.0, duration - (time.monotonic() - t0)))
                progress.bar(f"{self.outcome.system}: load", time.monotonic() - t0, duration,
                             f"{self.outcome.delivered / max(1e-9, time.monotonic() - t0):,.0f} msgs/s", unit="s")
            self.measuring = False
            self.outcome.window_s = time.monotonic() - t0
            self.outcome.server_cpu_s = sum(cpu_seconds(p) for p in pids) - server0
            self.outcome.client_cpu_s = own_cpu() - client0
            self.outcome.server_rss_mib = sum(rss_mib(p) for p in pids)
            progress.done_bar()
            self.stopping = True
            # Every visitor finishes its exchange in flight (the answer arrives, or its timeout passes).
            await asyncio.wait(loops, timeout=REPLY_TIMEOUT + 5)
        finally:
            self.stopping = True
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)


async def settle(outcome: Outcome, seconds: float = 5.0) -> None:
    """Messages still in flight once the load stopped: wait for them before counting losses."""
    deadline = time.monotonic() + seconds
    while outcome.acked - outcome.received and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


# --- chatsvc ----------------------------------------------------------------------------------------------


async def run_chatsvc(args: argparse.Namespace, processes: int, workdir: Path, progress: Progress) -> Outcome:
    name = f"chatsvc, {processes} process{'es' if processes > 1 else ''}"
    outcome = Outcome(name, processes, args.visitors + args.agents)
    load = Load(outcome, args.visitors, args.size)
    capacity = math.ceil(args.visitors / args.agents)
    agents: list[ClientConnection] = []
    visitors: list[ClientConnection] = [None] * args.visitors  # type: ignore[list-item]
    conversations: list[str] = [""] * args.visitors
    holder: dict[str, ClientConnection] = {}
    sent_at: dict[str, tuple[int, str]] = {}  # client id -> (send time, message key)
    readers: list[asyncio.Task[None]] = []

    def acked(frame: dict[str, Any]) -> None:
        noted = sent_at.pop(frame.get("client_id", ""), None)
        if noted is not None:
            outcome.acked.add(noted[1])
            if load.measuring and noted[0] >= load.window_start:
                outcome.ack_ms.append((now_ns() - noted[0]) / 1e6)

    async def agent_reader(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = decode(raw)
                kind = frame.get("type")
                if kind == "event" and frame.get("kind") == "message" and frame["author"]["role"] == "visitor":
                    got = load.arrived(frame.get("text"))
                    if got is not None:  # answered even while stopping: every exchange in flight completes
                        visitor, k, _ = got
                        client_id = uuid.uuid4().hex
                        sent_at[client_id] = (now_ns(), f"{AGENT_TAG}{visitor}.{k}")
                        await ws.send(agent_message(frame["conversation"], client_id,
                                                    make_text(AGENT_TAG, visitor, k, args.size)))
                elif kind == "ack":
                    acked(frame)
                elif kind == "chat" and frame.get("mine"):
                    holder[frame["conversation"]["id"]] = ws
                elif kind == "error":
                    outcome.error(f"agent: {frame.get('code')}")

    async def visitor_reader(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = decode(raw)
                kind = frame.get("type")
                if kind == "event" and frame.get("kind") == "message" and frame["author"]["role"] != "visitor":
                    load.arrived(frame.get("text"))
                elif kind == "ack":
                    acked(frame)
                elif kind == "error":
                    outcome.error(f"visitor: {frame.get('code')}")

    async with chatsvc_cluster(processes, workdir, progress, agents=args.agents, capacity=capacity) as cluster:
        async with httpx.AsyncClient(timeout=30) as http:

            async def connect_agent(agent: int) -> None:
                url = cluster.url_for(agent)
                ws, _ = await open_agent(url, await agent_token(http, url, agent))
                agents.append(ws)
                readers.append(asyncio.create_task(agent_reader(ws)))

            async def connect_visitor(visitor: int) -> None:
                ws, conversations[visitor] = await open_chatting_visitor(http, cluster.url_for(visitor), visitor)
                visitors[visitor] = ws
                readers.append(asyncio.create_task(visitor_reader(ws)))

            await bounded_gather(list(range(args.agents)), connect_agent, 10, progress, f"{name}: agents")
            await bounded_gather(list(range(args.visitors)), connect_visitor, 20, progress, f"{name}: visitors")
        deadline = time.monotonic() + 60
        while not set(conversations) <= holder.keys():
            progress.bar(f"{name}: assigned", len(set(conversations) & holder.keys()), len(conversations))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(set(conversations) - holder.keys())} conversations not assigned in 60 s")
            await asyncio.sleep(0.1)
        progress.done_bar()
        crossing = sum(1 for v, c in enumerate(conversations) if agents.index(holder[c]) % processes
                       != v % processes)
        progress.say(f"{name}: {args.visitors} conversations assigned; {crossing} with visitor and agent on "
                     "different processes")

        async def send(visitor: int, k: int, text: str) -> None:
            client_id = uuid.uuid4().hex
            sent_at[client_id] = (now_ns(), f"{VISITOR_TAG}{visitor}.{k}")
            try:
                await visitors[visitor].send(visitor_message(client_id, text))
            except ConnectionClosed:
                outcome.error("visitor socket closed")

        await load.run(send, args.warmup, args.duration, progress, cluster.pids)
        await settle(outcome)
        # Sent but never acked: the load's end cut them off, or the server failed them (counted as errors).
        outcome.errors.update({"sent, never acked": len(sent_at)} if sent_at else {})
        for task in readers:
            task.cancel()
        await close_all([*agents, *visitors])
        await asyncio.gather(*readers, return_exceptions=True)
        problems = [line for s in cluster.servers for line in s.log_problems()]
    if problems:
        progress.say(f"{name}: {len(problems)} server log lines at WARNING or above, e.g. {problems[0][:200]}")
    return outcome


# --- the reference ----------------------------------------------------------------------------------------


async def run_relay(args: argparse.Namespace, processes: int, via_redis: bool, workdir: Path,
                    progress: Progress) -> Outcome:
    name = (f"relay through Redis, {processes} process{'es' if processes > 1 else ''}" if via_redis
            else "bare relay, 1 process")
    outcome = Outcome(name, processes, args.visitors + args.agents)
    load = Load(outcome, args.visitors, args.size)
    agents: list[ClientConnection] = []
    visitors: list[ClientConnection] = [None] * args.visitors  # type: ignore[list-item]
    readers: list[asyncio.Task[None]] = []

    async def agent_reader(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                pair, _, text = str(raw).partition("|")
                got = load.arrived(text)
                if got is not None:
                    visitor, k, _ = got
                    outcome.acked.add(f"{AGENT_TAG}{visitor}.{k}")  # no acks: written is the relay's "acked"
                    await ws.send(f"{pair}|{make_text(AGENT_TAG, visitor, k, args.size)}")

    async def visitor_reader(ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                load.arrived(str(raw))

    async with relay_cluster(processes, workdir, progress, via_redis=via_redis) as (urls, pids):

        async def connect_agent(agent: int) -> None:
            ws = await open_socket(urls[agent % processes])
            await ws.send(json.dumps({"role": "agent",
                                      "pairs": [f"p{v}" for v in range(agent, args.visitors, args.agents)]}))
            if via_redis and await asyncio.wait_for(ws.recv(), 30) != "ready":
                raise RuntimeError("the relay did not take an agent")
            agents.append(ws)
            readers.append(asyncio.create_task(agent_reader(ws)))

        async def connect_visitor(visitor: int) -> None:
            ws = await open_socket(urls[visitor % processes])
            await ws.send(json.dumps({"role": "visitor", "pair": f"p{visitor}"}))
            if await asyncio.wait_for(ws.recv(), 30) != "ready":
                raise RuntimeError("the relay did not pair a visitor")
            visitors[visitor] = ws
            readers.append(asyncio.create_task(visitor_reader(ws)))

        await bounded_gather(list(range(args.agents)), connect_agent, 10, progress, f"{name}: agents")
        await bounded_gather(list(range(args.visitors)), connect_visitor, 20, progress, f"{name}: visitors")

        async def send(visitor: int, k: int, text: str) -> None:
            try:
                await visitors[visitor].send(text)
                outcome.acked.add(f"{VISITOR_TAG}{visitor}.{k}")
            except ConnectionClosed:
                outcome.error("visitor socket closed")

        await load.run(send, args.warmup, args.duration, progress, pids)
        await settle(outcome)
        for task in readers:
            task.cancel()
        await close_all([*agents, *visitors])
        await asyncio.gather(*readers, return_exceptions=True)
    return outcome


# --- the table --------------------------------------------------------------------------------------------


CORES_NOTE = (
    "2 cores: the load generator (this process, one asyncio loop) competes with the servers, PostgreSQL and Redis "
    "for them, so 2 processes cannot reach 2x here; the CPU columns (% of one core) say who used what."
)
TABLE_HEAD = (
    "| system | procs | msgs/s | p50 ms | p95 ms | ack p50 ms | ack p95 ms | server CPU % | client CPU % "
    "| server MiB | lost | errors |"
)


def render(outcomes: list[Outcome], args: argparse.Namespace, load_before: float) -> str:
    lines = [
        f"bench.scale at {revision()}: {args.visitors} visitors talking with {args.agents} agents, closed loop"
        + f" (the next message once the answer arrived), {args.warmup:g} s warm-up, {args.duration:g} s measured",
        machine_facts(),
        f"load average before: {load_before:.1f}; after: {load_average():.1f}",
        CORES_NOTE,
        "",
        TABLE_HEAD,
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        errors = sum(o.errors.values())
        ack50 = f"{percentile(o.ack_ms, 50):.1f}" if o.ack_ms else "-"
        ack95 = f"{percentile(o.ack_ms, 95):.1f}" if o.ack_ms else "-"
        lines.append(
            f"| {o.system} | {o.processes} | {o.msgs_per_s:,.0f} | {o.p(50):.1f} | {o.p(95):.1f} | {ack50} | "
            f"{ack95} | {100 * o.server_cpu_s / o.window_s:.0f} | {100 * o.client_cpu_s / o.window_s:.0f} | "
            f"{o.server_rss_mib:.0f} | {o.lost} | {errors} |"
        )
    by = {o.system: o for o in outcomes}
    lines.append("")
    for label, one, two in (
        ("chatsvc", "chatsvc, 1 process", "chatsvc, 2 processes"),
        ("reference (relay through Redis)", "relay through Redis, 1 process", "relay through Redis, 2 processes"),
    ):
        if one in by and two in by:
            a, b = by[one], by[two]
            lines.append(
                f"scaling, {label}: 2 processes / 1 = {ratio(b.msgs_per_s, a.msgs_per_s):.2f}x msgs/s, "
                f"p50 {ratio(b.p(50), a.p(50)):.2f}x, p95 {ratio(b.p(95), a.p(95)):.2f}x"
            )
    if "chatsvc, 1 process" in by and "relay through Redis, 1 process" in by:
        a, r = by["chatsvc, 1 process"], by["relay through Redis, 1 process"]
        lines.append(f"chatsvc / reference, 1 process: {ratio(a.msgs_per_s, r.msgs_per_s):.2f}x msgs/s, "
                     f"p50 {ratio(a.p(50), r.p(50)):.1f}x")
    for o in outcomes:
        if o.errors:
            lines.append(f"{o.system}: errors {o.errors}")
    lines.append(f"command: .venv/bin/python -m bench.scale {' '.join(sys.argv[1:])}".rstrip())
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=200, help="conversations (default 200)")
    parser.add_argument("--agents", type=int, default=20, help="agents (default 20; chats each: visitors/agents)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per system (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (default 3)")
    parser.add_argument("--size", type=int, default=80, help="characters per message (default 80)")
    parser.add_argument("--only", default="", help="comma-separated subset: bare, relay1, relay2, chatsvc1, "
                        "chatsvc2 (default all; a subset is for investigating, not for quoting)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (server logs)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.visitors < 1 or args.agents < 1 or args.visitors < args.agents or args.duration <= 0:
        parser.error("--visitors >= --agents >= 1 and --duration > 0")
    return args


async def main(args: argparse.Namespace) -> int:
    raise_fd_limit()
    progress = Progress(quiet=args.quiet)
    load_before = load_average()
    chosen = set(filter(None, args.only.split(","))) or {"bare", "relay1", "relay2", "chatsvc1", "chatsvc2"}
    workroot = Path(tempfile.mkdtemp(prefix="chatsvc-scale-"))
    outcomes: list[Outcome] = []
    try:
        runs: list[tuple[str, Callable[[Path], Any]]] = [
            ("bare", lambda d: run_relay(args, 1, False, d, progress)),
            ("relay1", lambda d: run_relay(args, 1, True, d, progress)),
            ("relay2", lambda d: run_relay(args, 2, True, d, progress)),
            ("chatsvc1", lambda d: run_chatsvc(args, 1, d, progress)),
            ("chatsvc2", lambda d: run_chatsvc(args, 2, d, progress)),
        ]
        for key, run in runs:
            if key in chosen:
                workdir = workroot / key
                workdir.mkdir()
                outcome = await run(workdir)
                progress.say(f"{outcome.system}: {outcome.msgs_per_s:,.0f} msgs/s, p50 {outcome.p(50):.1f} ms, "
                             f"p95 {outcome.p(95):.1f} ms, lost {outcome.lost}, errors {outcome.errors}")
                outcomes.append(outcome)
    finally:
        if args.keep:
            progress.say(f"server logs kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    print(render(outcomes, args, load_before))
    return 1 if any(o.lost for o in outcomes) else 0


if __name__ == "__main__":
    try:
        raise SystemExit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, RuntimeError) as exc:
        print(f"bench.scale: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
