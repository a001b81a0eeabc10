"""The full scan: a small real-looking scenario, and reasons and scores that do not depend on the order
the loader returned the rows in."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.affiliates.fraud import FraudConfig, FraudInputs, PayerRecord, scan
from core.domain.affiliates.fraud.score import WEIGHTS
from tests.unit.test_fraud_linked import T, link, refer, seen
from tests.unit.test_fraud_wash import trip

NOW = T + timedelta(days=30)
CONFIG = FraudConfig()


def scenario() -> FraudInputs:
    """Alice (1) refers Bob (2), her own second Telegram account on her MT5 login, and Carol (3) who
    churns flat round trips; Dave (4) refers his son Eve (5), who trades from the family's address;
    Frank (6) refers Gina (7), a busy scalper; Hugo (8) refers nobody."""
    links = (link(1, 5012345), link(2, 5012345), link(3), link(4), link(5), link(6), link(7), link(8))
    churn = [
        trip(3, n, T + timedelta(minutes=5 * n), timedelta(seconds=40), profit=Decimal(3)) for n in range(30)
    ]
    scalps = [
        trip(7, 100 + n, T + timedelta(minutes=3 * n), timedelta(seconds=50), profit=Decimal(60))
        for n in range(40)
    ]
    return FraudInputs(
        referrals=refer(1, 2, 3) + refer(4, 5) + refer(6, 7),
        links=links,
        sightings=(seen(4, "192.0.2.10", T, hours=12), seen(5, "192.0.2.10", T + timedelta(hours=2))),
        payers=(PayerRecord(1, "card-a", "alice@example.com"), PayerRecord(4, "card-d", None)),
        round_trips=(*churn, *scalps),
    )


def test_the_self_referrer_is_flagged_and_the_family_and_the_scalper_are_not() -> None:
    by_affiliate = {a.affiliate_user_id: a for a in scan(scenario(), NOW, CONFIG)}
    assert sorted(by_affiliate) == [1, 4, 6]  # Hugo refers nobody; no signal, no assessment
    alice, dave, frank = by_affiliate[1], by_affiliate[4], by_affiliate[6]
    assert alice.reasons == ("wash_flat_pnl:u3", "shared_login:5012345@Broker", "wash_short_hold:u3")
    assert alice.score == Decimal(100) and alice.over(CONFIG.threshold)
    assert alice.withheld_positions == tuple((30, n) for n in range(30))
    assert {w.rule for w in alice.withheld} == {"wash_flat_pnl"}  # short holds alone withhold nothing
    assert (dave.reasons, dave.score, dave.over(CONFIG.threshold)) == (
        ("same_ip:192.0.2.10",),
        Decimal(25),
        False,
    )
    assert (frank.reasons, frank.over(CONFIG.threshold)) == (("wash_short_hold:u7",), False)


def test_rows_after_now_are_not_evidence_yet() -> None:
    assessments = scan(scenario(), T - timedelta(minutes=1), CONFIG)
    assert assessments == ()  # nothing was linked, seen or traded yet


def test_every_rule_in_the_weight_table_can_be_found() -> None:
    assert set(WEIGHTS) == {
        "shared_login", "same_ip", "same_payer", "link_burst", "cluster",
        "wash_short_hold", "wash_flat_pnl", "wash_mirror", "wash_net_flat",
    }  # fmt: skip


def shuffled(inputs: FraudInputs, rng: random.Random) -> FraudInputs:
    tables = [list(inputs.referrals), list(inputs.links), list(inputs.sightings), list(inputs.payers)]
    tables.append(list(inputs.round_trips))
    for rows in tables:
        rng.shuffle(rows)
    return FraudInputs(*(tuple(rows) for rows in tables))  # type: ignore[arg-type]


def busy() -> FraudInputs:
    """Every rule at once, with ties in weight, so the order of reasons is really tested."""
    base = scenario()
    mirror = (trip(5, 900), replace(trip(4, 901), side="sell", opened_at=T + timedelta(seconds=5)))
    return replace(
        base,
        links=base.links + tuple(link(u, at=T + timedelta(minutes=u)) for u in range(9, 13)),
        referrals=base.referrals + refer(1, 9, 10, 11, 12) + refer(4, 9),
        payers=(*base.payers, PayerRecord(9, "card-a", None), PayerRecord(10, None, "Alice+x@example.com")),
        round_trips=base.round_trips + mirror,
    )


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False))
def test_reasons_and_scores_do_not_depend_on_the_order_of_the_inputs(rng: random.Random) -> None:
    expected = scan(busy(), NOW, CONFIG)
    assert len(expected) >= 3
    assert scan(shuffled(busy(), rng), NOW, CONFIG) == expected
