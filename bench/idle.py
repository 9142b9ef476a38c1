"""``python -m bench.idle``: what an idle visitor socket costs ``chatsvc serve`` in memory, beside a bare
``websockets`` server holding the same number of idle sockets, in the same run.

Per server: start it, warm it up (a few sockets opened and closed, so lazily built code paths are in the baseline),
read its RSS (``VmRSS`` in ``/proc/PID/status``), open N sockets (default 10,000), each authenticated (chatsvc: a
visitor token from ``POST /api/visitor/session``, then ``hello`` and its ``welcome``; the reference: a first frame
it keeps, as ``bench.relay`` does), wait for the server to settle, read its RSS again: (after - before) / N is the
cost of one connection. Then close them all and read it once more (what the server gives back).

chatsvc runs alone on a SQLite file with the in-process broker (``--postgres``: on PostgreSQL + Redis), with the
per-address connection cap raised (every socket comes from 127.0.0.1). All clients live in this one process, one
asyncio loop, with its open-files limit raised to the hard limit (the servers inherit it).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection

from bench.cluster import (
    chatsvc_cluster,
    close_all,
    open_socket,
    open_visitor,
    raise_fd_limit,
    relay_cluster,
    visitor_token,
)
from bench.procs import rss_mib
from bench.progress import Progress
from bench.report import load_average, machine_facts, revision
from bench.stats import ratio
from bench.system import bounded_gather

WARMUP_SOCKETS = 50
SETTLE_S = 5.0


@dataclasses.dataclass
class Held:
    system: str
    sockets: int = 0
    before_mib: float = 0.0
    after_mib: float = 0.0
    closed_mib: float = 0.0
    open_s: float = 0.0

    @property
    def bytes_per_socket(self) -> float:
        return (self.after_mib - self.before_mib) * 1024 * 1024 / self.sockets if self.sockets else float("nan")


async def steady_rss(pid: int, seconds: float = SETTLE_S) -> float:
    """RSS once it stops moving (at most ``seconds``): the last of readings 0.5 s apart."""
    await asyncio.sleep(1.0)
    last = rss_mib(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = rss_mib(pid)
        if abs(now - last) < 0.05:
            return now
        last = now
    return last


async def hold(held: Held, pid: int, count: int, open_one: Callable[[int], Awaitable[ClientConnection]],
               progress: Progress, concurrency: int) -> None:
    sockets: list[ClientConnection] = []

    async def add(index: int) -> None:
        sockets.append(await open_one(index))

    warm: list[ClientConnection] = []
    for index in range(WARMUP_SOCKETS):
        warm.append(await open_one(-1 - index))
    await close_all(warm)
    held.before_mib = await steady_rss(pid)
    progress.say(f"{held.system}: RSS {held.before_mib:.1f} MiB before; opening {count:,} sockets")
    t0 = time.monotonic()
    try:
        await bounded_gather(list(range(count)), add, concurrency, progress, f"{held.system}: sockets")
        held.open_s = time.monotonic() - t0
        held.sockets = len(sockets)
        held.after_mib = await steady_rss(pid)
        progress.say(f"{held.system}: RSS {held.after_mib:.1f} MiB with {held.sockets:,} sockets open "
                     f"({held.bytes_per_socket / 1024:.1f} KiB each)")
    finally:
        await close_all(sockets)
    held.closed_mib = await steady_rss(pid)


async def run_chatsvc(args: argparse.Namespace, workdir: Path, progress: Progress) -> Held:
    backend = "PostgreSQL + Redis" if args.postgres else "SQLite + in-process broker"
    held = Held(f"chatsvc serve ({backend})")
    async with chatsvc_cluster(1, workdir, progress, postgres=args.postgres) as cluster:
        url = cluster.urls[0]
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as http:
            tokens: list[str] = []

            async def token(_: int) -> None:
                tokens.append(await visitor_token(http, url))

            await bounded_gather(list(range(args.sockets + WARMUP_SOCKETS)), token, 50, progress,
                          f"{held.system}: visitor tokens")

        async def open_one(index: int) -> ClientConnection:
            ws, _ = await open_visitor(url, tokens[index])  # the warm-up sockets take the last tokens
            return ws

        await hold(held, cluster.pids[0], args.sockets, open_one, progress, args.concurrency)
    return held


async def run_reference(args: argparse.Namespace, workdir: Path, progress: Progress) -> Held:
    held = Held("bare websockets server (bench.relay)")
    async with relay_cluster(1, workdir, progress, via_redis=False) as (urls, pids):

        async def open_one(index: int) -> ClientConnection:
            ws = await open_socket(urls[0])
            # A first frame the server parses and keeps (its pair), as chatsvc's hello is parsed and kept.
            await ws.send(json.dumps({"role": "visitor", "pair": f"p{index}"}))
            return ws

        await hold(held, pids[0], args.sockets, open_one, progress, args.concurrency)
    return held


def render(results: list[Held], args: argparse.Namespace, load_before: float, fds: int) -> str:
    lines = [
        (f"bench.idle at {revision()}: {args.sockets:,} idle sockets held by one server process; RSS from "
        "/proc/PID/status (VmRSS), after a warm-up of "
        f"{WARMUP_SOCKETS} sockets"),
        machine_facts(),
        f"load average before: {load_before:.1f}; after: {load_average():.1f}; open-files limit {fds:,}",
        "",
        "| server | sockets | RSS before MiB | RSS with sockets MiB | per socket KiB | after closing MiB | opened in s |",
        "|---|---|---|---|---|---|---|",
    ]
    for h in results:
        lines.append(
            f"| {h.system} | {h.sockets:,} | {h.before_mib:.1f} | {h.after_mib:.1f} | "
            f"{h.bytes_per_socket / 1024:.1f} | {h.closed_mib:.1f} | {h.open_s:.1f} |"
        )
    if len(results) == 2:
        lines.append("")
        lines.append(f"chatsvc / reference, bytes per idle socket: "
                     f"{ratio(results[1].bytes_per_socket, results[0].bytes_per_socket):.1f}x")
    lines.append(f"command: .venv/bin/python -m bench.idle {' '.join(sys.argv[1:])}".rstrip())
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=10_000, help="idle sockets per server (default 10,000)")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes at a time (default 100)")
    parser.add_argument("--postgres", action="store_true",
                        help="chatsvc on PostgreSQL + Redis ($CHATSVC_TEST_DATABASE_URL, $CHATSVC_TEST_REDIS_URL) "
                        "instead of SQLite")
    parser.add_argument("--no-reference", action="store_true", help="chatsvc alone (not to be quoted)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.sockets <= 50_000:
        parser.error("--sockets is 1 to 50,000")
    return args


async def main(args: argparse.Namespace) -> int:
    fds = raise_fd_limit()
    if fds < args.sockets + 1000:
        print(f"bench.idle: the open-files limit is {fds}; {args.sockets} sockets need more", file=sys.stderr)
        return 2
    progress = Progress(quiet=args.quiet)
    load_before = load_average()
    workroot = Path(tempfile.mkdtemp(prefix="chatsvc-idle-"))
    results: list[Held] = []
    try:
        if not args.no_reference:
            (workroot / "reference").mkdir()
            results.append(await run_reference(args, workroot / "reference", progress))
        (workroot / "chatsvc").mkdir()
        results.append(await run_chatsvc(args, workroot / "chatsvc", progress))
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    print(render(results, args, load_before, fds))
    return 0 if all(h.sockets == args.sockets for h in results) else 1


if __name__ == "__main__":
    try:
        raise SystemExit(asyncio.run(main(parse_args())))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, RuntimeError) as exc:
        print(f"bench.idle: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
