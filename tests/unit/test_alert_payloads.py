"""Alerts as the outbox stores them: every type survives the trip to JSON and back unchanged, a row
written before alerts were typed (version 1) still reads, and a row nothing reads says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from core.domain.alerts import (
    BY_KIND,
    REGISTRY,
    AdminDigest,
    ClosedPosition,
    Liquidated,
    LiquidationStarted,
    MarketGap,
    MarketResponse,
    StoredAlert,
    UndecodableAlert,
    UnknownAlert,
    WentSilent,
    decode_alert,
    encode_alert,
    read_stored,
)
from core.domain.guard.events import BreachReason
from core.domain.market import MoveDirection
from tests.unit.alert_samples import (
    ALERT_TYPES,
    AUDIT_V1_ROWS,
    FRAUD_V1_ROWS,
    LEDGER_V1_ROWS,
    MONITORING_V1_ROWS,
    PROFILES,
    REFERRAL_V1_ROWS,
    VARIANTS,
    sample,
)

ACCOUNT = {"login": 5012345, "server": "Broker-Live", "currency": "USD"}
MOMENT = "2026-11-27T21:00:00+00:00"  # as datetime.isoformat() wrote times then
# One row of every kind exactly as the services wrote it before alerts were typed (payload version 1).
V1_ROWS: dict[str, dict[str, Any]] = {
    "account_connected": {**ACCOUNT, "equity": "9850.50", "balance": "10000.00"},
    "account_shared": {"login": 5012345, "server": "Broker-Live"},
    "drawdown_warning": {
        **ACCOUNT, "level": "15", "drawdown_percent": "16.4", "peak_equity": "9998.00", "equity": "8358.00",
    },
    "liquidation_warning": {
        **ACCOUNT, "breach_no": 1, "reason": "max_drawdown", "drawdown_percent": "23.15", "equity": "7683.00",
        "grace_until": MOMENT, "grace_seconds": 10,
    },
    "liquidation_now": {
        **ACCOUNT, "breach_no": 1, "cause": "market_alarm", "from_percent": "21", "drawdown_percent": "26",
        "equity": "7400.00", "symbols": ["EURCHF"],
    },
    "fast_market": {**ACCOUNT, "episode": 1, "from_percent": "0", "to_percent": "10.00", "seconds": 2},
    "liquidation_retrying": {**ACCOUNT, "next_retry_at": MOMENT, "attempt": 2},
    "liquidated": {
        **ACCOUNT,
        "closed": [
            {"ticket": 100001, "closed_volume": "0.50", "price": "1.15466", "profit": "-2317.00"},
            {"ticket": 100002, "closed_volume": "0", "price": None, "profit": None},
        ],
        "realised": "-2317.00",
    },
    "admin_liquidation_overdue": {**ACCOUNT, "open_tickets": [100001, 100002], "last_contact": MOMENT},
    "admin_breach_offline": {**ACCOUNT, "reason": "daily_loss", "last_contact": MOMENT},
    "feed_stale": {**ACCOUNT, "last_contact": MOMENT, "during_breach": False},
    "feed_restored": {**ACCOUNT, "last_contact": MOMENT},
    "trading_locked": {**ACCOUNT},
    "trading_unlocked": {**ACCOUNT},
    "trading_day_unknown": {
        **ACCOUNT, "day": "2026-11-28", "day_open_balance": "9400", "last_contact": MOMENT,
    },
    "market_gap": {
        **ACCOUNT, "symbol": "EURCHF", "previous_bid": "1.20080", "previous_time": MOMENT, "bid": "1.13000",
        "time": MOMENT, "move_percent": "-5.9", "direction": "down", "episode": 1, "closed_tickets": [777],
        "action": "closed",
    },
    "market_spread": {
        **ACCOUNT, "symbol": "XAUUSD", "spread": "1.46", "usual_spread": "0.18", "multiple": "8.1",
        "direction": None, "time": MOMENT, "episode": 2, "move_percent": "0.01", "closed_tickets": [],
        "action": "alerted",
    },
    "market_stale": {
        **ACCOUNT, "symbol": "EURCHF", "unchanged_since": MOMENT, "time": MOMENT, "episode": 3,
        "closed_tickets": [], "action": "watch",
    },
    "trading_halted": {"halt": 1, "since": MOMENT},
    "trading_resumed": {"halt": 1, "since": MOMENT, "until": MOMENT},
    "signal": {
        **ACCOUNT, "account_id": 7, "signal_id": "sig_8f3a", "symbol": "EURUSD", "side": "buy",
        "volume": "0.10", "risk_percent": None, "entry": "1.08550", "sl": "1.08000", "tp": "1.09500",
        "expires_at": MOMENT,
    },
    "divergence": {
        **ACCOUNT, "divergence_id": "div_0123456789abcdef01234567", "kind": "slippage", "severity": "warning",
        "signal_id": "sig_8f3a", "ticket": 123456,
        "evidence": {
            "symbol": "EURUSD", "side": "buy", "expected_price": "1.08550", "actual_price": "1.08582",
            "expected_volume": "0.10", "actual_volume": "0.10", "points": "32.0", "tolerance_points": "20",
            "cost": "3.20",
        },
    },
    "admin_divergence": {
        **ACCOUNT, "divergence_id": "div_0123456789abcdef01234568", "kind": "closed_externally",
        "severity": "critical", "signal_id": "sig_8f3a", "ticket": 123456, "owner_telegram_id": 42,
        "evidence": {
            "symbol": "EURUSD", "side": "buy", "how": "so", "actual_volume": "0.10",
            "actual_price": "1.07000",
        },
    },
    "admin_liquidation_digest": {
        "items": [
            {**ACCOUNT, "event": "started", "reason": "max_drawdown"},
            {
                **ACCOUNT, "event": "fast_market", "episode": 1, "from_percent": "0", "to_percent": "10",
                "seconds": 2,
            },
            {**ACCOUNT, "event": "completed", "realised": "-2317.00"},
            {**ACCOUNT, "event": "stale", "last_contact": MOMENT},
            {**ACCOUNT, "event": "market", "kind": "spread", "symbol": "XAUUSD", "closed": 0},
        ]
    },
    # issue 11: the ledger and payouts
    "commission_earned": {"line_kind": "tier_1", "amount": "150", "currency": "XTR", "payable_at": MOMENT},
    "commission_reversed": {"amount": "-150", "currency": "XTR", "carried": True, "payable_at": MOMENT},
    "payout_sent": {"amount": "150.00", "currency": "USD", "period": "2026-11", "reference": "manual:7"},
}  # fmt: skip
V1_ROWS |= FRAUD_V1_ROWS  # issue 11's fraud kinds, kept beside their samples
V1_ROWS |= REFERRAL_V1_ROWS | LEDGER_V1_ROWS  # issue 11's referral and ledger kinds, beside their samples
V1_ROWS |= MONITORING_V1_ROWS  # issue 13: system degraded / recovered
V1_ROWS |= AUDIT_V1_ROWS  # issue 13: the audit chain's daily anchor


def through_json(stored: StoredAlert) -> StoredAlert:
    """As the row comes back from Postgres: the payload went through JSON."""
    return StoredAlert(stored.kind, stored.version, json.loads(json.dumps(stored.payload)))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
@pytest.mark.parametrize("alert_type", ALERT_TYPES, ids=lambda alert_type: REGISTRY[alert_type].kind)
def test_every_alert_type_comes_back_from_its_stored_form_equal_to_itself(
    alert_type: type, profile: Any
) -> None:
    for variant in VARIANTS:
        alert = sample(alert_type, profile, variant)

        stored = through_json(encode_alert(alert))

        assert (stored.kind, stored.version) == (REGISTRY[alert_type].kind, REGISTRY[alert_type].version)
        assert decode_alert(stored) == alert


def test_every_kind_has_a_version_1_row_in_the_shape_written_before_alerts_were_typed() -> None:
    assert set(V1_ROWS) == set(BY_KIND)


@pytest.mark.parametrize("kind", sorted(V1_ROWS))
def test_a_version_1_row_in_the_old_shape_still_decodes_and_stores_again_the_same(kind: str) -> None:
    alert = decode_alert(StoredAlert(kind, 1, V1_ROWS[kind]))

    assert type(alert) is BY_KIND[kind]
    assert decode_alert(through_json(encode_alert(alert))) == alert


def test_a_version_1_row_keeps_its_values_typed() -> None:
    liquidated = decode_alert(StoredAlert("liquidated", 1, V1_ROWS["liquidated"]))
    gap = decode_alert(StoredAlert("market_gap", 1, V1_ROWS["market_gap"]))
    digest = decode_alert(StoredAlert("admin_liquidation_digest", 1, V1_ROWS["admin_liquidation_digest"]))

    assert isinstance(liquidated, Liquidated) and liquidated.realised == Decimal("-2317.00")
    assert liquidated.closed[1] == ClosedPosition(100002, Decimal(0), None, None)
    assert isinstance(gap, MarketGap)
    assert (gap.direction, gap.action, gap.closed_tickets) == (
        MoveDirection.DOWN,
        MarketResponse.CLOSED,
        (777,),
    )
    assert gap.time == datetime(2026, 11, 27, 21, tzinfo=UTC)
    assert isinstance(digest, AdminDigest)
    assert digest.items[0] == LiquidationStarted(**ACCOUNT, reason=BreachReason.MAX_DRAWDOWN)
    assert isinstance(digest.items[3], WentSilent)


@pytest.mark.parametrize(
    ("stored", "why"),
    [
        (StoredAlert("broadcast", 1, {"text": "hi"}), "unknown alert kind 'broadcast'"),
        (StoredAlert("trading_locked", 2, ACCOUNT), "no payload version 2"),
        (StoredAlert("trading_locked", 1, {"server": "Broker-Live"}), "TradingLocked.login"),
        (
            StoredAlert("feed_stale", 1, {**ACCOUNT, "last_contact": "2026-11-27T21:00:00"}),
            "without a time zone",
        ),
        (StoredAlert("fast_market", 1, {**V1_ROWS["fast_market"], "seconds": "2"}), "expected int"),
        (StoredAlert("liquidated", 1, {**V1_ROWS["liquidated"], "realised": "a lot"}), "InvalidOperation"),
        (StoredAlert("admin_liquidation_digest", 1, {"items": [{"event": "party"}]}), "no type of"),
    ],
    ids=["kind", "version", "missing", "naive-time", "int-as-text", "not-a-decimal", "digest-item"],
)
def test_a_row_no_alert_type_reads_is_undecodable_and_says_why(stored: StoredAlert, why: str) -> None:
    with pytest.raises((UnknownAlert, ValueError), match=why):
        decode_alert(stored)

    unread = read_stored(stored)

    assert isinstance(unread, UndecodableAlert) and why in unread.reason


def test_a_value_that_is_no_registered_alert_type_cannot_be_stored() -> None:
    with pytest.raises(UnknownAlert, match="ClosedPosition is not a registered alert type"):
        encode_alert(ClosedPosition(1))  # type: ignore[arg-type]
