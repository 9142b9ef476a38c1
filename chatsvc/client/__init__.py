"""An asyncio Python client for chatsvc's two sockets, for integrators, tests and the benchmark.

    async with VisitorClient("http://127.0.0.1:8000", site="default") as visitor:
        ack = await visitor.send("How do I reset my password?")
        turn = await visitor.wait_event(kind="bot")  # the bot answers first when it has a knowledge base
        await visitor.handoff()  # "Talk to a person": straight to the queue
        event = await visitor.wait_event(kind="message", role="agent")

It reconnects by itself (backoff with jitter), resumes from the last seq it saw, resends unacknowledged
messages with their client ids, and shows each (conversation, seq) once.
"""

from chatsvc.client.agent import AgentClient
from chatsvc.client.base import ClientClosed, Disconnected, ServerError
from chatsvc.client.visitor import VisitorClient

__all__ = ["AgentClient", "ClientClosed", "Disconnected", "ServerError", "VisitorClient"]
