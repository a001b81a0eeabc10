"""The queue of updates waiting for the bot, shared by long polling and webhook delivery."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from sim.telegram.constants import JsonDict
from sim.telegram.errors import bad_request
from sim.telegram.params import Params
from sim.telegram.records import IncomingUpdate
from sim.telegram.signals import Signal, Subscribers

# Update types Telegram withholds unless they are asked for explicitly in allowed_updates.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue:
    """Updates oldest first, kept until getUpdates confirms them or the webhook accepts them.

    :attr:`signal` rings whenever a reader should look again: an update arrived, a webhook was
    set or deleted, a newer getUpdates started, or the stand-in is closing.
    """

    def __init__(self) -> None:
        self.signal = Signal()
        self.subscribers: Subscribers[IncomingUpdate] = Subscribers()
        self.closing = False
        self._pending: list[JsonDict] = []
        self._update_ids = itertools.count(100_000_001)

    async def enqueue(self, kind: str, payload: Any, user_id: int | None, text: str | None) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        self._pending.append(update)
        self.signal.notify()
        incoming = IncomingUpdate(update_id, user_id, kind, text, copy.deepcopy(update))
        await self.subscribers.notify(incoming)
        return update_id

    def close(self) -> None:
        self.closing = True
        self.signal.notify()

    @property
    def pending(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by the bot (copies)."""
        return copy.deepcopy(self._pending)

    def __len__(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        self._pending.clear()

    def confirm(self, offset: int | None) -> None:
        """Forget updates below ``offset`` (a negative offset keeps only the last -offset ones)."""
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def confirm_one(self, update_id: int) -> None:
        self._pending = [update for update in self._pending if update["update_id"] != update_id]

    def take_allowed(self, allowed: frozenset[str] | None, limit: int) -> list[JsonDict]:
        """Drop queued updates of types the bot did not ask for; return up to ``limit`` copies."""
        self._pending = [update for update in self._pending if is_allowed(update, allowed)]
        return copy.deepcopy(self._pending[:limit])


def allowed_updates(params: Params) -> frozenset[str] | None:
    raw = params.json("allowed_updates", "allowed updates")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(kind, str) for kind in raw):
        raise bad_request("can't parse allowed updates JSON object")
    return frozenset(raw)


def update_type(update: JsonDict) -> str:
    return next((key for key in update if key != "update_id"), "")


def is_allowed(update: JsonDict, allowed: frozenset[str] | None) -> bool:
    kind = update_type(update)
    return kind in allowed if allowed else kind not in _OPT_IN_UPDATE_TYPES
