"""Queue and assignment policy: who waits where, who gets the next chat, how long the wait is."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from chatsvc.domain.model import PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_URGENT
from chatsvc.domain.queue import (
    DEFAULT_HANDLING_SECONDS,
    AgentSlot,
    Waiting,
    choose_agent,
    estimate_wait,
    plan_assignments,
    positions,
    queue_order,
    typical_handling_seconds,
)

NOW = 1_700_000_000.0


def waiting(
    conversation_id: str, queued_at: float, *, priority: int = PRIORITY_NORMAL, front: bool = False,
    team: str | None = None,
) -> Waiting:
    return Waiting(conversation_id=conversation_id, team_id=team, priority=priority, front=front, queued_at=queued_at)


def agent(
    agent_id: str, *, load: int = 0, capacity: int = 3, idle_since: float = 0.0, online: bool = True,
    teams: tuple[str, ...] = (),
) -> AgentSlot:
    return AgentSlot(agent_id=agent_id, online=online, load=load, capacity=capacity, idle_since=idle_since,
                     team_ids=frozenset(teams))


def ids(items: list[Waiting]) -> list[str]:
    return [item.conversation_id for item in items]


# --- queue order --------------------------------------------------------------------------------------


def test_first_come_first_served_within_one_priority() -> None:
    items = [waiting("c", 30), waiting("a", 10), waiting("b", 20)]
    assert ids(queue_order(items)) == ["a", "b", "c"]


def test_higher_priority_goes_first_whatever_the_arrival() -> None:
    items = [
        waiting("low", 1, priority=PRIORITY_LOW),
        waiting("normal", 2, priority=PRIORITY_NORMAL),
        waiting("urgent", 4, priority=PRIORITY_URGENT),
        waiting("high", 3, priority=PRIORITY_HIGH),
    ]
    assert ids(queue_order(items)) == ["urgent", "high", "normal", "low"]


def test_handed_back_chats_go_first_within_their_priority_but_not_past_a_higher_one() -> None:
    items = [
        waiting("waiting-long", 1),
        waiting("returned", 50, front=True),
        waiting("waiting-short", 2),
        waiting("high", 60, priority=PRIORITY_HIGH),
        waiting("returned-low", 0, front=True, priority=PRIORITY_LOW),
    ]
    assert ids(queue_order(items)) == ["high", "returned", "waiting-long", "waiting-short", "returned-low"]


def test_two_returned_chats_keep_their_original_order() -> None:
    items = [waiting("r2", 20, front=True), waiting("r1", 10, front=True), waiting("plain", 0)]
    assert ids(queue_order(items)) == ["r1", "r2", "plain"]


def test_ties_are_broken_by_conversation_id_so_every_process_agrees() -> None:
    items = [waiting("b", 10), waiting("c", 10), waiting("a", 10)]
    assert ids(queue_order(items)) == ["a", "b", "c"]
    assert ids(queue_order(reversed(items))) == ["a", "b", "c"]


def test_queue_order_does_not_change_its_input() -> None:
    items = [waiting("b", 2), waiting("a", 1)]
    assert ids(queue_order(iter(items))) == ["a", "b"]
    assert ids(items) == ["b", "a"]
    assert queue_order([]) == []


# --- slots ----------------------------------------------------------------------------------------------


def test_free_slots() -> None:
    assert agent("a", load=1, capacity=3).free == 2
    assert agent("a", load=3, capacity=3).free == 0
    assert agent("a", load=5, capacity=3).free == 0  # over capacity (capacity lowered): never negative
    assert agent("a", load=0, capacity=3, online=False).free == 0
    assert agent("a", load=0, capacity=0).free == 0


def test_can_take_and_serves() -> None:
    member = agent("m", teams=("billing",))
    assert member.can_take(None) and member.can_take("billing") and not member.can_take("sales")
    assert member.serves(None) and member.serves("billing") and not member.serves("sales")
    full = agent("f", load=3, capacity=3, teams=("billing",))
    assert not full.can_take("billing") and full.serves("billing")  # full agents still count as serving
    away = agent("o", online=False, teams=("billing",))
    assert not away.can_take(None) and not away.serves(None)


# --- choosing an agent -----------------------------------------------------------------------------------


def test_least_loaded_agent_gets_the_chat() -> None:
    agents = [agent("busy", load=2, idle_since=0), agent("calm", load=1, idle_since=100), agent("fresh", load=2)]
    assert choose_agent(None, agents) == agents[1]


def test_equal_load_goes_to_who_has_been_idle_longest() -> None:
    agents = [agent("recent", load=1, idle_since=500), agent("longest", load=1, idle_since=100),
              agent("middle", load=1, idle_since=300)]
    chosen = choose_agent(None, agents)
    assert chosen is not None and chosen.agent_id == "longest"


def test_full_tie_is_broken_by_agent_id() -> None:
    chosen = choose_agent(None, [agent("b"), agent("a"), agent("c")])
    assert chosen is not None and chosen.agent_id == "a"


def test_offline_and_full_agents_are_never_chosen() -> None:
    agents = [agent("off", online=False), agent("full", load=2, capacity=2), agent("over", load=9, capacity=2)]
    assert choose_agent(None, agents) is None
    assert choose_agent(None, []) is None


def test_team_chat_goes_only_to_a_member_even_if_others_are_idle() -> None:
    agents = [agent("idle-outsider", load=0, idle_since=0), agent("member", load=2, idle_since=999, teams=("vip",))]
    chosen = choose_agent("vip", agents)
    assert chosen is not None and chosen.agent_id == "member"
    assert choose_agent("vip", [agents[0], agent("full-member", load=3, teams=("vip",))]) is None
    assert choose_agent("nobody", agents) is None


def test_general_chat_goes_to_anyone_including_team_members() -> None:
    chosen = choose_agent(None, [agent("member", load=0, teams=("vip",)), agent("plain", load=1)])
    assert chosen is not None and chosen.agent_id == "member"


# --- planning a round of assignments --------------------------------------------------------------------


def test_plan_spreads_chats_least_loaded_then_longest_idle() -> None:
    items = [waiting(f"c{i}", i) for i in range(5)]
    agents = [agent("a", idle_since=200, capacity=2), agent("b", idle_since=100, capacity=2), agent("c", load=1)]
    plan = plan_assignments(items, agents, NOW)
    # c0: a and b are empty, b idle longer. c1: a is the only empty one. c2: all hold one; a and b were just
    # assigned (idle since NOW), c since 0. c3: a and b tie at one chat since NOW: the id decides. c4: b (c has 2).
    assert plan == [("c0", "b"), ("c1", "a"), ("c2", "c"), ("c3", "a"), ("c4", "b")]


def test_plan_follows_queue_order_not_input_order() -> None:
    items = [waiting("late", 20), waiting("early", 10), waiting("urgent", 30, priority=PRIORITY_URGENT)]
    plan = plan_assignments(items, [agent("only", capacity=2)], NOW)
    assert plan == [("urgent", "only"), ("early", "only")]


def test_plan_never_exceeds_capacity() -> None:
    items = [waiting(f"c{i}", i) for i in range(10)]
    plan = plan_assignments(items, [agent("a", load=1, capacity=3), agent("b", load=0, capacity=1)], NOW)
    assert len(plan) == 3
    assert sorted(agent_id for _, agent_id in plan) == ["a", "a", "b"]
    assert [c for c, _ in plan] == ["c0", "c1", "c2"]


def test_a_full_team_queue_does_not_block_the_queue_behind_it() -> None:
    items = [waiting("vip-1", 1, team="vip", priority=PRIORITY_URGENT), waiting("general", 2)]
    plan = plan_assignments(items, [agent("plain")], NOW)
    assert plan == [("general", "plain")]


def test_team_chats_never_go_to_non_members() -> None:
    items = [waiting("sales-1", 1, team="sales"), waiting("billing-1", 2, team="billing"), waiting("any", 3)]
    agents = [agent("s", teams=("sales",), capacity=1), agent("x", capacity=5)]
    assert plan_assignments(items, agents, NOW) == [("sales-1", "s"), ("any", "x")]


def test_plan_with_nobody_or_nothing() -> None:
    assert plan_assignments([], [agent("a")], NOW) == []
    assert plan_assignments([waiting("c", 1)], [], NOW) == []
    assert plan_assignments([waiting("c", 1)], [agent("a", online=False)], NOW) == []


def test_plan_does_not_mutate_the_given_slots() -> None:
    slots = [agent("a", capacity=2)]
    plan_assignments([waiting("c1", 1), waiting("c2", 2)], slots, NOW)
    assert slots == [agent("a", capacity=2)]


TEAMS = ("sales", "billing", "vip")


def _random_world(rng: random.Random) -> tuple[list[Waiting], list[AgentSlot]]:
    items = [
        Waiting(
            conversation_id=f"c{n:03d}",
            team_id=rng.choice((None, None, *TEAMS)),
            priority=rng.choice((PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_NORMAL, PRIORITY_HIGH, PRIORITY_URGENT)),
            front=rng.random() < 0.15,
            queued_at=float(rng.randint(0, 50)),  # few distinct times: ties happen
        )
        for n in range(rng.randint(0, 40))
    ]
    agents = []
    for n in range(rng.randint(0, 8)):
        capacity = rng.randint(0, 5)
        agents.append(
            AgentSlot(
                agent_id=f"a{n}",
                online=rng.random() < 0.8,
                load=rng.randint(0, capacity + 2),  # sometimes over capacity (capacity was lowered)
                capacity=capacity,
                idle_since=float(rng.randint(0, 20)),
                team_ids=frozenset(t for t in TEAMS if rng.random() < 0.4),
            )
        )
    return items, agents


@pytest.mark.parametrize("seed_block", range(10))
def test_random_plans_keep_every_rule(seed_block: int) -> None:
    for seed in range(seed_block * 200, seed_block * 200 + 200):
        rng = random.Random(seed)
        items, agents = _random_world(rng)
        plan = plan_assignments(items, agents, NOW)
        by_id = {item.conversation_id: item for item in items}
        slots = {a.agent_id: a for a in agents}
        context = f"seed {seed}: {plan}"

        # Each waiting chat at most once, to a known agent, in queue order.
        assigned = [c for c, _ in plan]
        assert len(assigned) == len(set(assigned)), context
        assert set(assigned) <= set(by_id), context
        order = {item.conversation_id: n for n, item in enumerate(queue_order(items))}
        assert assigned == sorted(assigned, key=order.__getitem__), context

        # Replay the plan: each step is a legal, least-loaded, longest-idle choice.
        load = {a.agent_id: a.load for a in agents}
        idle = {a.agent_id: a.idle_since for a in agents}
        for conversation_id, agent_id in plan:
            team = by_id[conversation_id].team_id
            slot = slots[agent_id]
            assert slot.online, context
            assert team is None or team in slot.team_ids, context  # never a team chat to a non-member
            assert load[agent_id] < slot.capacity, context  # never past capacity
            eligible = [
                a for a in agents
                if a.online and load[a.agent_id] < a.capacity and (team is None or team in a.team_ids)
            ]
            best = min((load[a.agent_id], idle[a.agent_id], a.agent_id) for a in eligible)
            assert (load[agent_id], idle[agent_id], agent_id) == best, context
            load[agent_id] += 1
            idle[agent_id] = NOW

        # Capacity holds across the whole plan; agents already over capacity get nothing more.
        for a in agents:
            given = sum(1 for _, agent_id in plan if agent_id == a.agent_id)
            assert a.load + given <= max(a.capacity, a.load), context
            if not a.online:
                assert given == 0, context

        # The plan is complete: nobody left waiting could have been served by a slot still free.
        for item in items:
            if item.conversation_id in assigned:
                continue
            for a in agents:
                could = a.online and load[a.agent_id] < a.capacity
                assert not (could and (item.team_id is None or item.team_id in a.team_ids)), context

        # Within one queue, a later chat is never served while an earlier one keeps waiting.
        for team in (None, *TEAMS):
            queue = [i.conversation_id for i in queue_order(items) if i.team_id == team]
            served = [c in assigned for c in queue]
            assert served == sorted(served, reverse=True), context


# --- positions ------------------------------------------------------------------------------------------


def test_positions_count_only_the_same_queue() -> None:
    items = [
        waiting("g1", 1),
        waiting("v1", 2, team="vip"),
        waiting("g2", 3),
        waiting("s1", 4, team="sales"),
        waiting("v2", 5, team="vip"),
        waiting("g0", 9, priority=PRIORITY_HIGH),
        waiting("v0", 9, team="vip", front=True),
    ]
    assert positions(items) == {"g0": 1, "g1": 2, "g2": 3, "v0": 1, "v1": 2, "v2": 3, "s1": 1}
    assert positions([]) == {}


@pytest.mark.parametrize("seed", range(50))
def test_random_positions_are_1_to_n_in_each_queue_in_queue_order(seed: int) -> None:
    items, _ = _random_world(random.Random(seed))
    places = positions(items)
    assert set(places) == {i.conversation_id for i in items}
    for team in (None, *TEAMS):
        queue = [i.conversation_id for i in queue_order(items) if i.team_id == team]
        assert [places[c] for c in queue] == list(range(1, len(queue) + 1))


# --- wait estimates -------------------------------------------------------------------------------------


def test_no_agent_online_means_no_estimate() -> None:
    assert estimate_wait(1, 300.0, 0) is None
    assert estimate_wait(5, 300.0, 0, free_slots=3) is None
    assert estimate_wait(1, 300.0, -1) is None


def test_free_slots_mean_no_wait() -> None:
    assert estimate_wait(1, 300.0, 3, free_slots=1) == 0
    assert estimate_wait(3, 300.0, 3, free_slots=3) == 0
    assert estimate_wait(2, 300.0, 6, free_slots=5) == 0


def test_wait_is_the_chats_needed_times_the_time_between_finishes() -> None:
    # 3 slots finish a chat every 100 s on average; position 4 with 1 free slot needs 3 finishes.
    assert estimate_wait(4, 300.0, 3, free_slots=1) == 300
    assert estimate_wait(1, 300.0, 1) == 300
    assert estimate_wait(2, 300.0, 1) == 600
    assert estimate_wait(6, 120.0, 4) == 180
    assert estimate_wait(1, 300.0, 2) == 150


def test_wait_is_rounded_up_to_whole_seconds() -> None:
    assert estimate_wait(1, 100.0, 3) == 34  # 33.3 s
    assert estimate_wait(1, 0.5, 1) == 1
    assert isinstance(estimate_wait(1, 100.0, 3), int)


@pytest.mark.parametrize("seed", range(20))
def test_wait_grows_with_position_and_shrinks_with_slots(seed: int) -> None:
    rng = random.Random(seed)
    handling = rng.uniform(1, 1000)
    slots = rng.randint(1, 20)
    free = rng.randint(0, slots)
    waits = [estimate_wait(position, handling, slots, free) for position in range(1, 50)]
    assert all(w is not None and w >= 0 for w in waits)
    assert waits == sorted(waits)  # type: ignore[type-var]
    position = rng.randint(1, 49)
    expected = math.ceil(max(0, position - free) * handling / slots)
    assert estimate_wait(position, handling, slots, free) == expected
    more = estimate_wait(position, handling, slots + 1, free)
    assert more is not None and more <= waits[position - 1]  # type: ignore[operator]


def test_typical_handling_is_the_median() -> None:
    assert typical_handling_seconds([60.0, 120.0, 180.0]) == 120.0
    assert typical_handling_seconds([60.0, 120.0, 180.0, 240.0]) == 150.0
    assert typical_handling_seconds([100.0]) == 100.0


def test_typical_handling_ignores_one_chat_left_open_all_afternoon() -> None:
    assert typical_handling_seconds([200.0, 240.0, 260.0, 5 * 3600.0, 220.0]) == 240.0


def test_typical_handling_falls_back_to_the_default() -> None:
    assert typical_handling_seconds([]) == DEFAULT_HANDLING_SECONDS == 300.0
    assert typical_handling_seconds([0.0, -5.0]) == DEFAULT_HANDLING_SECONDS  # no real chats yet
    assert typical_handling_seconds([0.0, 0.0, 90.0]) == 90.0  # zeros are dropped before the median


def test_waiting_and_slots_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        waiting("c", 1).priority = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        agent("a").load = 5  # type: ignore[misc]
