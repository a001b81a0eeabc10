"""The wash-trade checks in referred accounts, each firing on wash volume and quiet on honest trading."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates.fraud import FraudInputs, RoundTrip, Sighting
from core.domain.affiliates.fraud.index import build_index
from core.domain.affiliates.fraud.wash import wash_flat_pnl, wash_mirror, wash_net_flat, wash_short_hold
from tests.unit.test_fraud_linked import CONFIG, T, link, reasons, refer, run, seen, world

LOT = Decimal(1)


def trip(
    user: int,
    position: int,
    opened: datetime = T,
    hold: timedelta = timedelta(minutes=30),
    volume: Decimal = LOT,
    profit: Decimal = Decimal(100),
    side: str = "buy",
    symbol: str = "EURUSD",
) -> RoundTrip:
    return RoundTrip(10 * user, position, symbol, side, volume, opened, opened + hold, profit, Decimal(-7))


def trading(*trips: RoundTrip, sightings: tuple[Sighting, ...] = ()) -> FraudInputs:
    """1 refers 2; 3 is an unreferred user who trades from 2's address (same cluster)."""
    sightings = sightings or (seen(2, "198.51.100.7", T), seen(3, "198.51.100.7", T + timedelta(days=3)))
    return world(
        links=(link(1), link(2), link(3)), referrals=refer(1, 2), sightings=sightings, round_trips=trips
    )


def many(count: int, **kw: object) -> tuple[RoundTrip, ...]:
    return tuple(trip(2, n, opened=T + timedelta(minutes=10 * n), **kw) for n in range(count))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("trips", "weight"),
    [
        (many(20, hold=timedelta(seconds=30)), Decimal(30)),
        (many(16, hold=timedelta(seconds=30)) + many(4, hold=timedelta(minutes=5)), Decimal(24)),  # 80% short
        (many(15, hold=timedelta(seconds=30)) + many(5, hold=timedelta(minutes=5)), None),  # 75%
        (many(19, hold=timedelta(seconds=30)), None),  # too few round trips to judge
        (many(20, hold=timedelta(minutes=2)), None),  # exactly the minimum hold is not short
    ],
)
def test_wash_short_hold(trips: tuple[RoundTrip, ...], weight: Decimal | None) -> None:
    found = run(wash_short_hold, trading(*trips))
    assert [f.signal.weight for f in found] == ([weight] if weight else [])
    assert all(f.positions == () for f in found)  # short holds alone withhold nothing: scalping is legal


@pytest.mark.parametrize(
    ("profit", "fires"),
    [(Decimal(5), True), (Decimal(-7), True), (Decimal("7.01"), False), (Decimal(-150), False)],
)
def test_wash_flat_pnl(profit: Decimal, fires: bool) -> None:
    found = run(wash_flat_pnl, trading(*many(20, profit=profit)))
    assert reasons(found) == (["wash_flat_pnl:u2"] if fires else [])
    if fires:
        assert found[0].signal.weight == Decimal(70)
        assert found[0].positions == tuple((20, n) for n in range(20))


def mirrored(**other: object) -> tuple[RoundTrip, RoundTrip]:
    legs: dict[str, object] = {"opened": T + timedelta(seconds=8), "side": "sell", "profit": Decimal(-100)}
    legs.update(other)
    return trip(2, 1), trip(3, 2, **legs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("other", "fires"),
    [
        ({}, True),
        ({"volume": Decimal("0.95")}, True),  # within 10%
        ({"side": "buy"}, False),
        ({"volume": Decimal("0.8")}, False),
        ({"symbol": "GBPUSD"}, False),
        ({"opened": T + timedelta(minutes=2)}, False),
        ({"hold": timedelta(minutes=40)}, False),  # closed ten minutes apart
    ],
)
def test_wash_mirror_across_linked_accounts(other: dict[str, object], fires: bool) -> None:
    found = run(wash_mirror, trading(*mirrored(**other)))
    assert reasons(found) == (["wash_mirror:u2"] if fires else [])
    if fires:
        assert found[0].positions == ((20, 1),)  # the referee's side: the volume rebates are paid on
        assert [leg["account"] for leg in found[0].signal.evidence["pairs"][0]["legs"]] == [20, 30]


def test_no_mirror_between_strangers() -> None:
    elsewhere = (seen(2, "198.51.100.7", T), seen(3, "203.0.113.9", T))
    assert run(wash_mirror, trading(*mirrored(), sightings=elsewhere)) == []


def flat_day(sell: Decimal = LOT) -> tuple[RoundTrip, ...]:
    """Over one day the referee buys 4 x 1.5 lots, the other account sells 6 lots hours apart."""
    buys = [trip(2, n, T + timedelta(hours=4 * n), volume=Decimal("1.5")) for n in range(4)]
    sells = [trip(3, 10 + n, T + timedelta(hours=2 * n + 1), volume=sell, side="sell") for n in range(6)]
    return (*buys, *sells)


@pytest.mark.parametrize(
    ("trips", "fires"),
    [
        (flat_day(), True),
        (flat_day(sell=Decimal("1.1")), False),  # net 0.6 of 12.6 lots: about 5%
        (flat_day()[:-1], False),  # nine round trips are too few to judge
    ],
)
def test_wash_net_flat(trips: tuple[RoundTrip, ...], fires: bool) -> None:
    found = run(wash_net_flat, trading(*trips))
    assert reasons(found) == (["wash_net_flat:u2"] if fires else [])
    if fires:
        window = found[0].signal.evidence["windows"][0]
        assert (window["volume"], window["net"], window["accounts"]) == ("12.0", "0.0", [20, 30])
        assert found[0].positions == tuple((20, n) for n in range(4))


def test_one_account_trading_both_ways_is_not_a_cluster_trading_with_itself() -> None:
    trips = [trip(2, n, T + timedelta(hours=n), side="buy" if n % 2 else "sell") for n in range(12)]
    assert run(wash_net_flat, trading(*trips)) == []


def test_a_crowd_netting_out_by_chance_is_not_a_ring() -> None:
    """Seven accounts of one (carrier-grown) cluster, each one way, net flat: too many to be a ring."""
    buyers, sellers = (3, 5, 7), (2, 4, 6, 8)
    trips = [trip(u, 10 * u + n, T + timedelta(hours=n), side="buy") for u in buyers for n in range(4)]
    trips += [trip(u, 10 * u + n, T + timedelta(hours=n), side="sell") for u in sellers for n in range(3)]
    links = tuple(link(u) for u in range(1, 9))
    sightings = tuple(seen(u, "100.64.0.1", T) for u in range(2, 9))
    inputs = world(links=links, referrals=refer(1, 2), sightings=sightings, round_trips=tuple(trips))
    assert run(wash_net_flat, inputs) == []
    seven = replace(CONFIG, net_flat_max_accounts=7)
    assert reasons(wash_net_flat(1, build_index(inputs, seven), seven)) == ["wash_net_flat:u2"]
