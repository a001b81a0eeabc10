"""The market guards' settings (PRODUCT.md: PRICE_GAP_ALERT_PERCENT, MAX_SPREAD_MULTIPLIER,
STALE_QUOTE_SECONDS) and the rule parameters behind them, with defaults chosen on real data
(tests/unit/test_market_replays.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal


class MarketConfigError(ValueError):
    """A market guard setting is out of range; the message names the setting."""


@dataclass(frozen=True)
class MarketConfig:
    gap_percent: Decimal = Decimal(5)  # PRICE_GAP_ALERT_PERCENT
    spread_multiplier: Decimal = Decimal(10)  # MAX_SPREAD_MULTIPLIER
    stale_quote_seconds: int = 300  # STALE_QUOTE_SECONDS
    # A gap episode lasts while gaps in one direction follow each other closer than this.
    gap_clear_seconds: int = 300
    # The usual spread: the median of the last `spread_window` spreads, sampled at most once
    # per `spread_sample_seconds` (so it measures time, not how many accounts report), and not
    # known before `spread_min_samples` samples (cold start: no blow-out is called).
    spread_window: int = 180
    spread_sample_seconds: int = 10
    spread_min_samples: int = 30
    # No crying wolf: a wide spread alone (gold's nightly rollover, a Friday close) only costs
    # a close the spread itself. A blow-out fires once the mid has also moved this far from
    # where it was before the spread widened; the episode ends after this long without a wide spread.
    blowout_move_percent: Decimal = Decimal("0.5")
    blowout_clear_seconds: int = 300
    # Trading hours, UTC: every day's break (metals' and indices' rollover, summer and winter
    # time) and the weekend from Friday's break to the end of Sunday's.
    daily_break_start: time = time(21)
    daily_break_end: time = time(23)

    def __post_init__(self) -> None:
        _require_positive("gap_percent", self.gap_percent)
        _require_positive("blowout_move_percent", self.blowout_move_percent)
        if not self.spread_multiplier > 1:
            raise MarketConfigError(f"spread_multiplier must be more than 1, not {self.spread_multiplier}")
        for name in ("stale_quote_seconds", "gap_clear_seconds", "spread_window", "spread_sample_seconds"):
            _require_positive(name, getattr(self, name))
        _require_positive("blowout_clear_seconds", self.blowout_clear_seconds)
        if not 1 <= self.spread_min_samples <= self.spread_window:
            raise MarketConfigError(
                f"spread_min_samples must be between 1 and spread_window, not {self.spread_min_samples}"
            )
        if not self.daily_break_start < self.daily_break_end:
            raise MarketConfigError("daily_break_start must come before daily_break_end")


def _require_positive(name: str, value: Decimal | int) -> None:
    if not (value.is_finite() if isinstance(value, Decimal) else True) or not value > 0:
        raise MarketConfigError(f"{name} must be positive, not {value}")
