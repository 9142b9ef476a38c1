"""A real HTTP receiver for webhook tests: asyncio.start_server speaking just enough HTTP/1.1.

It answers each request with the next scripted response (then the last one again), records what it got, and
counts connections, so a test can tell "refused before connecting" from "connected and got an error"."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
from collections.abc import AsyncIterator, Sequence

from tests.support.servers import free_port


@dataclasses.dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering (timeouts)


class Receiver:
    def __init__(self, answers: Sequence[Answer] = (Answer(),), *, tls: ssl.SSLContext | None = None) -> None:
        self.answers = list(answers)
        self.tls = tls
        self.requests: list[Received] = []
        self.connections = 0
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
            if answer.delay:
                await asyncio.sleep(answer.delay)
            extra = "".join(f"{name}: {value}\r\n" for name, value in answer.headers)
            status_line = f"HTTP/1.1 {answer.status} Answer\r\nContent-Length: 2\r\nConnection: close\r\n"
            writer.write(f"{status_line}{extra}\r\n".encode() + b"ok")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass  # the test is over
        finally:
            if task is not None:
                self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=self.tls)
        try:
            yield self
        finally:
            self._server.close()
            for task in list(self._handlers):
                task.cancel()
            await self._server.wait_closed()
