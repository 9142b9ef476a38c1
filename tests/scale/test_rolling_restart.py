"""A SIGTERM rolling restart of all 3 processes while a visitor and an agent chat (issue 8, Done when): each
process drains (its sockets are told to reconnect with close code 1012) and comes back; nothing acknowledged is
lost, nothing shown twice, and the transcript equals both screens."""

from __future__ import annotations

import asyncio

import pytest

from tests.scale.chatting import converse_through, pair
from tests.support.cluster import Agent, Cluster, Visitor

RESTARTING = 1012  # "service restart": reconnect (to another process)


@pytest.mark.timeout(150)
async def test_rolling_restart_loses_nothing(cluster: Cluster) -> None:
    visitor, agent, conversation = await pair(cluster, visitor_home=0, agent_home=1)
    assert isinstance(visitor, Visitor) and isinstance(agent, Agent)

    async def rolling_restart() -> None:
        for index in range(len(cluster.processes)):
            await cluster.terminate(index)
            assert "Traceback" not in cluster.processes[index].log()
            await cluster.restart(index)
            await asyncio.sleep(0.5)

    await converse_through(cluster, visitor, agent, conversation, rolling_restart, at=30, gap=0.03)

    # Each was on a process that restarted, at least once; every socket they lost was closed with 1012.
    assert visitor.close_codes and agent.close_codes
    assert set(visitor.close_codes) == {RESTARTING}, visitor.close_codes
    assert set(agent.close_codes) == {RESTARTING}, agent.close_codes
    assert conversation in agent.chats
    rows = {row.id: row for row in await cluster.conversations()}
    assert rows[conversation].agent_id == (await cluster.user_ids())[agent.email or ""]
