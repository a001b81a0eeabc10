"""Commission maths as tables (core.domain.affiliates.commission): months 1, 2, 3 (bonus), plans of 30 and
90 days, a broken run, refunds before and after payout, rounding to each currency's minor unit, rebates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates import CommissionLine, LineKind, Payment, PaymentSource, PaymentType
from core.domain.affiliates.commission import (
    CommissionRules,
    NewLine,
    earning_lines,
    lines_for,
    months_of,
    rebate_line,
    reversal_lines,
    round_money,
)
from core.domain.affiliates.payouts import Balance, Blocked, judge
from core.domain.attribution import ClosedTrade, Origin
from core.domain.snapshot import DealReason, Side

RULES = CommissionRules(Decimal("0.30"), Decimal("0.15"), Decimal("0.05"), 30)
START = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal
AFFILIATE, REFEREE = 1, 2


def pay(
    n: int, start_day: int = 0, days: int = 30, amount: str = "500", currency: str = "XTR", kind: str = "paid"
) -> Payment:
    start = START + timedelta(days=start_day)
    received = start if kind in ("paid", "renewed") else start + timedelta(days=days + 1)
    return Payment(
        n, PaymentSource.STARS, f"ch_{n}", 42, REFEREE, PaymentType(kind), D(amount), currency, start,
        start + timedelta(days=days), received + timedelta(minutes=n),
    )  # fmt: skip


def made(payment: Payment, history: list[Payment], digits: int = 0) -> dict[str, Decimal]:
    lines = earning_lines(payment, history, AFFILIATE, REFEREE, RULES, digits)
    return {line.kind.value: line.amount for line in lines}


@pytest.mark.parametrize(
    ("month", "history", "expected"),
    [
        (pay(1), [], {"tier_1": D(150)}),  # month 1: 30%
        (pay(2, 30), [pay(1)], {"tier_2": D(75)}),  # month 2: 15%
        (pay(3, 60), [pay(1), pay(2, 30)], {"tier_2": D(75), "bonus": D(25)}),  # month 3: 15% + 5%
        (pay(4, 90), [pay(1), pay(2, 30), pay(3, 60)], {"tier_2": D(75), "bonus": D(25)}),  # and on
        (pay(3, 62), [pay(1), pay(2, 30)], {"tier_2": D(75), "bonus": D(25)}),  # 2 days late: still a run
        (pay(3, 64), [pay(1), pay(2, 30)], {"tier_2": D(75)}),  # 4 days late: the run starts again
        (pay(5, 124), [pay(1), pay(2, 30), pay(3, 94)], {"tier_2": D(75)}),  # month 2 of a new run
        (pay(1, days=90, amount="1500"), [], {"tier_1": D(150), "tier_2": D(150), "bonus": D(25)}),
        (pay(2, 90, days=90, amount="1500"), [pay(1, days=90)], {"tier_2": D(225), "bonus": D(75)}),
    ],
    ids=["m1", "m2", "m3-bonus", "m4-bonus", "late-2d", "late-4d", "new-run", "90d-first", "90d-renewal"],
)
def test_the_lines_of_a_paid_month(
    month: Payment, history: list[Payment], expected: dict[str, Decimal]
) -> None:
    assert made(month, history) == expected


def test_each_line_records_its_rules_and_is_held_for_the_hold_days() -> None:
    (line,) = earning_lines(pay(1), [], AFFILIATE, REFEREE, RULES, 0)

    assert line.dedupe_key == "pay:1:tier_1"
    assert line.rule_version == "c1:t1=0.30,t2=0.15,b=0.05,h=30,r=0"
    assert line.payable_at - line.earned_at == timedelta(days=30)


def test_a_refunded_period_earns_nothing_and_does_not_count_as_a_month() -> None:
    refund = pay(9, 0, kind="refunded")

    assert made(pay(1), [refund]) == {}  # the refund was ledgered first
    assert made(pay(2, 30), [pay(1), refund]) == {"tier_1": D(150)}  # the first month that counts


@pytest.mark.parametrize(
    ("amount", "currency", "digits", "expected"),
    [
        ("333", "XTR", 0, D(100)),  # 99.9 → 100 Stars, whole units
        ("1.5", "XTR", 0, D(0)),  # 0.45 → 0: no line
        ("9.99", "USD", 2, D("3.00")),  # 2.997 → 3.00
        ("0.25", "USD", 2, D("0.08")),  # 0.075 → 0.08 (half-even: 7 is odd)
        ("0.35", "USD", 2, D("0.10")),  # 0.105 → 0.10 (half-even: 0 is even)
        ("1005", "JPY", 0, D(302)),  # 301.5 → 302 (half-even: 2 is even)
        ("1015", "JPY", 0, D(304)),  # 304.5 → 304
    ],
)
def test_a_line_is_rounded_half_even_to_the_currency_minor_unit(
    amount: str, currency: str, digits: int, expected: Decimal
) -> None:
    lines = earning_lines(pay(1, amount=amount, currency=currency), [], AFFILIATE, REFEREE, RULES, digits)

    assert sum((line.amount for line in lines), D(0)) == expected
    assert all(line.currency == currency for line in lines)


def stored(new: NewLine, line_id: int, payout_id: int | None = None) -> CommissionLine:
    return CommissionLine(
        line_id, new.affiliate_user_id, new.kind, new.amount, new.currency, new.rule_version, new.earned_at,
        new.payable_at, new.dedupe_key, new.referee_user_id, new.payment_id, new.reverses_line_id, payout_id,
    )  # fmt: skip


@pytest.mark.parametrize("paid", [False, True], ids=["before-payout", "after-payout"])
def test_a_refund_reverses_the_lines_of_its_period(paid: bool) -> None:
    first, second = pay(1), pay(2, 30)
    lines = [stored(line, 10, 77 if paid else None) for line in made_lines(first)]
    lines += [stored(line, 11 + n) for n, line in enumerate(made_lines(second, [first]))]
    refund = replace(pay(3, 0, kind="refunded"), received_at=START + timedelta(days=40))

    reversals = lines_for(refund, [first, second], lines, AFFILIATE, REFEREE, RULES, 0)

    (reversal,) = reversals  # only month 1's line: month 2 does not overlap
    assert (reversal.kind, reversal.amount, reversal.reverses_line_id) == (LineKind.REVERSAL, D(-150), 10)
    assert reversal.dedupe_key == "rev:10"
    if paid:  # a negative line payable at once, carried against future earnings
        assert reversal.payable_at == refund.received_at and reversal.details["carried"]
    else:  # matures with its line: the two net to zero in the same payout
        assert reversal.payable_at == lines[0].payable_at and not reversal.details["carried"]


def made_lines(payment: Payment, history: list[Payment] | None = None) -> list[NewLine]:
    return earning_lines(payment, history or [], AFFILIATE, REFEREE, RULES, 0)


def test_a_line_is_never_reversed_twice_and_a_paid_payment_reverses_nothing() -> None:
    line = stored(made_lines(pay(1))[0], 10)
    refund = pay(2, 0, kind="chargeback")
    first = stored(reversal_lines(refund, [line], [pay(1)], "v")[0], 11)

    assert reversal_lines(refund, [line, first], [pay(1)], "v") == []
    assert reversal_lines(pay(1), [line], [pay(1)], "v") == []


def test_months_of_a_plan() -> None:
    assert [months_of(pay(1, days=days)) for days in (1, 30, 31, 44, 46, 90, 365)] == [1, 1, 1, 1, 2, 3, 12]


def trade(
    volume: str, held_seconds: float | None, origin: Origin = Origin.BOT, account: int = 7, position: int = 1
) -> tuple[int, ClosedTrade]:
    """(account id, trade), as the ledger pass hands them to rebate_line."""
    close = datetime(2026, 3, 2, 12, tzinfo=UTC)
    opened = None if held_seconds is None else close - timedelta(seconds=held_seconds)
    return account, ClosedTrade(
        position, 2, "EURUSD", Side.BUY, D(volume), opened, D(1), close, D(1), D(0), D(0), D(0), origin,
        DealReason.EXPERT,
    )  # fmt: skip


def test_a_rebate_pays_bot_volume_held_long_enough_and_withholds_wash_volume() -> None:
    rules = replace(RULES, rebate_per_lot=D("2.50"))
    trades = [trade("1.00", 600), trade("0.50", 30), trade("0.30", None), trade("4", 600, Origin.MANUAL)]

    line = rebate_line(REFEREE, AFFILIATE, date(2026, 3, 2), trades, rules, timedelta(minutes=2), "USD", 2)

    assert line is not None
    assert (line.dedupe_key, line.kind, line.amount) == ("rebate:2:2026-03-02", LineKind.REBATE, D("2.50"))
    assert line.details["withheld_lots"] == "0.80"
    assert line.earned_at == datetime(2026, 3, 3, tzinfo=UTC)


def test_a_rebate_excludes_the_positions_the_fraud_checks_withheld_in_that_account_only() -> None:
    rules = replace(RULES, rebate_per_lot=D(1))
    trades = [trade("1", 600, position=5), trade("2", 600, position=6)]
    trades.append(trade("4", 600, account=8, position=5))
    day, hold = date(2026, 3, 2), timedelta(minutes=2)

    line = rebate_line(REFEREE, AFFILIATE, day, trades, rules, hold, "USD", 2, frozenset({(7, 5)}))

    assert line is not None and line.amount == D("6.00")  # account 8's position 5 is another position
    assert (line.details["wash_lots"], line.details["withheld_lots"]) == ("1", "1")
    everything = frozenset({(7, 5), (7, 6), (8, 5)})
    assert rebate_line(REFEREE, AFFILIATE, day, trades, rules, hold, "USD", 2, everything) is None


def test_no_rebate_when_the_rate_is_zero_or_on_another_day() -> None:
    day, hold = date(2026, 3, 2), timedelta(minutes=2)
    on = replace(RULES, rebate_per_lot=D(1))

    assert rebate_line(REFEREE, AFFILIATE, day, [trade("1", 600)], RULES, hold, "USD", 2) is None
    assert rebate_line(REFEREE, AFFILIATE, date(2026, 3, 1), [trade("1", 600)], on, hold, "USD", 2) is None


@pytest.mark.parametrize(
    ("payable", "fraud", "unresolved", "blocked"),
    [
        ("50", False, False, None),
        ("49.99", False, False, Blocked.BELOW_MINIMUM),
        ("0", False, False, Blocked.NOTHING),
        ("-10", False, False, Blocked.NOTHING),
        ("500", True, False, Blocked.FRAUD_CASE),
        ("500", False, True, Blocked.UNRESOLVED),
    ],
)
def test_who_may_be_paid(payable: str, fraud: bool, unresolved: bool, blocked: Blocked | None) -> None:
    balance = Balance(AFFILIATE, 42, "Ann", "USD", D(payable))

    assert judge(balance, D(50), fraud, unresolved).blocked == blocked


def test_rounding_helper() -> None:
    assert round_money(D("2.345"), 2) == D("2.34") and round_money(D("2.355"), 2) == D("2.36")
