"""What both systems are driven with: the plan (shape and pacing), the message format, and the recorder.

The same plan, seed and message texts go to chatsvc and to the relay, so the two sets of figures differ only by
what the server does with a message.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bench.progress import Progress

VISITOR_TAG = "bq"  # a visitor's question
AGENT_TAG = "ba"  # an agent's answer
_FILLER = (
    "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
)


@dataclasses.dataclass(frozen=True)
class Plan:
    visitors: int
    agents: int
    capacity: int  # chats per agent: agents * capacity >= visitors, or some visitors would wait in the queue
    rate: float  # messages per second per visitor
    messages: int  # per visitor; the load lasts messages / rate seconds
    reply_every: int  # an agent answers every Nth message of each visitor (0: never)
    jitter: float  # each send moves by up to this fraction of the interval, so visitors do not beat in step
    size: int  # characters per message (a typical chat line)
    seed: int
    drain: float  # seconds to wait, after the last send, for messages still in flight

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def duration(self) -> float:
        return self.messages / self.rate

    @property
    def offered_rate(self) -> float:
        """Visitor messages per second the plan asks for (replies come on top)."""
        return self.visitors * self.rate

    def schedule(self, visitor: int) -> list[float]:
        """Seconds after the start at which ``visitor`` sends each of its messages. Seeded: the same for both
        systems. Starts are spread over one interval so the load is steady rather than arriving in waves."""
        rng = random.Random(self.seed * 1_000_003 + visitor)
        start = rng.uniform(0.0, self.interval)
        return [
            max(0.0, start + k * self.interval + rng.uniform(-self.jitter, self.jitter) * self.interval)
            for k in range(self.messages)
        ]

    def wants_reply(self, k: int) -> bool:
        return self.reply_every > 0 and (k + 1) % self.reply_every == 0


def now_ns() -> int:
    # One clock for the whole benchmark process: every client lives in it, so send and receive times compare.
    return time.perf_counter_ns()


def make_text(tag: str, visitor: int, k: int, size: int) -> str:
    """``tag visitor k sent_ns`` then filler to ``size`` characters: the timestamp travels inside the text,
    so latency is measured on what the receiving client got, with nothing added to either protocol."""
    head = f"{tag} {visitor} {k} {now_ns()} "
    if len(head) >= size:
        return head.rstrip()
    return head + (_FILLER * (size // len(_FILLER) + 1))[: size - len(head)]


def parse_text(text: str | None) -> tuple[str, int, int, int] | None:
    """``(tag, visitor, k, sent_ns)`` of a benchmark message, or None for any other text (e.g. the first hello)."""
    if not text:
        return None
    parts = text.split(" ", 4)
    if len(parts) < 4 or parts[0] not in (VISITOR_TAG, AGENT_TAG):
        return None
    try:
        return parts[0], int(parts[1]), int(parts[2]), int(parts[3])
    except ValueError:
        return None


@dataclasses.dataclass
class Recorder:
    """Everything one run of one system counts. Keys are ``(visitor, k)``: the k-th message of that visitor."""

    plan: Plan
    sent: int = 0
    acked: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    delivered: collections.Counter[tuple[int, int]] = dataclasses.field(default_factory=collections.Counter)
    latencies_ms: list[float] = dataclasses.field(default_factory=list)  # visitor -> agent
    sent_at_ns: list[int] = dataclasses.field(
        default_factory=list
    )  # when each of those was sent, for --timeline
    replies_sent: int = 0
    replies_acked: set[tuple[int, int]] = dataclasses.field(default_factory=set)
    replies_delivered: collections.Counter[tuple[int, int]] = dataclasses.field(
        default_factory=collections.Counter
    )
    reply_latencies_ms: list[float] = dataclasses.field(default_factory=list)  # agent -> visitor
    ack_ms: list[float] = dataclasses.field(
        default_factory=list
    )  # chatsvc: send -> ack (the commit), visitor side
    ack_sent_at_ns: list[int] = dataclasses.field(default_factory=list)
    lateness_ms: list[float] = dataclasses.field(default_factory=list)  # how late the pacer fired each send
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    started_ns: int = 0
    first_sent_ns: int = 0
    last_delivered_ns: int = 0
    delivered_total: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] += 1

    def visitor_sent(self) -> None:
        self.sent += 1
        if not self.first_sent_ns:
            self.first_sent_ns = now_ns()

    def agent_received(self, text: str | None) -> tuple[int, int] | None:
        """Count a visitor message reaching an agent; returns its key when this agent should answer it."""
        parsed = parse_text(text)
        if parsed is None or parsed[0] != VISITOR_TAG:
            return None
        received = now_ns()
        _, visitor, k, sent = parsed
        key = (visitor, k)
        self.delivered[key] += 1
        self._delivery(received)
        if self.delivered[key] > 1:
            return None
        self.latencies_ms.append((received - sent) / 1e6)
        self.sent_at_ns.append(sent)
        return key if self.plan.wants_reply(k) else None

    def visitor_received(self, text: str | None) -> None:
        parsed = parse_text(text)
        if parsed is None or parsed[0] != AGENT_TAG:
            return
        received = now_ns()
        _, visitor, k, sent = parsed
        key = (visitor, k)
        self.replies_delivered[key] += 1
        self._delivery(received)
        if self.replies_delivered[key] == 1:
            self.reply_latencies_ms.append((received - sent) / 1e6)

    def ack_latency(self, sent: int) -> None:
        self.ack_ms.append((now_ns() - sent) / 1e6)
        self.ack_sent_at_ns.append(sent)

    def _delivery(self, received: int) -> None:
        self.delivered_total += 1
        self.last_delivered_ns = received

    def settled(self) -> bool:
        """Every message handed over (acked, or written for the relay) has arrived: nothing left in flight."""
        return all(self.delivered[key] for key in self.acked) and all(
            self.replies_delivered[key] for key in self.replies_acked
        )

    def snapshot(self) -> str:
        lat = sorted(self.latencies_ms[-2000:])
        p50 = lat[len(lat) // 2] if lat else float("nan")
        return (
            f"sent {self.sent} delivered {len(self.delivered)} "
            f"replies {len(self.replies_delivered)} errors {sum(self.errors.values())} recent p50 {p50:.1f} ms"
        )


SendOne = Callable[[int, int], Coroutine[Any, Any, None]]


async def pace(plan: Plan, recorder: Recorder, send: SendOne, progress: Progress, label: str) -> None:
    """Send every visitor's messages on its schedule, then wait (at most ``plan.drain``) for stragglers.

    Open loop: a send does not wait for the previous one's ack, so a slow server shows up as latency rather
    than as a quietly lower send rate (the "coordinated omission" trap).
    """
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2  # a moment for every pacer task to be waiting before the first send
    recorder.started_ns = now_ns() + 200_000_000
    in_flight: set[asyncio.Task[None]] = set()

    async def visitor_pacer(visitor: int) -> None:
        for k, offset in enumerate(plan.schedule(visitor)):
            due = start + offset
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            recorder.lateness_ms.append(max(0.0, loop.time() - due) * 1000)
            task = asyncio.create_task(send(visitor, k))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

    pacers = [asyncio.create_task(visitor_pacer(v)) for v in range(plan.visitors)]
    ticker = asyncio.create_task(_tick(plan, recorder, progress, label, start))
    try:
        await asyncio.gather(*pacers)
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=plan.drain)
        deadline = loop.time() + plan.drain
        while not recorder.settled() and loop.time() < deadline:
            await asyncio.sleep(0.05)
    finally:
        ticker.cancel()
        for task in [*pacers, *in_flight]:
            task.cancel()
        await asyncio.gather(*pacers, *in_flight, return_exceptions=True)
        progress.done_bar()


async def _tick(plan: Plan, recorder: Recorder, progress: Progress, label: str, start: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        elapsed = max(0.0, loop.time() - start)
        progress.bar(label, min(elapsed, plan.duration), plan.duration, recorder.snapshot(), unit="s")
        await asyncio.sleep(0.5)
