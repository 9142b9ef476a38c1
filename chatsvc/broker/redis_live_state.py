"""Live state in Redis (see ``live_state.py`` for the contract).

Keys, all under the prefix (``CHATSVC_REDIS_PREFIX``):

- ``live:agents``: a set of the agent ids that have a record;
- ``live:agent:ID``: the record, a hash (name, status, capacity, teams, idle_since, rev, left_at);
- ``live:procs:ID``: a set of the processes that hold (or held) a lease for the agent;
- ``live:lease:ID:PROCESS``: that process's socket count for the agent, with a TTL (``CHATSVC_PRESENCE_TTL``);
- ``live:mirror``: the queue and loads as the last dispatch saw them (JSON).

Writes and the snapshot are Lua scripts, so that a record and its lease change together and a snapshot of every
agent is one round trip; the snapshot also forgets leases that expired. Times that decide a requeue (``left_at``)
and the order of record changes (``rev`` of ``change`` and ``update``) come from the Redis server's clock, the same
for every process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chatsvc.broker.live_state import AgentRecord, LiveState, QueueMirror, _field

log = logging.getLogger("chatsvc.live_state")

_PUT = """
local p, proc, ttl, id, sockets, rev = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local force = ARGV[7] == '1'
local rec = p .. 'live:agent:' .. id
local procs = p .. 'live:procs:' .. id
local lease = p .. 'live:lease:' .. id .. ':' .. proc
redis.call('SADD', p .. 'live:agents', id)
local stored = tonumber(redis.call('HGET', rec, 'rev') or '0') or 0
if force then
  local t = redis.call('TIME')
  rev = math.max(tonumber(t[1]) + tonumber(t[2]) / 1000000, stored + 0.000001)
end
if force or stored <= rev then
  for i = 8, #ARGV, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
end
if force then redis.call('HSET', rec, 'rev', string.format('%.6f', rev)) end
if sockets > 0 then
  redis.call('SET', lease, sockets, 'PX', ttl)
  redis.call('SADD', procs, proc)
  redis.call('HDEL', rec, 'left_at')
else
  redis.call('DEL', lease)
  redis.call('SREM', procs, proc)
end
return string.format('%.6f', rev)
"""

_SNAPSHOT = """
local p = ARGV[1]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'live:agents')) do
  local rec = p .. 'live:agent:' .. id
  local procs = p .. 'live:procs:' .. id
  local fields = redis.call('HGETALL', rec)
  local sockets = 0
  for _, proc in ipairs(redis.call('SMEMBERS', procs)) do
    local n = redis.call('GET', p .. 'live:lease:' .. id .. ':' .. proc)
    if n then sockets = sockets + tonumber(n) else redis.call('SREM', procs, proc) end
  end
  if #fields == 0 and sockets == 0 then
    redis.call('SREM', p .. 'live:agents', id)
  else
    table.insert(out, id)
    table.insert(out, sockets)
    table.insert(out, fields)
  end
end
return out
"""

_MARK_LEFT = """
local p, id = ARGV[1], ARGV[2]
local rec = p .. 'live:agent:' .. id
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('SADD', p .. 'live:agents', id)
redis.call('HSETNX', rec, 'left_at', string.format('%.6f', now))
return tostring(now - tonumber(redis.call('HGET', rec, 'left_at')))
"""

_UPDATE = """
local p, id, only_if_gone = ARGV[1], ARGV[2], ARGV[3] == '1'
local rec = p .. 'live:agent:' .. id
if redis.call('EXISTS', rec) == 0 then return 0 end
if only_if_gone then
  for _, proc in ipairs(redis.call('SMEMBERS', p .. 'live:procs:' .. id)) do
    if redis.call('EXISTS', p .. 'live:lease:' .. id .. ':' .. proc) == 1 then return 0 end
  end
end
local stored = tonumber(redis.call('HGET', rec, 'rev') or '0') or 0
local t = redis.call('TIME')
local rev = math.max(tonumber(t[1]) + tonumber(t[2]) / 1000000, stored + 0.000001)
for i = 4, #ARGV, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', rec, 'rev', string.format('%.6f', rev))
return 1
"""

_DROP = """
local p, proc = ARGV[1], ARGV[2]
for _, id in ipairs(redis.call('SMEMBERS', p .. 'live:agents')) do
  redis.call('DEL', p .. 'live:lease:' .. id .. ':' .. proc)
  redis.call('SREM', p .. 'live:procs:' .. id, proc)
end
return 1
"""

MIRROR_TTL_MIN = 30.0  # seconds; a mirror nobody refreshes is dropped and rebuilt from the database


class RedisLiveState(LiveState):
    name = "redis"

    def __init__(self, url: str, *, prefix: str = "chatsvc:", ttl: float = 15.0, process_id: str | None = None):
        super().__init__(ttl=ttl, process_id=process_id)
        self.prefix = prefix
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._put = self._client.register_script(_PUT)
        self._snapshot = self._client.register_script(_SNAPSHOT)
        self._mark_left = self._client.register_script(_MARK_LEFT)
        self._update = self._client.register_script(_UPDATE)
        self._drop = self._client.register_script(_DROP)
        self._down = False

    # --- fail soft: one warning per outage -------------------------------------------------------------

    def _failed(self, what: str) -> None:
        if not self._down:
            log.warning("redis unreachable (%s); presence falls back to this process's own view", what)
        self._down = True

    def _ok(self) -> None:
        if self._down:
            log.info("redis reachable again; shared presence resumes")
        self._down = False

    # --- the contract ---------------------------------------------------------------------------------

    async def stop(self) -> None:
        await self.drop_leases()
        try:
            await self._client.aclose()
        except (RedisError, OSError):
            pass

    def _put_args(self, record: AgentRecord, *, force: bool) -> list[str]:
        flat: list[str] = []
        for key, value in record.fields().items():
            flat += [key, value]
        ttl_ms = str(max(1, int(self.ttl * 1000)))
        return [self.prefix, self.process_id, ttl_ms, record.user_id, str(record.sockets), repr(record.rev),
                "1" if force else "0", *flat]

    async def put(self, records: Iterable[AgentRecord]) -> bool:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                count = 0
                for record in records:
                    await self._put(args=self._put_args(record, force=False), client=pipe)
                    count += 1
                if count:
                    await pipe.execute()
        except (RedisError, OSError):
            self._failed("put")
            return False
        self._ok()
        return True

    async def change(self, record: AgentRecord) -> float | None:
        try:
            rev = await self._put(args=self._put_args(record, force=True))
        except (RedisError, OSError):
            self._failed("change")
            return None
        self._ok()
        return float(_text(rev))

    async def update(self, user_id: str, *, only_if_gone: bool = False, **fields: object) -> None:
        flat: list[str] = []
        for key, value in fields.items():
            flat += [key, _field(value)]
        try:
            await self._update(args=[self.prefix, user_id, "1" if only_if_gone else "0", *flat])
        except (RedisError, OSError):
            self._failed("update")
            return
        self._ok()

    async def snapshot(self) -> dict[str, AgentRecord] | None:
        try:
            raw = await self._snapshot(args=[self.prefix])
        except (RedisError, OSError):
            self._failed("snapshot")
            return None
        self._ok()
        result: dict[str, AgentRecord] = {}
        for i in range(0, len(raw), 3):
            user_id = _text(raw[i])
            flat = raw[i + 2]
            fields = {_text(flat[j]): _text(flat[j + 1]) for j in range(0, len(flat), 2)}
            result[user_id] = AgentRecord.from_fields(user_id, fields, int(raw[i + 1]))
        return result

    async def mark_left(self, user_id: str) -> float | None:
        try:
            elapsed = await self._mark_left(args=[self.prefix, user_id])
        except (RedisError, OSError):
            self._failed("mark_left")
            return None
        self._ok()
        return max(0.0, float(_text(elapsed)))

    async def clear_left(self, user_id: str) -> None:
        try:
            await self._client.hdel(f"{self.prefix}live:agent:{user_id}", "left_at")
        except (RedisError, OSError):
            self._failed("clear_left")

    async def drop_leases(self) -> None:
        try:
            await self._drop(args=[self.prefix, self.process_id])
        except (RedisError, OSError):
            self._failed("drop_leases")

    async def put_mirror(self, mirror: QueueMirror) -> None:
        data = json.dumps({"version": mirror.version, "queue": mirror.queue, "positions": mirror.positions,
                           "loads": mirror.loads})
        try:
            await self._client.set(f"{self.prefix}live:mirror", data, px=int(max(MIRROR_TTL_MIN, self.ttl) * 1000))
        except (RedisError, OSError):
            self._failed("put_mirror")

    async def get_mirror(self) -> QueueMirror | None:
        try:
            raw = await self._client.get(f"{self.prefix}live:mirror")
        except (RedisError, OSError):
            self._failed("get_mirror")
            return None
        if raw is None:
            return None
        try:
            data: dict[str, Any] = json.loads(raw)
            return QueueMirror(
                version=int(data["version"]), queue=[str(i) for i in data["queue"]],
                positions={str(k): int(v) for k, v in data["positions"].items()},
                loads={str(k): int(v) for k, v in data["loads"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


    async def clear_mirror(self) -> None:
        try:
            await self._client.delete(f"{self.prefix}live:mirror")
        except (RedisError, OSError):
            self._failed("clear_mirror")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
