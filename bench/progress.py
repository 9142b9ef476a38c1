"""Progress lines on stderr, so stdout carries only the final table (``make bench > result.txt`` stays clean)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A one-line bar redrawn in place on a terminal; on a pipe or a CI log, a plain line every few seconds."""

    def __init__(self, stream: TextIO = sys.stderr, quiet: bool = False, every: float = 5.0) -> None:
        self.stream = stream
        self.quiet = quiet
        self.tty = stream.isatty()
        self.every = every  # seconds between bar lines when not on a terminal
        self._last = 0.0
        self._open = False  # a bar is drawn on the current line (a terminal only)
        self._t0 = time.monotonic()

    def say(self, message: str) -> None:
        if self.quiet:
            return
        self.done_bar()
        self.stream.write(f"[{time.monotonic() - self._t0:6.1f}s] {message}\n")
        self.stream.flush()

    def bar(self, label: str, done: float, total: float, extra: str = "", unit: str = "") -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not self.tty and now - self._last < self.every and done < total:
            return
        self._last = now
        width = 24
        filled = int(width * done / total) if total > 0 else width
        count = f"{done:.0f}/{total:.0f}{unit}" if unit else f"{done:.0f}/{total:.0f}"
        line = f"[{now - self._t0:6.1f}s] {label} [{'#' * filled}{'.' * (width - filled)}] {count} {extra}"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self._open = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done_bar(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
