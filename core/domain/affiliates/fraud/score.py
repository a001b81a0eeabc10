"""Signals into one score with reasons (rule set "f1").

| rule              | weight (strength 1)        | scales with                        | alone >= 60 |
|-------------------|----------------------------|------------------------------------|-------------|
| `shared_login`    | 60                         | one signal per login@server shared | yes         |
| `same_payer`      | 60                         | one per referee and kind (print, email) | yes    |
| `same_ip`         | 25                         | one per address (a household: one) | from 3      |
| `link_burst`      | 6 per referee, cap 60      | referees linked within the window  | from 10     |
| `cluster`         | 60; 30 if all paths use IPs | one per referrer, a path per referee | strong path |
| `wash_short_hold` | 30 x share, cap 30         | share of holds < wash_min_hold     | never (scalpers) |
| `wash_flat_pnl`   | 70 x share, cap 70         | share of flat round trips (>= 50%) | from 6/7    |
| `wash_mirror`     | 20 per pair, cap 80        | mirrored pairs                     | from 3      |
| `wash_net_flat`   | 60, cap 60                 | flat windows                       | yes         |

The score is the sum, capped at `FraudConfig.score_cap` (100). Reasons are one machine string per
signal, sorted by weight descending then reason, so the same inputs give the same list in any order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.domain.affiliates.fraud.inputs import Assessment, FraudConfig, Withheld
from core.domain.affiliates.model import FraudSignal


@dataclass(frozen=True)
class Weight:
    base: Decimal  # the weight at strength 1
    cap: Decimal  # no signal of the rule weighs more


WEIGHTS: dict[str, Weight] = {
    "shared_login": Weight(Decimal(60), Decimal(60)),
    "same_payer": Weight(Decimal(60), Decimal(60)),
    "same_ip": Weight(Decimal(25), Decimal(25)),
    "link_burst": Weight(Decimal(6), Decimal(60)),
    "cluster": Weight(Decimal(60), Decimal(60)),
    "wash_short_hold": Weight(Decimal(30), Decimal(30)),
    "wash_flat_pnl": Weight(Decimal(70), Decimal(70)),
    "wash_mirror": Weight(Decimal(20), Decimal(80)),
    "wash_net_flat": Weight(Decimal(60), Decimal(60)),
}
_TENTH = Decimal("0.1")


def weigh(rule: str, strength: Decimal | int = 1) -> Decimal:
    weight = WEIGHTS[rule]
    return min(weight.cap, weight.base * Decimal(strength)).quantize(_TENTH)


@dataclass(frozen=True)
class Finding:
    """A signal with its reason string and the wash positions it withholds (account_id, position_id)."""

    signal: FraudSignal
    reason: str
    positions: tuple[tuple[int, int], ...] = ()


def finding(
    rule: str,
    detail: str,
    evidence: dict[str, Any],
    strength: Decimal | int = 1,
    positions: Iterable[tuple[int, int]] = (),
) -> Finding:
    signal = FraudSignal(rule=rule, weight=weigh(rule, strength), evidence=evidence)
    return Finding(signal, f"{rule}:{detail}", tuple(sorted(set(positions))))


def assess(referrer: int, findings: Iterable[Finding], config: FraudConfig) -> Assessment:
    ordered = sorted(findings, key=lambda f: (-f.signal.weight, f.reason))
    total = sum((f.signal.weight for f in ordered), Decimal(0))
    rule_of: dict[tuple[int, int], str] = {}
    for found in ordered:  # heaviest first: a position two rules name is the heavier one's
        for position in found.positions:
            rule_of.setdefault(position, found.signal.rule)
    return Assessment(
        affiliate_user_id=referrer,
        score=min(total, config.score_cap).quantize(_TENTH),
        signals=tuple(f.signal for f in ordered),
        reasons=tuple(f.reason for f in ordered),
        withheld=tuple(Withheld(*position, rule_of[position]) for position in sorted(rule_of)),
    )
