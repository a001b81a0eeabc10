"""Builders shared by the guard's unit tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from core.domain.guard import GuardConfig, GuardEvent, GuardState, Observation, observe, tick

T0 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
DEFAULT = GuardConfig()
Money = str | int | Decimal
When = float | datetime
E = TypeVar("E", bound=GuardEvent)


def at(when: When) -> datetime:
    """Seconds after T0, or a datetime as it is."""
    return when if isinstance(when, datetime) else T0 + timedelta(seconds=when)


def snap(
    equity: Money,
    when: When = 0,
    *,
    balance: Money | None = None,
    tickets: Iterable[int] = (1,),
    flows: Iterable[Money] = (),
) -> Observation:
    return Observation(
        time=at(when),
        equity=Decimal(equity),
        balance=Decimal(equity if balance is None else balance),
        open_tickets=tuple(tickets),
        cash_flows=tuple(Decimal(flow) for flow in flows),
    )


def feed(
    observations: Iterable[Observation], config: GuardConfig = DEFAULT, state: GuardState | None = None
) -> tuple[GuardState, list[GuardEvent]]:
    events: list[GuardEvent] = []
    for obs in observations:
        state, new = observe(state, obs, config)
        events += new
    assert state is not None, "feed needs at least one observation"
    return state, events


def tick_at(
    state: GuardState, when: When, config: GuardConfig = DEFAULT
) -> tuple[GuardState, list[GuardEvent]]:
    return tick(state, at(when), config)


def of_type(events: Iterable[GuardEvent], kind: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


def kinds(events: Iterable[GuardEvent]) -> list[str]:
    return [type(event).__name__ for event in events]
