"""Signals, their delivery to each account, the trades they make us expect, and each user's mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.domain.signals import Delivery, ExpectedTrade, Signal, SignalMode


@dataclass(frozen=True)
class Follower:
    """A linked account as a signal's fan-out needs it: its owner, the owner's mode, and whether its
    guard (as Postgres holds it: locks and liquidations are durable) lets it open anything."""

    account_id: int
    login: int
    server: str
    owner_id: int
    owner_telegram_id: int
    mode: SignalMode
    currency: str = ""
    locked: bool = False
    liquidated: bool = False


class SignalRepository(Protocol):
    async def add(self, signal: Signal) -> bool:
        """Store a new signal; False (nothing changed) when its id is already stored. Two concurrent
        adds of one id: the second waits for the first to commit, then gets False."""
        ...

    async def get(self, signal_id: str) -> Signal | None: ...
    async def followers(self) -> list[Follower]:
        """Every linked account, oldest first."""
        ...

    async def follower(self, account_id: int) -> Follower | None: ...
    async def add_delivery(self, delivery: Delivery, now: datetime) -> None: ...
    async def lock_delivery(self, signal_id: str, account_id: int) -> Delivery | None:
        """The delivery, locked until the unit of work ends (one decision per delivery)."""
        ...

    async def decide(self, delivery: Delivery, now: datetime) -> None:
        """Store the delivery's new status, reason and command."""
        ...

    async def deliveries(self, signal_id: str) -> list[Delivery]: ...
    async def add_expected(self, trade: ExpectedTrade) -> None: ...
    async def expected(self, account_id: int) -> list[ExpectedTrade]:
        """The account's expected trades, oldest first; `ticket` from the EA's ack once it came."""
        ...

    async def mode(self, user_id: int) -> SignalMode: ...
    async def set_mode(self, user_id: int, mode: SignalMode) -> None: ...
