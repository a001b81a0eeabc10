"""The write-behind of steady snapshots (core.services.ports.hot): the account_state rows (peak equity,
the day's opening balance, the guard, the last seq) and one equity point per account and minute reach
Postgres at most PEAK_FLUSH_SECONDS behind, each batch as one multi-row statement per table.

Dirty accounts are collected in memory, the newest state of each (by rev) replacing older ones. A
failed batch is kept (merged with what came since, newer wins) and retried after a back-off; the outage
is logged once (core.services.health). `close()` flushes what is left on shutdown. A process that dies
loses at most one interval: the hot state in Redis still has it, and the next flush of any process
that judges the account carries it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from decimal import Decimal

from core.services.health import Health
from core.services.ports.hot import EquityPoint, StateFlush, StateFlushWriter

FLUSH_HEALTH = "state-flusher"


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class StateFlusher:
    def __init__(
        self, writer: StateFlushWriter, interval_seconds: float, health: Health | None = None
    ) -> None:
        self.writer = writer
        self.interval_seconds = interval_seconds
        self.health = health or Health(FLUSH_HEALTH)
        self.states: dict[int, StateFlush] = {}
        self.points: dict[tuple[int, datetime], EquityPoint] = {}

    def note(self, state: StateFlush) -> None:
        """A steady snapshot's state, to be written behind."""
        self._keep(state)
        self.note_point(state.account_id, state.received_at, state.equity, state.balance)

    def note_point(self, account_id: int, received_at: datetime, equity: Decimal, balance: Decimal) -> None:
        """The account's equity at `received_at`: the last one of each minute is kept."""
        minute = minute_of(received_at)
        self.points[(account_id, minute)] = EquityPoint(account_id, minute, equity, balance)

    def _keep(self, state: StateFlush) -> None:
        known = self.states.get(state.account_id)
        if known is None or known.rev < state.rev:
            self.states[state.account_id] = state

    @property
    def dirty(self) -> int:
        return len(self.states) + len(self.points)

    async def flush(self) -> None:
        """One batch; on failure what it held stays dirty and the error is raised."""
        if not self.states and not self.points:
            return
        states, points = self.states, self.points
        self.states, self.points = {}, {}
        try:
            await self.writer.write(list(states.values()), list(points.values()))
        except BaseException:
            for state in states.values():
                self._keep(state)
            self.points = points | self.points  # a later point of the same minute wins
            raise

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.flush()
            except Exception as error:
                wait = max(self.interval_seconds, self.health.failed(error))
            else:
                self.health.succeeded()
                wait = self.interval_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def close(self) -> None:
        """On shutdown: one last try (a failure is logged by the health, and what it held is lost)."""
        try:
            await self.flush()
        except Exception as error:
            self.health.failed(error)
