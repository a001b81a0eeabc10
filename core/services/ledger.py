"""The ledger pass (issue 11, docs/affiliates.md): payments not yet ledgered become commission lines.

Each batch is one transaction: claim payments (`ledgered_at IS NULL`, FOR UPDATE SKIP LOCKED, so two
passes share the work), lock their referees (one pass per referee at a time, see `_batch`), write their
lines (idempotent by `dedupe_key`), set `ledgered_at`, queue an alert to the affiliate for each line
written and audit it, commit. A payment whose payer nobody referred is marked ledgered with no line.

Rebates are a second step, per referee and UTC day (`rebate:<referee>:<day>`, written once, never
changed). Deals reach us late (an EA offline uploads its history when it is back), so a day is only
written once it has settled: day D on the first pass from D + `REBATE_SETTLE_DAYS` (00:00 UTC of D + 2)
on. Each pass looks at the `REBATE_DAYS` settled days before that, so passes missed for a few days catch
up. Deals of D that arrive after D + 2 earn nothing. Positions the fraud checks named as wash volume
(`withheld_positions`) earn nothing either.

`run_once` is what the worker calls every AFFILIATE_LEDGER_SWEEP_SECONDS; the payments room may call it
after recording a payment so the commission shows at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from babel.numbers import get_currency_precision

from core.domain.affiliates import CommissionLine, Payment
from core.domain.affiliates.commission import CommissionRules, NewLine, line_audit, lines_for, rebate_line
from core.domain.alerts.affiliates import commission_alert
from core.domain.attribution import closed_trades
from core.domain.models import Alert
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory
from core.services.ports.ledger import RebateSource, ReferralOf

log = logging.getLogger(__name__)
ACTOR = "ledger"
REBATE_SETTLE_DAYS = 2  # day D is written from D + 2 (UTC) on: late deals of D still count until then
REBATE_DAYS = 3  # how many settled days each pass looks at (catch-up after missed passes)


def currency_digits(currency: str) -> int:
    """The currency's minor unit: Telegram Stars (XTR) are whole; others as CLDR says (JPY 0, USD 2)."""
    return 0 if currency == "XTR" else int(get_currency_precision(currency))


@dataclass(frozen=True)
class LedgerPolicy:
    rules: CommissionRules
    rebate_currency: str = "USD"
    wash_min_hold: timedelta = timedelta(minutes=2)
    batch: int = 100


class LedgerService:
    def __init__(
        self, uow: UnitOfWorkFactory, doorbell: Doorbell, clock: Clock, policy: LedgerPolicy
    ) -> None:
        self.uow = uow
        self.doorbell = doorbell
        self.clock = clock
        self.policy = policy

    async def run_once(self) -> int:
        """Ledger every payment waiting, batch by batch, then the rebates; returns how many lines were
        written. An outage raises (the worker's loop backs off); what was committed stays."""
        written = 0
        while True:
            claimed, made = await self._batch()
            written += made
            if claimed < self.policy.batch:
                break
        written += await self.rebates()
        return written

    async def _batch(self) -> tuple[int, int]:
        now = self.clock()
        async with self.uow() as uow:
            payments = await uow.ledger.claim_unledgered(self.policy.batch)
            referrals = {p.id: await uow.ledger.referral_of(p) for p in payments}
            # Two passes overlap (the worker's, and one after every payment): a pass must read a
            # referee's history and lines only once no other pass has uncommitted lines of theirs, or a
            # refund would miss the lines of the payment it takes back. Locked in one go, in order.
            await uow.ledger.lock_referees({r.referee_user_id for r in referrals.values() if r})
            written: list[CommissionLine] = []
            for payment in payments:
                written += await self._ledger(uow, payment, referrals[payment.id])
            await uow.ledger.mark_ledgered([p.id for p in payments], now)
            await self._tell(uow, written, now)
            await uow.commit()
        if written:
            await self.doorbell.ring()
        return len(payments), len(written)

    async def _ledger(
        self, uow: UnitOfWork, payment: Payment, referral: ReferralOf | None
    ) -> list[CommissionLine]:
        if referral is None:
            return []
        referee = referral.referee_user_id
        history = await uow.ledger.payments_of(referee, payment.telegram_id)
        lines = await uow.ledger.lines_of_referee(referee)
        rules, digits = self.policy.rules, currency_digits(payment.currency)
        new = lines_for(payment, history, lines, referral.referrer_user_id, referee, rules, digits)
        return await uow.ledger.add_lines(new)

    async def _tell(self, uow: UnitOfWork, written: Sequence[CommissionLine], now: datetime) -> None:
        """An alert to the affiliate and an audit row for every line written now."""
        chats = await uow.ledger.chat_ids({line.affiliate_user_id for line in written}) if written else {}
        for line in written:
            alert = commission_alert(line)
            await uow.outbox.add(Alert(f"commission:{line.id}", chats[line.affiliate_user_id], alert))
            await uow.audit.append(line_audit(line, ACTOR), now)

    async def rebates(self) -> int:
        """The rebates of the last REBATE_DAYS settled days (none while the rate is 0)."""
        if self.policy.rules.rebate_per_lot <= 0:
            return 0
        today = self.clock().astimezone(UTC).date()
        written = 0
        for back in range(REBATE_SETTLE_DAYS + REBATE_DAYS - 1, REBATE_SETTLE_DAYS - 1, -1):
            written += await self._rebates_of(today - timedelta(days=back))
        return written

    async def _rebates_of(self, day: date) -> int:
        start = datetime.combine(day, time(), tzinfo=UTC)
        now = self.clock()
        async with self.uow() as uow:
            sources = await uow.ledger.rebate_sources(start, start + timedelta(days=1))
            accounts = {account for source in sources for account, _ in source.accounts}
            withheld = await uow.ledger.withheld_positions(accounts) if accounts else frozenset()
            made = (self._rebate(source, day, withheld) for source in sources)
            lines = [line for line in made if line is not None]
            written = await uow.ledger.add_lines(lines)
            await self._tell(uow, written, now)
            await uow.commit()
        if written:
            await self.doorbell.ring()
        return len(written)

    def _rebate(
        self, source: RebateSource, day: date, withheld: frozenset[tuple[int, int]]
    ) -> NewLine | None:
        trades = [(account, t) for account, deals in source.accounts for t in closed_trades(deals)]
        policy = self.policy
        currency = policy.rebate_currency
        return rebate_line(
            source.referee_user_id, source.referrer_user_id, day, trades, policy.rules,
            policy.wash_min_hold, currency, currency_digits(currency), withheld,
        )  # fmt: skip
