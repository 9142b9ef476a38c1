"""Live state shared by every server process: agent presence, and a mirror of the queue and loads.

Presence of one agent is a *record* (name, status, capacity, teams, idle_since, left_at, rev) plus one *lease per
process* holding how many of the agent's sockets that process has. A lease lives ``ttl`` seconds unless renewed: a
process renews its leases (and rewrites its agents' whole records) at every heartbeat, so a process that dies takes
its leases with it within ``ttl``, and a store that came back empty is refilled within one heartbeat. An agent is
connected while any lease lives; their sockets are the sum of the live leases.

``rev`` orders record writes, on the store's clock (the Redis server's: one clock whatever the machines' clocks
say). A change (``change``, ``update``) is always written and stamped later than the stored ``rev``; a renewal
(``put``) rewrites the record only when the process's ``rev`` is at least the stored one, so a process renewing a
record it has not changed does not undo a change made meanwhile through another process.

Every call fails soft: a store that cannot be reached answers None (reads) or does nothing (writes), and routing
falls back to the process's own view. ``MemoryLiveState`` serves the embedded single process (and tests, where two
instances sharing one ``MemoryStore`` stand for two processes).
"""

from __future__ import annotations

import abc
import dataclasses
import os
import time
import uuid
from collections.abc import Iterable
from typing import Any


@dataclasses.dataclass(frozen=True)
class AgentRecord:
    user_id: str
    name: str
    status: str  # an AgentStatus value
    capacity: int
    team_ids: frozenset[str] = frozenset()
    idle_since: float = 0.0  # unix seconds of the last assignment or release
    rev: float = 0.0  # when the record last changed (unix seconds): newer wins
    left_at: float | None = None  # set once when seen without a live lease while holding chats
    sockets: int = 0  # in a snapshot: the sum of live leases; in a write: this process's sockets

    @property
    def connected(self) -> bool:
        return self.sockets > 0

    @property
    def online(self) -> bool:
        return self.status == "online" and self.sockets > 0

    def fields(self) -> dict[str, str]:
        return {
            "name": self.name,
            "status": self.status,
            "capacity": str(self.capacity),
            "teams": ",".join(sorted(self.team_ids)),
            "idle_since": repr(self.idle_since),
            "rev": repr(self.rev),
        }

    @classmethod
    def from_fields(cls, user_id: str, fields: dict[str, Any], sockets: int) -> AgentRecord:
        def number(key: str, default: float = 0.0) -> float:
            try:
                return float(fields.get(key) or default)
            except (TypeError, ValueError):
                return default

        left = fields.get("left_at")
        return cls(
            user_id=user_id,
            name=str(fields.get("name") or ""),
            status=str(fields.get("status") or "offline"),
            capacity=int(number("capacity")),
            team_ids=frozenset(t for t in str(fields.get("teams") or "").split(",") if t),
            idle_since=number("idle_since"),
            rev=number("rev"),
            left_at=float(left) if left not in (None, "") else None,
            sockets=int(sockets),
        )


@dataclasses.dataclass(frozen=True)
class QueueMirror:
    """What the last dispatch saw: the queue's version, the waiting ids in queue order, their positions (within
    their own queue) and the open chats held per agent."""

    version: int
    queue: list[str]
    positions: dict[str, int]
    loads: dict[str, int]


class LiveState(abc.ABC):
    name = "live-state"

    def __init__(self, *, ttl: float, process_id: str | None = None) -> None:
        self.ttl = ttl
        self.process_id = process_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def start(self) -> None:
        """Nothing to do by default; the Redis one loads its scripts lazily."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Drop this process's leases (its agents stay connected only through other processes) and close."""

    @abc.abstractmethod
    async def put(self, records: Iterable[AgentRecord]) -> bool:
        """Write each record (unless a newer one is stored) and this process's lease holding ``record.sockets``
        (none when 0), renewed for ``ttl``. Clears ``left_at`` of an agent this process holds sockets of.
        False when the store could not be reached."""

    @abc.abstractmethod
    async def change(self, record: AgentRecord) -> float | None:
        """A change made in this process (a status chosen, a capacity): write the record whatever the stored
        ``rev``, stamped later than it on the store's clock, and this process's lease as ``put`` does. Answers
        the stamped ``rev`` (None: unreachable)."""

    @abc.abstractmethod
    async def update(self, user_id: str, *, only_if_gone: bool = False, **fields: object) -> None:
        """Change some fields of an existing record (a status, a capacity, idle_since), stamping ``rev`` as
        ``change`` does. ``only_if_gone``: only while no process holds a live lease for the agent (checked in
        the same step as the write)."""

    @abc.abstractmethod
    async def snapshot(self) -> dict[str, AgentRecord] | None:
        """Every agent's record with their live sockets, in one round trip; None when unreachable."""

    @abc.abstractmethod
    async def mark_left(self, user_id: str) -> float | None:
        """Set the agent's ``left_at`` unless set; answer the seconds since then (None: unreachable)."""

    @abc.abstractmethod
    async def clear_left(self, user_id: str) -> None: ...

    @abc.abstractmethod
    async def drop_leases(self) -> None:
        """Remove every lease of this process (at stop; tests also use it to stand for a vanished process)."""

    @abc.abstractmethod
    async def put_mirror(self, mirror: QueueMirror) -> None: ...

    @abc.abstractmethod
    async def get_mirror(self) -> QueueMirror | None: ...

    @abc.abstractmethod
    async def clear_mirror(self) -> None:
        """An assignment or a release changed the loads: readers go to the database until the next mirror."""

    async def ping(self) -> bool:
        return await self.snapshot() is not None


@dataclasses.dataclass
class MemoryStore:
    """What a Redis server holds, for ``MemoryLiveState``: one per embedded process (or per test)."""

    records: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    leases: dict[str, dict[str, tuple[int, float]]] = dataclasses.field(default_factory=dict)  # id -> proc -> (n, exp)
    mirror: QueueMirror | None = None

    def clear(self) -> None:
        self.records.clear()
        self.leases.clear()
        self.mirror = None


class MemoryLiveState(LiveState):
    name = "memory"

    def __init__(self, *, ttl: float, process_id: str | None = None, store: MemoryStore | None = None) -> None:
        super().__init__(ttl=ttl, process_id=process_id)
        self.store = store if store is not None else MemoryStore()

    async def stop(self) -> None:
        await self.drop_leases()

    async def put(self, records: Iterable[AgentRecord]) -> bool:
        for record in records:
            stored = self.store.records.setdefault(record.user_id, {})
            if float(stored.get("rev") or 0.0) <= record.rev:
                stored.update(record.fields())
            self._lease(record, stored)
        return True

    async def change(self, record: AgentRecord) -> float | None:
        stored = self.store.records.setdefault(record.user_id, {})
        rev = _stamp(stored)
        stored.update(record.fields(), rev=repr(rev))
        self._lease(record, stored)
        return rev

    def _lease(self, record: AgentRecord, stored: dict[str, Any]) -> None:
        leases = self.store.leases.setdefault(record.user_id, {})
        if record.sockets > 0:
            leases[self.process_id] = (record.sockets, time.monotonic() + self.ttl)
            stored.pop("left_at", None)
        else:
            leases.pop(self.process_id, None)

    async def update(self, user_id: str, *, only_if_gone: bool = False, **fields: object) -> None:
        stored = self.store.records.get(user_id)
        if stored is None:
            return
        if only_if_gone:
            now = time.monotonic()
            if any(expires > now for _, expires in self.store.leases.get(user_id, {}).values()):
                return
        stored.update({k: _field(v) for k, v in fields.items()})
        stored["rev"] = repr(_stamp(stored))

    async def snapshot(self) -> dict[str, AgentRecord] | None:
        now = time.monotonic()
        result = {}
        for user_id, fields in self.store.records.items():
            leases = self.store.leases.get(user_id, {})
            for process_id in [p for p, (_, expires) in leases.items() if expires <= now]:
                del leases[process_id]
            result[user_id] = AgentRecord.from_fields(user_id, fields, sum(n for n, _ in leases.values()))
        return result

    async def mark_left(self, user_id: str) -> float | None:
        stored = self.store.records.setdefault(user_id, {})
        left = stored.setdefault("left_at", repr(time.time()))
        return max(0.0, time.time() - float(left))

    async def clear_left(self, user_id: str) -> None:
        stored = self.store.records.get(user_id)
        if stored is not None:
            stored.pop("left_at", None)

    async def drop_leases(self) -> None:
        for leases in self.store.leases.values():
            leases.pop(self.process_id, None)

    async def put_mirror(self, mirror: QueueMirror) -> None:
        self.store.mirror = mirror

    async def get_mirror(self) -> QueueMirror | None:
        return self.store.mirror

    async def clear_mirror(self) -> None:
        self.store.mirror = None


def _stamp(stored: dict[str, Any]) -> float:
    """A change's ``rev``: now, and later than the stored one."""
    return max(time.time(), float(stored.get("rev") or 0.0) + 1e-6)


def _field(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return ",".join(sorted(str(v) for v in value))
    return str(value)


def create_live_state(url: str, *, prefix: str = "chatsvc:", ttl: float = 15.0) -> LiveState:
    """The live state beside the broker of the same URL: in this process (empty / ``memory://``) or Redis."""
    if not url or url.startswith("memory://"):
        return MemoryLiveState(ttl=ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from chatsvc.broker.redis_live_state import RedisLiveState

        return RedisLiveState(url, prefix=prefix, ttl=ttl)
    raise ValueError("unsupported live state URL: use redis://host:port/db, or leave it empty for in-process")
