"""Posting lists of one field, kept as dicts for cheap changes and served as numpy arrays for cheap queries.

A query touches every unit that shares a term with it: on a KB of 10,000 articles a common word's list has
thousands of entries, too many for a Python loop within the bot's time budget, and a handful of vectorised
operations instead. Changes stay per article: adding or removing one drops the cached arrays of that article's
terms only, rebuilt from their dict on the next query that needs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class Postings:
    positions: Ints  # unit or article slots holding the term
    counts: Floats  # how often each holds it
    lengths: Floats  # and its length in terms


class FieldPostings:
    def __init__(self) -> None:
        self._entries: dict[str, dict[int, tuple[int, int]]] = {}  # term -> position -> (count, length)
        self._arrays: dict[str, Postings] = {}

    def add(self, position: int, tf: Mapping[str, int], length: int) -> None:
        for term, count in tf.items():
            self._entries.setdefault(term, {})[position] = (count, length)
            self._arrays.pop(term, None)

    def remove(self, position: int, terms: Iterable[str]) -> None:
        for term in terms:
            entries = self._entries[term]
            del entries[position]
            if not entries:
                del self._entries[term]
            self._arrays.pop(term, None)

    def count(self, term: str) -> int:
        """Number of positions holding ``term``."""
        return len(self._entries.get(term, ()))

    def arrays(self, term: str) -> Postings | None:
        cached = self._arrays.get(term)
        if cached is None:
            entries = self._entries.get(term)
            if not entries:
                return None
            pairs = np.array(list(entries.values()), dtype=np.float64).reshape(-1, 2)
            cached = Postings(
                np.fromiter(entries, dtype=np.int64, count=len(entries)),
                np.ascontiguousarray(pairs[:, 0]),
                np.ascontiguousarray(pairs[:, 1]),
            )
            self._arrays[term] = cached
        return cached


class Slots:
    """Small integers standing for keys, reused once released, so that arrays indexed by them stay small."""

    def __init__(self) -> None:
        self._of: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._free: list[int] = []

    def __len__(self) -> int:
        """The capacity: one more than the highest slot ever handed out."""
        return len(self._keys)

    def take(self, key: str) -> int:
        slot = self._free.pop() if self._free else len(self._keys)
        if slot == len(self._keys):
            self._keys.append(key)
        else:
            self._keys[slot] = key
        self._of[key] = slot
        return slot

    def release(self, key: str) -> int:
        slot = self._of.pop(key)
        self._keys[slot] = None
        self._free.append(slot)
        return slot

    def slot(self, key: str) -> int:
        return self._of[key]

    def key(self, slot: int) -> str:
        key = self._keys[slot]
        if key is None:
            raise KeyError(slot)
        return key
