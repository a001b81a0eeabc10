"""Commission maths (issue 11, docs/affiliates.md): which ledger lines a payment makes. Pure.

What "month" and "consecutive" mean, for plans of any length:

- A paid period counts as `max(1, round(days / 30))` months: a 30-day plan is one month, a 90-day plan
  three. The payment's amount is spread evenly over its months.
- The referee's first paid month ever earns `tier_1`; every later month earns `tier_2`.
- Periods are consecutive when the next starts at most `RENEWAL_GRACE` (3 days) after the previous ends
  (a renewal a little late keeps the run). The `bonus` rate is added to every month from the third month
  of a consecutive run on (PRODUCT.md: "bonus from the third month on"); a 90-day plan bought at once
  is three consecutive months, so its third month earns the bonus.
- A payment makes at most one line per kind (`pay:<payment id>:<kind>`): tier_1 (the first month),
  tier_2 (its other months) and bonus.
- A period taken back by a refund or chargeback counts for nothing: it neither makes lines (if the
  refund came first) nor counts as a month of history for later payments. Lines already made are never
  recomputed when a refund later breaks a run.

A refund or chargeback reverses every line made by a payment of the same referee whose period overlaps
the one it names (the whole line, however much was refunded). An unpaid line is reversed by a line that
matures with it (same `payable_at`: the two net to zero in one payout); a paid line by a negative line
payable at once, carried against future earnings. PRODUCT.md calls a payable line "non-reversible"; the
issue says reverse before payout and carry after: we follow the issue.

Money is rounded half-even to the currency's minor unit once, when a line is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from core.domain.affiliates.model import CommissionLine, LineKind, Payment, PaymentType
from core.domain.attribution import ClosedTrade, Origin
from core.domain.models import AuditEntry

MONTH_DAYS = 30
RENEWAL_GRACE = timedelta(days=3)
BONUS_FROM_MONTH = 3


@dataclass(frozen=True)
class CommissionRules:
    """The rates in force when a line is made; `version` names them all and is stored on the line."""

    tier_1: Decimal
    tier_2: Decimal
    bonus: Decimal
    hold_days: int
    rebate_per_lot: Decimal = Decimal(0)

    @property
    def version(self) -> str:
        rates = f"t1={self.tier_1},t2={self.tier_2},b={self.bonus},h={self.hold_days}"
        return f"c1:{rates},r={self.rebate_per_lot}"

    @property
    def hold(self) -> timedelta:
        return timedelta(days=self.hold_days)


@dataclass(frozen=True)
class NewLine:
    """A line to write (the database gives it its id); `dedupe_key` makes writing it idempotent."""

    dedupe_key: str
    affiliate_user_id: int
    kind: LineKind
    amount: Decimal
    currency: str
    rule_version: str
    earned_at: datetime
    payable_at: datetime
    referee_user_id: int | None = None
    payment_id: int | None = None
    reverses_line_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def round_money(amount: Decimal, digits: int) -> Decimal:
    """Half-even to `digits` places (0 for Telegram Stars and yen, 2 for cents)."""
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def months_of(payment: Payment) -> int:
    days = (payment.period_end - payment.period_start) / timedelta(days=1)
    return max(1, round(days / MONTH_DAYS))


def overlaps(a: Payment, b: Payment) -> bool:
    return a.period_start < b.period_end and b.period_start < a.period_end


def counted(history: Iterable[Payment]) -> list[Payment]:
    """The paid periods that count: paid or renewed, not taken back by a refund or chargeback."""
    payments = list(history)
    taken_back = [p for p in payments if p.type.takes_back]
    paid = [p for p in payments if not p.type.takes_back]
    return [p for p in paid if not any(overlaps(p, back) for back in taken_back)]


def run_before(payment: Payment, earlier: Sequence[Payment]) -> int:
    """Months of the consecutive run that ends where `payment` starts (0: it starts a new run)."""
    months, start = 0, payment.period_start
    for previous in sorted(earlier, key=lambda p: p.period_end, reverse=True):
        if previous.period_end > start:
            continue  # overlaps the period after it: not a predecessor
        if start - previous.period_end > RENEWAL_GRACE:
            break
        months, start = months + months_of(previous), previous.period_start
    return months


def earning_lines(
    payment: Payment,
    history: Iterable[Payment],
    affiliate_user_id: int,
    referee_user_id: int,
    rules: CommissionRules,
    digits: int,
) -> list[NewLine]:
    """The lines a paid or renewed `payment` makes; `history`: the referee's other payments (any type,
    any order; those received after it are ignored, except refunds, which take their period back)."""
    if payment.type.takes_back:
        return []
    others = [p for p in history if p.id != payment.id]
    if payment not in counted([payment, *(p for p in others if p.type.takes_back)]):
        return []  # its period was refunded before it was ledgered
    earlier = [p for p in counted(others) if (p.received_at, p.id) < (payment.received_at, payment.id)]
    months = months_of(payment)
    ever_before = sum(months_of(p) for p in earlier)
    in_run = run_before(payment, earlier)
    per_month = payment.amount / months
    first = 1 if ever_before == 0 else 0
    # months of this payment whose place in the run is the third or later
    bonus_months = min(months, max(0, in_run + months - (BONUS_FROM_MONTH - 1)))
    shares = {
        LineKind.TIER_1: per_month * first * rules.tier_1,
        LineKind.TIER_2: per_month * (months - first) * rules.tier_2,
        LineKind.BONUS: per_month * bonus_months * rules.bonus,
    }
    made = {
        "months": months,
        "month_no": ever_before + 1,
        "run_months": in_run + months,
        "period_start": payment.period_start.isoformat(),
        "period_end": payment.period_end.isoformat(),
    }
    lines = []
    for kind, share in shares.items():
        amount = round_money(share, digits)
        if amount > 0:
            lines.append(
                NewLine(
                    f"pay:{payment.id}:{kind.value}",
                    affiliate_user_id,
                    kind,
                    amount,
                    payment.currency,
                    rules.version,
                    payment.received_at,
                    payment.received_at + rules.hold,
                    referee_user_id,
                    payment.id,
                    details=made,
                )
            )
    return lines


def reversal_lines(
    refund: Payment, lines: Iterable[CommissionLine], payments: Iterable[Payment], rule_version: str
) -> list[NewLine]:
    """The reversals a refund or chargeback makes: one per earning line of a payment (among `payments`,
    the referee's) whose period overlaps the refund's, not yet reversed. Unpaid: matures with the line;
    paid: payable at once, carried."""
    if not refund.type.takes_back:
        return []
    every = list(lines)
    reversed_ids = {line.reverses_line_id for line in every if line.reverses_line_id is not None}
    overlapping = {p.id for p in payments if not p.type.takes_back and overlaps(p, refund)}
    made = []
    for line in every:
        if line.kind is LineKind.REVERSAL or line.id in reversed_ids or line.payment_id not in overlapping:
            continue
        carried = line.payout_id is not None
        made.append(
            NewLine(
                f"rev:{line.id}",
                line.affiliate_user_id,
                LineKind.REVERSAL,
                -line.amount,
                line.currency,
                rule_version,
                refund.received_at,
                refund.received_at if carried else line.payable_at,
                line.referee_user_id,
                refund.id,
                line.id,
                {"reason": refund.type.value, "carried": carried, "reverses": line.dedupe_key},
            )
        )
    return made


def lines_for(
    payment: Payment,
    history: Sequence[Payment],
    lines: Sequence[CommissionLine],
    affiliate_user_id: int,
    referee_user_id: int,
    rules: CommissionRules,
    digits: int,
) -> list[NewLine]:
    """Whatever one payment makes: earnings for a paid/renewed one, reversals for a refund/chargeback."""
    if payment.type in (PaymentType.REFUNDED, PaymentType.CHARGEBACK):
        return reversal_lines(payment, lines, [*history, payment], rules.version)
    return earning_lines(payment, history, affiliate_user_id, referee_user_id, rules, digits)


def rebate_key(referee_user_id: int, day: date) -> str:
    return f"rebate:{referee_user_id}:{day.isoformat()}"


def rebate_line(
    referee_user_id: int,
    affiliate_user_id: int,
    day: date,
    trades: Iterable[tuple[int, ClosedTrade]],
    rules: CommissionRules,
    min_hold: timedelta,
    currency: str,
    digits: int,
    withheld: frozenset[tuple[int, int]] = frozenset(),
) -> NewLine | None:
    """The day's rebate for one referee: `rebate_per_lot` per lot of bot-attributed trades closed that
    day (UTC); `trades` are (account id, trade). A round trip held under `min_hold` (or whose open we do
    not know) is wash-suspect, and one the fraud checks named (`withheld`: (account id, position id)) is
    wash volume: neither earns, and both are shown in the line's details. None when off or nothing is
    earned."""
    if rules.rebate_per_lot <= 0:
        return None
    of_day = [(a, t) for a, t in trades if t.origin is Origin.BOT and t.close_time.date() == day]
    washed = [t for a, t in of_day if (a, t.position) in withheld]
    kept = [t for a, t in of_day if (a, t.position) not in withheld]
    held = [t for t in kept if t.open_time is not None and t.close_time - t.open_time >= min_hold]
    lots = _lots(held)
    amount = round_money(lots * rules.rebate_per_lot, digits)
    if amount <= 0:
        return None
    earned = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    details = {
        "lots": str(lots), "withheld_lots": str(_lots(t for _, t in of_day) - lots),
        "wash_lots": str(_lots(washed)), "trades": len(held),
    }  # fmt: skip
    return NewLine(
        rebate_key(referee_user_id, day),
        affiliate_user_id,
        LineKind.REBATE,
        amount,
        currency,
        rules.version,
        earned,
        earned + rules.hold,
        referee_user_id,
        details=details,
    )


def _lots(trades: Iterable[ClosedTrade]) -> Decimal:
    return sum((t.volume for t in trades), Decimal(0))


def line_audit(line: CommissionLine, actor: str, action: str | None = None) -> AuditEntry:
    """The audit row of a line just written (the ledger pass, a fraud confirm, a failed payout)."""
    default = "commission.reversed" if line.kind is LineKind.REVERSAL else "commission.earned"
    details = {
        "line": line.id, "kind": line.kind.value, "amount": str(line.amount), "currency": line.currency,
        "payment": line.payment_id, "reverses": line.reverses_line_id, "rule_version": line.rule_version,
    }  # fmt: skip
    return AuditEntry(actor, action or default, f"user:{line.affiliate_user_id}", details)
