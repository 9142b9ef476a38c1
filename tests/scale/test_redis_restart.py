"""Redis restarted mid-conversation (issue 8, Done when; SECURITY case 27). This test runs its own
``redis-server`` (nothing kept on disk: it comes back empty), so other tests keep the shared one. The processes
catch up from the database when Redis returns and rebuild the live state: every acknowledged message is on both
screens once, in order, equal to the stored transcript, and the agent keeps the chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.scale.chatting import converse_through, pair
from tests.support.cluster import RedisServer, running_cluster
from tests.support.servers import Backend


@pytest.mark.timeout(150)
async def test_redis_restart_mid_conversation_loses_nothing(
    pg_url: str, own_redis: RedisServer, tmp_path: Path
) -> None:
    backend = Backend(name="postgres+redis", database_url=pg_url, redis_url=own_redis.url)
    async with running_cluster(backend, tmp_path) as cluster:
        # Visitor and agent on different processes: everything between them goes through Redis.
        visitor, agent, conversation = await pair(cluster, visitor_home=0, agent_home=1)

        async def restart_redis() -> None:
            await own_redis.stop()
            await asyncio.sleep(1.0)
            await own_redis.start()

        await converse_through(cluster, visitor, agent, conversation, restart_redis)

        # The live state came back (presence refilled by the heartbeats before the grace ran out): still hers.
        await asyncio.sleep(2.5)  # longer than the grace
        rows = {row.id: row for row in await cluster.conversations()}
        assert rows[conversation].status == "assigned"
        assert rows[conversation].agent_id == (await cluster.user_ids())[agent.email or ""]
        assert conversation in agent.chats
        # And the two still talk across processes.
        reply = await agent.send(conversation, "after the storm")
        assert (await visitor.wait_event(text="after the storm", timeout=10)).seq == reply.seq
        ack = await visitor.send("calm again")
        assert (await agent.wait_event(text="calm again", timeout=10)).seq == ack.seq
        for process in cluster.processes:
            assert process.process is not None and process.process.poll() is None, "a process died"
