"""``python -m bench.load``: chatsvc under a steady chat load, beside a bare WebSocket relay in the same run.

Both servers run as child processes; every client runs here, in one asyncio loop. Each run: start the server,
connect the visitors and agents, pair every visitor with an agent, send the same paced messages, measure
delivery latency on the receiving client, check nothing was lost, stop. Progress goes to stderr, the table to
stdout. See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.chatsvc_system import Backend, ChatsvcSystem
from bench.procs import cpu_seconds, rss_mib
from bench.progress import Progress
from bench.relay_system import RelaySystem
from bench.report import (
    RunResult,
    Usage,
    combine,
    command_line,
    load_average,
    render,
    result_of,
    timeline,
)
from bench.system import System
from bench.workload import Plan, Recorder, pace

# Defaults: a steady load under the knee of chatsvc on SQLite on 2 cores, so the figures describe a healthy
# server rather than a growing backlog. Measured: at 0.25 msg/s per visitor (50/s offered) p99 stays near
# 40 ms run after run; at 0.5 (100/s) one-second bursts of 120 already queue for hundreds of ms and p99 swings
# from 0.1 to 1 s between runs. Real visitors type a line every 10-30 s; one every 4 s is already a busy chat.
DEFAULTS = {"visitors": 200, "agents": 20, "rate": 0.25, "duration": 30.0, "drain": 10.0}
QUICK = {"visitors": 50, "agents": 5, "rate": 1.0, "duration": 5.0, "drain": 5.0}  # a smoke test, about 20 s


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="chatsvc under a steady chat load, beside a bare WebSocket relay measured in the same run.",
    )
    parser.add_argument("--visitors", "-V", type=int, help="visitor sockets (default 200; quick 50)")
    parser.add_argument("--agents", "-A", type=int, help="agent sockets (default 20; quick 5)")
    parser.add_argument(
        "--capacity",
        type=int,
        default=None,
        help="chats per agent (default: just enough for every visitor, ceil(V/A))",
    )
    parser.add_argument("--rate", type=float, help="messages per second per visitor (default 0.25; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds of load (default 30; quick 5)")
    parser.add_argument(
        "--messages",
        type=int,
        default=None,
        help="messages per visitor (default: rate x duration); overrides --duration",
    )
    parser.add_argument(
        "--reply-every",
        type=int,
        default=4,
        help="agents answer every Nth message of each visitor (0: never; default 4)",
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.3,
        help="each send moves by up to this fraction of the interval (0-0.5; default 0.3)",
    )
    parser.add_argument("--size", type=int, default=80, help="characters per message (default 80)")
    parser.add_argument(
        "--drain",
        type=float,
        help="seconds to wait for messages in flight after the last send (default 10; quick 5)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per system; the median is quoted (default 1)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the send schedule (the same for every system)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test of about 20 s: 50 visitors, 5 agents, 1 msg/s for 5 s",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="also measure chatsvc on PostgreSQL: a server URL (postgresql://user@host/db) on "
        "which a throw-away database is created and dropped",
    )
    parser.add_argument(
        "--redis-url", default="", help="with --database-url: Redis for fan-out (redis://host)"
    )
    parser.add_argument(
        "--no-relay",
        action="store_true",
        help="skip the reference (to investigate chatsvc alone; such figures are not to be quoted)",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="print each run's latency second by second on stderr"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (server logs, SQLite file)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:  # a flag given explicitly wins over --quick
            setattr(args, name, value)
    if (
        min(
            args.rate, args.repeat, args.visitors, args.agents, _or_one(args.messages), _or_one(args.capacity)
        )
        <= 0
    ):
        parser.error("--rate, --repeat, --visitors, --agents, --messages and --capacity must be positive")
    if not 1 <= args.size <= 4000:
        parser.error("--size must be within 1-4000 characters (chatsvc's longest message)")
    if args.capacity is None:
        args.capacity = math.ceil(args.visitors / args.agents)
    if args.agents * args.capacity < args.visitors:
        parser.error(
            "agents x capacity must be at least the number of visitors, or some would wait in the queue"
        )
    if not 0 <= args.jitter < 0.5:
        parser.error("--jitter must be in [0, 0.5): more would let a visitor's messages swap order")
    if args.redis_url and not args.database_url:
        parser.error(
            "--redis-url goes with --database-url (the Redis broker serves several processes on one "
            "shared database)"
        )
    return args


def _or_one(value: int | None) -> int:
    return 1 if value is None else value


def plan_of(args: argparse.Namespace) -> Plan:
    messages = args.messages if args.messages is not None else max(1, round(args.rate * args.duration))
    return Plan(
        visitors=args.visitors,
        agents=args.agents,
        capacity=args.capacity,
        rate=args.rate,
        messages=messages,
        reply_every=args.reply_every,
        jitter=args.jitter,
        size=args.size,
        seed=args.seed,
        drain=args.drain,
    )


def backends_of(args: argparse.Namespace) -> list[Backend]:
    backends = [Backend("sqlite+memory")]
    if args.database_url:
        name = "postgres+redis" if args.redis_url else "postgres+memory"
        backends.append(Backend(name, database_url=args.database_url, redis_url=args.redis_url))
    return backends


MakeSystem = Callable[[Recorder, Path], System]


def system_makers(args: argparse.Namespace, plan: Plan, progress: Progress) -> list[MakeSystem]:
    """The reference first, then chatsvc on each backend asked for."""
    makers: list[MakeSystem] = []
    if not args.no_relay:
        makers.append(functools.partial(RelaySystem, plan, progress=progress))
    for backend in backends_of(args):
        makers.append(functools.partial(ChatsvcSystem, backend, plan, progress=progress))
    return makers


async def run_once(
    system: System, plan: Plan, recorder: Recorder, progress: Progress, show_timeline: bool
) -> RunResult:
    try:
        await system.start()
        assert system.server is not None
        server_pid = system.server.pid
        progress.say(
            f"{system.name}: {plan.visitors + plan.agents} sockets paired; {plan.duration:.0f} s of load"
        )
        wall0, server0, client0 = time.monotonic(), cpu_seconds(server_pid), _own_cpu()
        await pace(plan, recorder, system.send, progress, f"{system.name}: load")
        usage = Usage(
            wall_s=time.monotonic() - wall0,
            server_cpu_s=cpu_seconds(server_pid) - server0,
            client_cpu_s=_own_cpu() - client0,
            server_rss_mib=rss_mib(server_pid),
        )
    except BaseException:
        await system.finish()
        raise
    facts = await system.finish()
    result = result_of(system.name, recorder, facts, usage)
    progress.say(
        f"{system.name}: {result.msgs_per_s:,.0f} msgs/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"lost {result.lost}, errors {result.error_count}"
    )
    if show_timeline:
        progress.say(timeline(system.name, recorder))
    return result


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(args: argparse.Namespace) -> int:
    plan = plan_of(args)
    progress = Progress(quiet=args.quiet)
    runs: dict[str, list[RunResult]] = {}
    load_before = load_average()
    workroot = Path(tempfile.mkdtemp(prefix="chatsvc-bench-"))
    progress.say(
        f"plan: {plan.visitors} visitors, {plan.agents} agents x {plan.capacity} chats, {plan.rate:g} msg/s each "
        f"for {plan.duration:.0f} s ({plan.offered_rate:,.0f} msg/s offered), {args.repeat} run(s) per system"
    )
    try:
        for attempt in range(args.repeat):
            # Every repeat runs every system, so a slow patch of the machine hits them alike.
            for index, make in enumerate(system_makers(args, plan, progress)):
                workdir = workroot / f"run{attempt + 1}-{index}"
                workdir.mkdir()
                recorder = Recorder(plan)
                system = make(recorder, workdir)
                progress.say(f"run {attempt + 1}/{args.repeat}: {system.name}")
                result = await run_once(system, plan, recorder, progress, args.timeline)
                runs.setdefault(result.system, []).append(result)
    finally:
        if args.keep:
            progress.say(f"logs and databases kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    results = [combine(group) for group in runs.values()]
    reference = None if args.no_relay else results[0]
    print(render(plan, results, reference, args.repeat, command_line(), load_before))
    # Non-zero when a message went missing or failed, so a script (or CI) running the benchmark notices.
    broken = any(r.lost or r.duplicates or r.replies_lost or r.error_count for r in results)
    return 1 if broken else 0


if __name__ == "__main__":
    try:
        raise SystemExit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, RuntimeError) as exc:  # a server that would not start, a database out of reach
        print(f"bench.load: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
