"""Wash-trade checks in referred accounts (where rebates are paid per lot). Each is
`check(referrer, index, config) -> list[Finding]`, one finding per referee; the positions a finding names
are the wash volume whose rebates are withheld. Short holds alone withhold nothing: scalping is legal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.domain.affiliates.fraud.index import Index
from core.domain.affiliates.fraud.inputs import FraudConfig, RoundTrip
from core.domain.affiliates.fraud.score import Finding, finding
from core.domain.codec import encode_time

_HUNDREDTH = Decimal("0.01")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Pair = tuple[RoundTrip, RoundTrip]


def wash_short_hold(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """A high share of a referee's round trips held under `wash_min_hold`."""
    short = _short(config)
    return _share_check(
        referrer, ix, config, "wash_short_hold", config.wash_short_share, short, withhold=False
    )


def wash_flat_pnl(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """A high share of round trips whose gross profit does not cover their costs: |profit| <= |commission|
    + spread cost. Volume traded for its own sake, for the rebate."""
    return _share_check(referrer, ix, config, "wash_flat_pnl", config.wash_flat_share, _flat, withhold=True)


def _short(config: FraudConfig) -> Callable[[RoundTrip], bool]:
    return lambda t: t.closed_at - t.opened_at < config.wash_min_hold


def _flat(trip: RoundTrip) -> bool:
    return abs(trip.profit) <= abs(trip.commission) + abs(trip.spread_cost)


def _share_check(
    referrer: int,
    ix: Index,
    config: FraudConfig,
    rule: str,
    share_min: Decimal,
    hit: Callable[[RoundTrip], bool],
    withhold: bool,
) -> list[Finding]:
    found = []
    for referee in ix.referees_of.get(referrer, ()):
        trips = ix.trips_of_user(referee)
        if len(trips) < config.wash_min_round_trips:
            continue
        hits = [t for t in trips if hit(t)]
        share = (Decimal(len(hits)) / len(trips)).quantize(_HUNDREDTH)
        if share >= share_min:
            evidence = {
                "referee": referee,
                "round_trips": len(trips),
                "count": len(hits),
                "share": str(share),
            }
            positions = _positions(hits) if withhold else ()
            found.append(finding(rule, f"u{referee}", evidence, strength=share, positions=positions))
    return found


def _positions(trips: Sequence[RoundTrip]) -> list[tuple[int, int]]:
    return [(t.account_id, t.position_id) for t in trips]


def wash_mirror(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """Opposite positions on one symbol in two MT5 accounts of one cluster, opened and closed within
    `mirror_window` of each other with volumes within `mirror_volume_tolerance`."""
    found = []
    for referee in ix.referees_of.get(referrer, ()):
        accounts = {link.account_id for link in ix.links(referee)}
        pairs = [
            p for p in _component_pairs(ix, referee, config) if {p[0].account_id, p[1].account_id} & accounts
        ]
        if pairs:
            evidence = {"referee": referee, "pairs": [_pair_evidence(p) for p in pairs]}
            positions = _positions([t for p in pairs for t in p if t.account_id in accounts])
            found.append(
                finding("wash_mirror", f"u{referee}", evidence, strength=len(pairs), positions=positions)
            )
    return found


def _component_pairs(ix: Index, user: int, config: FraudConfig) -> list[Pair]:
    pairs: list[Pair] = _per_component(ix, user, config, _mirror_pairs)
    return pairs


def _per_component(ix: Index, user: int, config: FraudConfig, compute: Callable[..., Any]) -> Any:
    """`compute` over the round trips of the user's cluster, once per cluster and scan: every referee
    in a cluster (and every referrer of theirs) reads the same answer."""
    component = ix.graph.component(user)
    key = (compute.__name__, component)
    if key not in ix.memo:
        ix.memo[key] = compute(_component_trips(ix, component), ix, config)
    return ix.memo[key]


def _component_trips(ix: Index, component: int) -> list[RoundTrip]:
    users = ix.graph.members.get(component, (component,))
    return [t for user in users for t in ix.trips_of_user(user)]


def _mirror_pairs(trips: list[RoundTrip], ix: Index, config: FraudConfig) -> list[Pair]:
    by_symbol: defaultdict[str, list[RoundTrip]] = defaultdict(list)
    for trip in trips:
        by_symbol[trip.symbol].append(trip)
    pairs: list[Pair] = []
    for symbol in sorted(by_symbol):
        ordered = sorted(by_symbol[symbol], key=lambda t: (t.opened_at, t.account_id, t.position_id))
        used: set[int] = set()
        for i, trip in enumerate(ordered):
            if i in used:
                continue
            j = _mirror_of(ordered, i, used, ix, config)
            if j is not None:
                used.update((i, j))
                pairs.append((trip, ordered[j]))
    return pairs


def _mirror_of(
    ordered: list[RoundTrip], i: int, used: set[int], ix: Index, config: FraudConfig
) -> int | None:
    trip, window = ordered[i], config.mirror_window
    for j in range(i + 1, len(ordered)):
        other = ordered[j]
        if other.opened_at - trip.opened_at > window:
            return None
        if j not in used and _mirrors(trip, other, ix, config):
            return j
    return None


def _mirrors(a: RoundTrip, b: RoundTrip, ix: Index, config: FraudConfig) -> bool:
    larger = max(a.volume, b.volume)
    return (
        a.side != b.side
        and abs(a.closed_at - b.closed_at) <= config.mirror_window
        and abs(a.volume - b.volume) <= larger * config.mirror_volume_tolerance
        and ix.login_of_account.get(a.account_id) != ix.login_of_account.get(b.account_id)
    )


def _pair_evidence(pair: Pair) -> dict[str, Any]:
    return {
        "symbol": pair[0].symbol,
        "legs": [
            {
                "account": t.account_id,
                "position": t.position_id,
                "side": t.side,
                "volume": str(t.volume),
                "opened_at": encode_time(t.opened_at),
                "closed_at": encode_time(t.closed_at),
            }
            for t in pair
        ],
    }


def wash_net_flat(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """Windows in which a cluster's MT5 accounts (two or more) traded at least `net_flat_min_round_trips`
    and their net position change was at most `net_flat_share` of the volume: it trades with itself."""
    found = []
    for referee in ix.referees_of.get(referrer, ()):
        accounts = {link.account_id for link in ix.links(referee)}
        windows = [w for w in _flat_windows(ix, referee, config) if w[1] & accounts]
        if windows:
            evidence = {"referee": referee, "windows": [w[0] for w in windows]}
            positions = [
                (t.account_id, t.position_id) for w in windows for t in w[2] if t.account_id in accounts
            ]
            found.append(
                finding("wash_net_flat", f"u{referee}", evidence, strength=len(windows), positions=positions)
            )
    return found


FlatWindow = tuple[dict[str, Any], set[int], list[RoundTrip]]  # evidence, accounts, round trips


def _flat_windows(ix: Index, user: int, config: FraudConfig) -> list[FlatWindow]:
    windows: list[FlatWindow] = _per_component(ix, user, config, _net_flat)
    return windows


def _net_flat(trips: list[RoundTrip], ix: Index, config: FraudConfig) -> list[FlatWindow]:
    buckets: defaultdict[int, list[RoundTrip]] = defaultdict(list)
    for trip in trips:
        buckets[(trip.opened_at - _EPOCH) // config.net_flat_window].append(trip)
    windows = []
    for bucket in sorted(buckets):
        inside = sorted(buckets[bucket], key=lambda t: (t.opened_at, t.account_id, t.position_id))
        if len(inside) < config.net_flat_min_round_trips or not _takes_sides(inside, ix, config):
            continue
        gross = sum((t.volume for t in inside), Decimal(0))
        net = abs(sum((t.volume if t.side == "buy" else -t.volume for t in inside), Decimal(0)))
        if gross > 0 and net <= gross * config.net_flat_share:
            start = _EPOCH + bucket * config.net_flat_window
            evidence = {
                "from": encode_time(start),
                "to": encode_time(start + config.net_flat_window),
                "round_trips": len(inside),
                "accounts": sorted({t.account_id for t in inside}),
                "volume": str(gross),
                "net": str(net),
            }
            windows.append((evidence, {t.account_id for t in inside}, inside))
    return windows


def _takes_sides(inside: list[RoundTrip], ix: Index, config: FraudConfig) -> bool:
    """A ring: 2 to `net_flat_max_accounts` MT5 accounts, each trading one way only in the window. A
    crowd of independent traders (a cluster grown through shared carrier addresses) nets out by
    chance, and an account trading both ways is hedging itself, not the ring."""
    sides: defaultdict[str | None, set[str]] = defaultdict(set)
    for trip in inside:
        sides[ix.login_of_account.get(trip.account_id)].add(trip.side)
    return 2 <= len(sides) <= config.net_flat_max_accounts and all(len(s) == 1 for s in sides.values())


WASH_CHECKS = (wash_short_hold, wash_flat_pnl, wash_mirror, wash_net_flat)
