"""next_deadline: when the periodic worker must look at an account again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.domain.guard import GuardConfig, Observation, next_deadline, observe, tick

T0 = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
CONFIG = GuardConfig(grace_seconds=10, stale_feed_seconds=60, verify_timeout_seconds=60)


def seen(equity: str, at: datetime = T0, tickets: tuple[int, ...] = (1,)) -> Observation:
    return Observation(at, Decimal(equity), Decimal(10000), tickets)


def test_a_watched_account_is_next_due_when_its_feed_would_go_stale() -> None:
    state, _ = observe(None, seen("10000"), CONFIG)
    assert next_deadline(state, CONFIG) == T0 + timedelta(seconds=60)


def test_a_breach_in_its_grace_is_due_when_the_grace_ends() -> None:
    state, _ = observe(None, seen("10000", T0 - timedelta(seconds=60)), CONFIG)  # no fast market
    state, _ = observe(state, seen("7000", T0 + timedelta(seconds=1)), CONFIG)
    assert next_deadline(state, CONFIG) == T0 + timedelta(seconds=11)


def test_a_stale_account_outside_a_breach_needs_no_tick() -> None:
    state, _ = observe(None, seen("10000"), CONFIG)
    state, _ = tick(state, T0 + timedelta(seconds=61), CONFIG)
    assert state.stale
    assert next_deadline(state, CONFIG) is None


def test_ticking_before_the_deadline_changes_nothing() -> None:
    state, _ = observe(None, seen("10000"), CONFIG)
    state, _ = observe(state, seen("7000", T0 + timedelta(seconds=1)), CONFIG)
    deadline = next_deadline(state, CONFIG)
    assert deadline is not None
    assert tick(state, deadline - timedelta(microseconds=1), CONFIG) == (state, [])
    assert tick(state, deadline, CONFIG)[1]
