"""The account guard's settings: limits, warning levels, the trading day and its timings.

The service builds one `GuardConfig` per account from the settings (PRODUCT.md) and the
trader's own stricter drawdown limit, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The drawdown history a fast market needs is kept per second of this window (guard/fast.py).
MAX_FAST_MARKET_WINDOW_SECONDS = 300

# A personal limit is kept to hundredths of a percent (what is stored), rounded toward the stricter side.
PERSONAL_LIMIT_QUANTUM = Decimal("0.01")


class GuardConfigError(ValueError):
    """A guard setting is out of range; the message names the setting."""


class PersonalLimitError(GuardConfigError):
    """A trader asked for a personal drawdown limit the guard cannot take."""


class DailyLossBase(StrEnum):
    """Where the day's loss is measured from at the start of a trading day.

    `balance`: the balance at the boundary; the floating profit of positions open across it is not
    protected (as FTMO). `max_balance_equity`: the higher of balance and equity at the boundary (as
    The5ers), so a floating profit given back the next day counts as that day's loss.
    """

    BALANCE = "balance"
    MAX_BALANCE_EQUITY = "max_balance_equity"


@dataclass(frozen=True)
class GuardConfig:
    max_drawdown_percent: Decimal = Decimal(20)
    warn_percents: tuple[Decimal, ...] = (Decimal(10), Decimal(15))
    min_equity: Decimal = Decimal(100)
    daily_loss_limit_percent: Decimal | None = None
    day_start_hour: int = 0
    day_timezone: str = "UTC"
    grace_seconds: int = 10
    stale_feed_seconds: int = 60
    verify_timeout_seconds: int = 60
    personal_max_drawdown_percent: Decimal | None = None
    # issue 7: a drawdown deepening this many points within this window is a fast market
    fast_market_points: Decimal = Decimal(5)
    fast_market_window_seconds: int = 10

    # A warned level warns again only after the drawdown stayed a full point below it this long.
    warning_rearm_seconds: int = 60
    daily_loss_base: DailyLossBase = DailyLossBase.BALANCE

    def __post_init__(self) -> None:
        _require_percent("max_drawdown_percent", self.max_drawdown_percent)
        for level in self.warn_percents:
            _require_percent("warn_percents", level)
        if self.daily_loss_limit_percent is not None:
            _require_percent("daily_loss_limit_percent", self.daily_loss_limit_percent)
        _require_money("min_equity", self.min_equity)
        _require_hour(self.day_start_hour)
        _require_timezone(self.day_timezone)
        _require_seconds("grace_seconds", self.grace_seconds, minimum=0)
        _require_seconds("stale_feed_seconds", self.stale_feed_seconds, minimum=1)
        _require_seconds("verify_timeout_seconds", self.verify_timeout_seconds, minimum=1)
        _require_percent("fast_market_points", self.fast_market_points)
        _require_seconds("fast_market_window_seconds", self.fast_market_window_seconds, minimum=1)
        if self.fast_market_window_seconds > MAX_FAST_MARKET_WINDOW_SECONDS:
            raise GuardConfigError(
                f"fast_market_window_seconds must be at most {MAX_FAST_MARKET_WINDOW_SECONDS}, "
                f"got {self.fast_market_window_seconds}"
            )

        _require_seconds("warning_rearm_seconds", self.warning_rearm_seconds, minimum=0)
        if not isinstance(self.daily_loss_base, DailyLossBase):
            raise GuardConfigError(f"daily_loss_base must be a DailyLossBase, got {self.daily_loss_base!r}")

    @property
    def effective_max_drawdown_percent(self) -> Decimal:
        """The service limit, or the trader's own limit when it is stricter.

        A personal limit that is looser, not positive or not a number is ignored: it can
        only ever tighten the guard (the bot rejects such values with
        `validate_personal_limit` before they are stored).
        """
        personal = self.personal_max_drawdown_percent
        if personal is None or not _is_tightening(personal, self.max_drawdown_percent):
            return self.max_drawdown_percent
        return personal

    @property
    def warning_levels(self) -> tuple[Decimal, ...]:
        """Warning levels in ascending order; a level at or past the limit is a breach, not a warning."""
        limit = self.effective_max_drawdown_percent
        return tuple(sorted({level for level in self.warn_percents if level < limit}))


def validate_personal_limit(personal: Decimal, service_limit: Decimal) -> Decimal:
    """Check a trader's requested drawdown limit; return it as it will be kept, or raise
    `PersonalLimitError`.

    Kept to hundredths, rounded down: toward the stricter limit, never looser than asked (12.355 is
    12.35, 19.999 is 19.99).
    """
    if not isinstance(personal, Decimal) or not personal.is_finite() or personal <= 0:
        raise PersonalLimitError(f"the personal drawdown limit must be a number above 0%, got {personal}")
    if personal > service_limit:
        raise PersonalLimitError(
            f"a personal drawdown limit may only tighten the guard: {personal}% is looser "
            f"than the service limit of {service_limit}%"
        )
    kept = personal.quantize(PERSONAL_LIMIT_QUANTUM, rounding=ROUND_DOWN)
    if kept <= 0:
        raise PersonalLimitError(f"the personal drawdown limit must be at least {PERSONAL_LIMIT_QUANTUM}%")
    return kept


def trading_day_key(moment: datetime, config: GuardConfig) -> str:
    """The trading day `moment` falls in, named by the local date on which that day began.

    The day starts at `day_start_hour`:00 wall-clock time in `day_timezone`, so daylight
    saving moves it in UTC with the local clock (17:00 New York is 22:00 UTC in winter and
    21:00 UTC in summer). When the start hour is skipped by a spring-forward change, the day
    starts at the first local time after it.
    """
    local = moment.astimezone(ZoneInfo(config.day_timezone))
    day = local.date()
    if local.time() < time(config.day_start_hour):
        day -= timedelta(days=1)
    return day.isoformat()


def trading_day_start(day_key: str, config: GuardConfig) -> datetime:
    """The moment (UTC) the trading day named `day_key` began: the inverse of `trading_day_key`.

    A start hour skipped by a spring-forward change is read with the offset before the change, which
    is the first local time after it; a start hour that occurs twice starts the day the first time.
    """
    start = datetime.combine(date.fromisoformat(day_key), time(config.day_start_hour))
    return start.replace(tzinfo=ZoneInfo(config.day_timezone)).astimezone(UTC)


def _is_tightening(personal: Decimal, service_limit: Decimal) -> bool:
    return isinstance(personal, Decimal) and personal.is_finite() and 0 < personal < service_limit


def _require_percent(name: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 < value <= 100:
        raise GuardConfigError(f"{name} must be a Decimal above 0 and at most 100, got {value!r}")


def _require_money(name: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise GuardConfigError(f"{name} must be a Decimal of at least 0, got {value!r}")


def _require_hour(hour: object) -> None:
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise GuardConfigError(f"day_start_hour must be an hour from 0 to 23, got {hour!r}")


def _require_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise GuardConfigError(f"day_timezone must be an IANA time zone name, got {name!r}") from error


def _require_seconds(name: str, value: object, *, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise GuardConfigError(
            f"{name} must be a whole number of seconds of at least {minimum}, got {value!r}"
        )
