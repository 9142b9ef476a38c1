"""What a system under test offers the load loop, and helpers both drivers share."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from bench.procs import ChildServer
from bench.progress import Progress

T = TypeVar("T")


@dataclasses.dataclass
class Facts:
    """What only the driver can tell after a run (the recorder counts the messages)."""

    connections_open: int  # sockets still open when the load ended
    connections_expected: int
    reconnects: int = 0  # sockets the client had to open again (chatsvc's client reconnects by itself)
    gaps: int = 0  # events the client received past a hole in seq (the server promises none)
    duplicates_dropped: int = 0  # events the client received twice and showed once
    transcripts_checked: int = 0
    transcripts_differing: int = 0  # conversations where visitor and agent saw different histories
    server_log: list[str] = dataclasses.field(default_factory=list)  # warnings and errors the server logged


class System(Protocol):
    name: str
    server: ChildServer | None

    async def start(self) -> None:
        """Start the server, connect every client, and return once every visitor is paired with an agent."""

    async def send(self, visitor: int, k: int) -> None:
        """Send the k-th message of ``visitor`` now, and record what happens to it."""

    async def finish(self) -> Facts:
        """After the load: check what the clients saw, close them and stop the server."""


async def bounded_gather(
    items: Sequence[T], work: Callable[[T], Awaitable[None]], limit: int, progress: Progress, label: str
) -> None:
    """``work(item)`` for every item, ``limit`` at a time (a burst of hundreds of handshakes at once would
    measure the accept backlog, not the steady state), with a progress bar."""
    semaphore = asyncio.Semaphore(limit)
    done = 0

    async def one(item: T) -> None:
        nonlocal done
        async with semaphore:
            await work(item)
        done += 1
        progress.bar(label, done, len(items))

    await asyncio.gather(*(one(item) for item in items))
    progress.done_bar()
