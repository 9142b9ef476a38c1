"""At most one update a second per key, the last one winning: a visitor's ``page`` and ``read`` frames.

A visitor with many tabs (or a script) may send many ``page`` and ``read`` frames; each would be a stored update
and a fan-out to every staff socket of the chat. Per key (a visitor, a visitor's conversation), the first value
is applied at once and opens a window; values that arrive within the window replace one another and the last is
applied when the window ends (which opens the next). A value equal to the last applied one is skipped. This is
per process: the bound is per visitor and process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger("chatsvc.coalesce")

V = TypeVar("V")


@dataclasses.dataclass
class _Slot(Generic[V]):
    applied: Any  # the value last applied (a sentinel before the first)
    pending: Any = None
    has_pending: bool = False
    timer: asyncio.TimerHandle | None = None
    apply: Callable[[Any], Awaitable[object]] | None = None


_NOTHING = object()


class Coalescer(Generic[V]):
    def __init__(self, interval: float = 1.0, *, merge: Callable[[V, V], V] | None = None) -> None:
        self.interval = interval
        self.merge = merge  # how a new value combines with a pending one (default: the new one wins)
        self._slots: dict[Any, _Slot[V]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    async def submit(self, key: Any, value: V, apply: Callable[[V], Awaitable[object]],
                     *, current: Any = _NOTHING) -> None:
        """Apply ``value`` now, or at the end of the key's window (the last value submitted by then wins).
        ``current``: what is stored already, when known (an equal first value is skipped)."""
        slot = self._slots.get(key)
        if slot is None:
            if current is not _NOTHING and current == value:
                return
            slot = self._slots[key] = _Slot(applied=value, apply=apply)
            self._arm(key, slot)
            await apply(value)
            return
        slot.apply = apply
        if slot.has_pending and self.merge is not None:
            value = self.merge(slot.pending, value)
        slot.pending, slot.has_pending = value, True

    def _arm(self, key: Any, slot: _Slot[V]) -> None:
        loop = asyncio.get_running_loop()
        slot.timer = loop.call_later(self.interval, self._window_ended, key)

    def _window_ended(self, key: Any) -> None:
        slot = self._slots.get(key)
        if slot is None:
            return
        if not slot.has_pending or slot.pending == slot.applied:
            del self._slots[key]  # a quiet window: the next value is applied at once
            return
        value, slot.pending, slot.has_pending = slot.pending, None, False
        slot.applied = value
        self._arm(key, slot)
        task = asyncio.ensure_future(self._run(slot.apply, value))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _run(apply: Callable[[Any], Awaitable[object]] | None, value: Any) -> None:
        if apply is None:
            return
        try:
            await apply(value)
        except Exception:  # noqa: BLE001 - a late update is a courtesy; the next one will carry the truth
            log.exception("a coalesced update failed")

    def stop(self) -> None:
        for slot in self._slots.values():
            if slot.timer is not None:
                slot.timer.cancel()
        self._slots.clear()
        for task in list(self._tasks):
            task.cancel()
