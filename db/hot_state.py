"""The hot state in Redis (core.services.ports.hot): one hash per account, `tg:v1:{acct:<id>}:hot`,
and its hold marker `…:hold`. Both carry the hash tag `{acct:<id>}`, so on a Redis Cluster an account's
keys share a slot and the scripts below may touch them together.

Every write is one Lua script: the compare-and-set of a steady snapshot, the rev-ordered store after
a durable commit, the hold and the refresh mark. The JSON never holds pickles: Decimals are exact
strings, times ISO 8601 (core.domain.codec)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from redis.asyncio import Redis

from core.domain.codec import decode_optional_time, encode_optional_time
from core.domain.guard.state import GuardState
from core.services.ports.hot import HotAccount, HotContext
from db.redis_store import PREFIX

JsonDict = dict[str, Any]
HOT_TTL_SECONDS = 86400  # an account silent for a day is rebuilt from Postgres when it speaks again

CAS_WRITE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local v = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if v then return 0 end
elseif v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', (tonumber(v) or 0) + 1, 'refresh', '0')
redis.call('HSET', KEYS[1], 'rev', ARGV[4], 'data', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
PUT_NEWER = """
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '-1')
if rev >= tonumber(ARGV[3]) then return 0 end
local refresh = redis.call('HGET', KEYS[1], 'refresh') or '0'
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'refresh', refresh, 'rev', ARGV[3], 'data', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
READ = """
local found = redis.call('HMGET', KEYS[1], 'data', 'version', 'rev', 'refresh')
found[5] = redis.call('EXISTS', KEYS[2])
return found
"""
MARK = """
if ARGV[1] ~= '' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[1]) else redis.call('DEL', KEYS[2]) end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  redis.call('HSET', KEYS[1], 'refresh', '1')
end
return 1
"""


def hot_key(account_id: int) -> str:
    return f"{PREFIX}:{{acct:{account_id}}}:hot"


def hold_key(account_id: int) -> str:
    return f"{PREFIX}:{{acct:{account_id}}}:hold"


def account_to_json(account: HotAccount) -> bytes:
    context = account.context
    data: JsonDict = {
        "context": {
            "login": context.login,
            "server": context.server,
            "chat_id": context.chat_id,
            "personal_limit": None if context.personal_limit is None else str(context.personal_limit),
            "shared": context.shared,
        },
        "guard": None if account.guard is None else account.guard.to_dict(),
        "seqs": account.seqs,
        "deals": list(account.deal_tickets),
        "snapshot": account.snapshot,
        "received_at": encode_optional_time(account.received_at),
        "commands": list(account.commands),
    }
    return msgspec.json.encode(data)  # every part is JSON already: the snapshot, commands, the guard


def account_from_json(raw: str | bytes, version: int, rev: int, refresh: bool) -> HotAccount:
    data = msgspec.json.decode(raw)  # several times faster than json.loads, the same values
    context = data["context"]
    limit = context["personal_limit"]
    return HotAccount(
        context=HotContext(
            context["login"],
            context["server"],
            context["chat_id"],
            None if limit is None else Decimal(limit),
            bool(context["shared"]),
        ),
        guard=None if data["guard"] is None else GuardState.from_dict(data["guard"]),
        rev=rev,
        seqs={device: int(seq) for device, seq in data["seqs"].items()},
        deal_tickets=tuple(int(ticket) for ticket in data["deals"]),
        snapshot=data["snapshot"],
        received_at=decode_optional_time(data["received_at"]),
        commands=tuple(data["commands"]),
        version=version,
        refresh=refresh,
    )


def _text(value: str | bytes) -> str:
    """The client may or may not decode responses (db.engine.make_redis decodes them)."""
    return value.decode() if isinstance(value, bytes) else value


class RedisHotState:
    def __init__(self, redis: Redis, ttl_seconds: int = HOT_TTL_SECONDS) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self._cas = redis.register_script(CAS_WRITE)
        self._put_newer = redis.register_script(PUT_NEWER)
        self._mark = redis.register_script(MARK)
        self._read = redis.register_script(READ)

    async def read(self, account_id: int) -> tuple[HotAccount | None, bool]:
        """One script (one round trip): the hash's fields and the hold."""
        data, version, rev, refresh, held = await self._read(keys=[hot_key(account_id), hold_key(account_id)])
        if data is None:
            return None, bool(held)
        account = account_from_json(
            data, int(version), int(rev), refresh is not None and _text(refresh) == "1"
        )
        return account, bool(held)

    async def write(self, account_id: int, account: HotAccount, expected: int | None) -> bool:
        keys = [hot_key(account_id), hold_key(account_id)]
        args = [
            "" if expected is None else str(expected),
            account_to_json(account),
            self.ttl_seconds,
            account.rev,
        ]
        return bool(await self._cas(keys=keys, args=args))

    async def put_newer(self, account_id: int, account: HotAccount) -> None:
        args = [account_to_json(account), self.ttl_seconds, account.rev]
        await self._put_newer(keys=[hot_key(account_id)], args=args)

    async def hold(self, account_id: int, seconds: float) -> None:
        await self._mark(keys=[hot_key(account_id), hold_key(account_id)], args=[int(seconds * 1000)])

    async def refresh(self, account_ids: set[int]) -> None:
        for account_id in sorted(account_ids):  # one slot per account: a script each (Cluster-ready)
            await self._mark(keys=[hot_key(account_id), hold_key(account_id)], args=[""])

    async def drop_all(self) -> None:
        async for key in self.redis.scan_iter(match=f"{PREFIX}:{{acct:*"):
            await self.redis.delete(key)
