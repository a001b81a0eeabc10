"""A deal counts once however often a terminal lists it (BRIDGE.md: de-duplicated by `ticket`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.deals import distinct_deals
from core.domain.guard import GuardConfig, GuardEvent, GuardState, observe
from core.domain.snapshot import AccountInfo, Deal, DealEntry, DealReason, DealType, Snapshot
from core.services.guard import observation

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CENT = Decimal("0.01")
CONFIG = GuardConfig(min_equity=Decimal(100), daily_loss_limit_percent=Decimal(10))


def deal(ticket: int, profit: str | Decimal, kind: DealType = DealType.BALANCE) -> Deal:
    return Deal(
        ticket=ticket,
        position=0,
        symbol="",
        type=kind,
        entry=DealEntry.IN,
        reason=DealReason.CLIENT,
        volume=Decimal(0),
        price=Decimal(0),
        time=T0,
        profit=Decimal(profit),
    )


# --- the pure function, by example ---------------------------------------------------------------


def test_a_deposit_listed_twice_in_one_snapshot_is_one_cash_flow() -> None:
    deposit = deal(7, "5000.00")
    assert distinct_deals([deposit, deposit]).cash_flows == (Decimal("5000.00"),)


def test_identical_copies_collapse_without_being_called_conflicts() -> None:
    distinct = distinct_deals([deal(7, "5000"), deal(8, "-20"), deal(7, "5000.00")])
    assert [d.ticket for d in distinct.new] == [7, 8]
    assert distinct.conflicts == ()


def test_a_second_copy_that_differs_is_a_conflict_and_the_first_copy_is_kept() -> None:
    distinct = distinct_deals([deal(7, "-3000"), deal(7, "3000")])
    assert distinct.new == (deal(7, "-3000"),)
    assert distinct.conflicts == (deal(7, "3000"),)
    assert distinct.cash_flows == (Decimal("-3000"),)


def test_tickets_already_known_are_not_new_however_often_they_are_listed() -> None:
    distinct = distinct_deals([deal(7, "50"), deal(9, "60"), deal(7, "50")], known_tickets={7})
    assert distinct.new == (deal(9, "60"),)


def test_a_withdrawal_listed_twice_does_not_move_the_peak_twice() -> None:
    first = observe(None, observation(_snapshot(1, Decimal(10000)), [], T0), CONFIG)[0]
    withdrawal = deal(11, "-3000.00")
    # a real 20 % loss together with the withdrawal: 10,000 -> 8,000, then 3,000 out -> 5,000
    listed_twice = [withdrawal, withdrawal]
    obs = observation(_snapshot(2, Decimal(5000), listed_twice), listed_twice, T0 + timedelta(seconds=1))
    state, events = observe(first, obs, CONFIG)
    assert state.drawdown_percent == Decimal(20)
    assert any(type(event).__name__ == "LiquidationTriggered" for event in events)


# --- the property: repeats never change a judgement ------------------------------------------------


@dataclass(frozen=True)
class Step:
    move_bp: int  # the market, in basis points of equity
    flows: tuple[int, ...]  # new deals this step, in percent of equity (0: a trade deal, not a flow)
    repeats: tuple[tuple[int, int, bool], ...]  # (which earlier deal, where to insert it, altered copy)


steps = st.lists(
    st.builds(
        Step,
        move_bp=st.integers(-3000, 1500),
        flows=st.lists(st.integers(-60, 150), max_size=3).map(tuple),
        repeats=st.lists(
            st.tuples(st.integers(0, 10_000), st.integers(0, 10), st.booleans()), max_size=4
        ).map(tuple),
    ),
    min_size=1,
    max_size=12,
)


def _snapshot(seq: int, equity: Decimal, deals: list[Deal] | tuple[Deal, ...] = ()) -> Snapshot:
    account = AccountInfo(5012345, "Broker-Live", "USD", equity, equity, Decimal(0), equity, 100)
    return Snapshot(seq=seq, time=T0, account=account, deals=tuple(deals))


def _sequences(plan: list[Step]) -> tuple[list[Snapshot], list[Snapshot]]:
    """The same account history twice: each deal listed once, and with repeats of deals already
    listed (in the same snapshot or an earlier one), some of them altered copies."""
    once: list[Snapshot] = []
    repeated: list[Snapshot] = []
    listed: list[Deal] = []
    equity = Decimal(10000)
    ticket = 1000
    for seq, step in enumerate(plan, start=1):
        equity = (equity * (1 + Decimal(step.move_bp) / 10000)).quantize(CENT)
        fresh: list[Deal] = []
        for percent in step.flows:
            ticket += 1
            amount = (equity * Decimal(percent) / 100).quantize(CENT)
            kind = DealType.BALANCE if percent else DealType.BUY
            fresh.append(deal(ticket, amount if percent else "0", kind))
            equity += amount if percent else 0
        listed += fresh
        with_repeats = list(fresh)
        for which, where, altered in step.repeats:
            if listed:
                copy = listed[which % len(listed)]
                copy = replace(copy, profit=copy.profit * 2 + 1) if altered else copy
                with_repeats.insert(min(where, len(with_repeats)), copy)
        with_repeats = _first_copies_first(with_repeats, fresh)
        once.append(_snapshot(seq, equity, fresh))
        repeated.append(_snapshot(seq, equity, with_repeats))
    return once, repeated


def _first_copies_first(deals: list[Deal], fresh: list[Deal]) -> list[Deal]:
    """An altered copy of a new deal may not come before its real first copy (that would make the
    altered one the first, which is a different history, not a repeat)."""
    originals = {d.ticket: d for d in fresh}
    seen: set[int] = set()
    ordered: list[Deal] = []
    for d in deals:
        if d.ticket in originals and d.ticket not in seen and d != originals[d.ticket]:
            continue
        seen.add(d.ticket)
        ordered.append(d)
    return ordered


def _judge(snapshots: list[Snapshot]) -> tuple[GuardState, list[GuardEvent]]:
    """As the server does: deals not stored before (one per ticket), then the guard."""
    state: GuardState | None = None
    events: list[GuardEvent] = []
    stored: set[int] = set()
    for index, snap in enumerate(snapshots):
        new = distinct_deals(snap.deals, known_tickets=stored).new
        stored |= {d.ticket for d in new}
        state, happened = observe(state, observation(snap, list(new), T0 + timedelta(seconds=index)), CONFIG)
        events += happened
    assert state is not None
    return state, events


@settings(max_examples=300, deadline=None)
@given(steps)
def test_any_snapshot_sequence_with_repeated_deals_judges_exactly_as_with_each_deal_once(
    plan: list[Step],
) -> None:
    once, repeated = _sequences(plan)
    assert _judge(repeated) == _judge(once)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_repeats_handed_to_the_guard_as_new_deals_still_count_once(plan: list[Step]) -> None:
    """Even a store that returned a snapshot's repeats as new could not make the guard count them."""
    once, repeated = _sequences(plan)
    seen_once: set[int] = set()

    def news(snap: Snapshot, seen: set[int]) -> list[Deal]:
        fresh = [d for d in snap.deals if d.ticket not in seen]
        seen |= {d.ticket for d in snap.deals}
        return fresh

    seen_repeated: set[int] = set()
    state_a: GuardState | None = None
    state_b: GuardState | None = None
    for index, (a, b) in enumerate(zip(once, repeated, strict=True)):
        now = T0 + timedelta(seconds=index)
        state_a, events_a = observe(state_a, observation(a, news(a, seen_once), now), CONFIG)
        state_b, events_b = observe(state_b, observation(b, news(b, seen_repeated), now), CONFIG)
        assert (state_b, events_b) == (state_a, events_a)
