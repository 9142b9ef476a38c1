"""Token buckets and per-address counters: the bounds that keep one client from costing everyone."""

from __future__ import annotations

import time
from collections import defaultdict


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; each frame takes one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class AddressCounter:
    """Open sockets per client address, capped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.counts: dict[str, int] = defaultdict(int)

    def acquire(self, address: str) -> bool:
        if self.counts[address] >= self.cap:
            return False
        self.counts[address] += 1
        return True

    def release(self, address: str) -> None:
        self.counts[address] -= 1
        if self.counts[address] <= 0:
            del self.counts[address]


class FailureWindow:
    """Failures per key within a sliding window (login attempts per address and per email)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: dict[str, list[float]] = defaultdict(list)

    def _recent(self, key: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        recent = [t for t in self.events.get(key, []) if t > cutoff]
        if recent:
            self.events[key] = recent
        else:
            self.events.pop(key, None)
        return recent

    def blocked(self, key: str) -> float:
        """Seconds until the key may try again (0: now)."""
        recent = self._recent(key)
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, recent[0] + self.window - time.monotonic())

    def record(self, key: str) -> None:
        self._recent(key)
        self.events[key].append(time.monotonic())

    def clear(self, key: str) -> None:
        self.events.pop(key, None)
