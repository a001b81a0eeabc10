"""The guard's persisted state (JSON-able dict) and its settings' validation."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from core.domain.guard import (
    CloseAckStatus,
    GuardConfig,
    GuardConfigError,
    GuardState,
    Observation,
    admin_lock,
    close_all_acknowledged,
    tick,
)
from tests.unit.guard_helpers import at, feed, snap


def states_along_a_liquidation() -> list[GuardState]:
    config = GuardConfig(daily_loss_limit_percent=Decimal("22.5"), day_timezone="Europe/Athens")
    calm, _ = feed([snap("10000.00", 0, flows=["250.50"]), snap("8700.125", 1, tickets=(1, 2))], config)
    locked, _ = admin_lock(calm, at(2))
    pending, _ = feed([snap("7900", 3)], config, locked)
    closing, _ = tick(pending, at(14), config)
    failed, _ = close_all_acknowledged(closing, CloseAckStatus.FAILED, at(15))
    stale, _ = tick(failed, at(200), config)
    return [calm, locked, pending, closing, failed, stale]


@pytest.mark.parametrize("index", range(6))
def test_the_state_survives_a_round_trip_through_json(index: int) -> None:
    state = states_along_a_liquidation()[index]

    stored = json.loads(json.dumps(state.to_dict()))

    assert GuardState.from_dict(stored) == state


def test_the_stored_state_keeps_money_exact_and_times_in_iso() -> None:
    data = states_along_a_liquidation()[-1].to_dict()

    assert data["peak_equity"] == "10000.00"
    assert data["last_equity"] == "7900"
    assert data["warned_levels"] == ["10", "15"]
    assert data["grace_until"] == "2026-01-14T12:00:13Z"  # the codec: UTC with a Z
    assert (data["status"], data["breach_reason"]) == ("liquidating", "max_drawdown")
    assert (data["close_ack"], data["close_attempts"], data["stale"]) == (
        None,
        2,
        True,
    )  # retried, then silent


def with_offsets(value: Any) -> Any:
    """`value` as states were stored before the codec: times ending `+00:00` instead of `Z`."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
        return value.removesuffix("Z") + "+00:00"
    if isinstance(value, list):
        return [with_offsets(item) for item in value]
    if isinstance(value, dict):
        return {key: with_offsets(item) for key, item in value.items()}
    return value


@pytest.mark.parametrize("index", range(6))
def test_a_state_stored_with_offsets_before_the_codec_reads_the_same(index: int) -> None:
    state = states_along_a_liquidation()[index]
    old = with_offsets(state.to_dict())

    assert "+00:00" in json.dumps(old)
    assert GuardState.from_dict(old) == state


def test_a_stored_time_without_a_time_zone_is_refused() -> None:
    data = {**states_along_a_liquidation()[0].to_dict(), "last_snapshot_at": "2026-01-14T12:00:00"}

    with pytest.raises(ValueError, match="time zone"):
        GuardState.from_dict(data)


def test_a_state_of_an_unknown_version_is_refused() -> None:
    data: dict[str, Any] = {**states_along_a_liquidation()[0].to_dict(), "version": 99}

    with pytest.raises(ValueError, match="version 99"):
        GuardState.from_dict(data)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_drawdown_percent", Decimal(0)),
        ("max_drawdown_percent", Decimal(101)),
        ("max_drawdown_percent", 20.0),
        ("warn_percents", (Decimal(10), Decimal("NaN"))),
        ("daily_loss_limit_percent", Decimal(-1)),
        ("min_equity", Decimal(-1)),
        ("day_start_hour", 24),
        ("day_start_hour", -1),
        ("day_timezone", "Mars/Olympus_Mons"),
        ("day_timezone", "../etc/passwd"),
        ("grace_seconds", -1),
        ("stale_feed_seconds", 0),
        ("verify_timeout_seconds", 0),
    ],
)
def test_a_setting_out_of_range_is_refused_with_its_name(setting: str, value: object) -> None:
    with pytest.raises(GuardConfigError, match=setting):
        GuardConfig(**{setting: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("personal", "effective"),
    [(None, "20"), ("15", "15"), ("25", "20"), ("0", "20"), ("-3", "20"), ("NaN", "20")],
)
def test_the_effective_limit_ignores_a_personal_limit_that_would_not_tighten(
    personal: str | None, effective: str
) -> None:
    config = GuardConfig(personal_max_drawdown_percent=None if personal is None else Decimal(personal))

    assert config.effective_max_drawdown_percent == Decimal(effective)


def test_grace_zero_and_a_broker_timezone_are_valid_settings() -> None:
    config = GuardConfig(grace_seconds=0, day_timezone="Etc/GMT-2", daily_loss_limit_percent=Decimal(5))

    assert config.grace_seconds == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("equity", 9_999.5), ("balance", Decimal("NaN")), ("cash_flows", (Decimal(1), 2.5)), ("equity", 10_000)],
)
def test_an_observation_takes_only_finite_decimals_as_money(field: str, value: object) -> None:
    fields: dict[str, Any] = {"time": at(0), "equity": Decimal(1), "balance": Decimal(1), "open_tickets": ()}

    with pytest.raises(ValueError, match=f"Observation.{field}"):
        Observation(**{**fields, field: value})
