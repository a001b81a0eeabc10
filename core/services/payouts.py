"""Payouts (issue 11, docs/affiliates.md): one per affiliate, period (the run's month) and currency.

A payout is made in its own transaction: lock the affiliate's payable unpaid lines (FOR UPDATE, in id
order), sum them (negative carries included), judge (> 0, ≥ AFFILIATE_MIN_PAYOUT, no open fraud case,
no earlier payout pending or unknown, no live payout this month), insert the payout (ON CONFLICT on the
live payouts' (affiliate, period, currency) DO NOTHING: a second run, a double click or a second worker
gets nothing; a failed payout is not live, so after it the month is paid again, once), attach the
lines, commit. Only
then is it handed over through the `PayoutGateway`: `sent` with its reference; a definite failure
`failed`; an error of unknown outcome (a timeout) `unknown`, which blocks the affiliate's next payout
until an admin says Sent or Failed.

A failed payout gives its amount back the append-only way: its lines stay taken (a line's payout never
changes), and one new line `kind=reversal` of `+amount` (`payout-failed:<payout id>`, no
`reverses_line_id`: it reverses the payout, not a line) is payable at once, so the next run pays it;
the affiliate is told (`payout_returned`) and the line audited (`commission.given_back`).

An admin resolves a payout of unknown outcome, or one pending longer than STUCK_AFTER (its hand-over
stopped); a pending payout younger than that is still being handed over, and resolving it is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from core.domain.affiliates import LineKind, Payout, PayoutStatus
from core.domain.affiliates.commission import NewLine, line_audit
from core.domain.affiliates.payouts import Balance, Candidate, judge, period_of
from core.domain.alerts import PayoutReturned, PayoutSent
from core.domain.models import Alert, AuditEntry, User
from core.services.errors import InvalidInput, NotFound
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory
from core.services.ports.ledger import PayoutFailed, PayoutGateway, PayoutUnknown

log = logging.getLogger(__name__)
RequireAdmin = Callable[[User, str], Awaitable[None]]
SCHEDULER = "scheduler"
RESOLUTIONS = (PayoutStatus.SENT, PayoutStatus.FAILED)
# A payout still pending this long after it was made was never handed over (its process stopped between
# the commit and the gateway): the preview offers it for Sent / Failed like one of unknown outcome.
STUCK_AFTER = timedelta(minutes=10)


class ManualGateway:
    """The default: the operator settles by their own means; the payout is recorded as sent."""

    async def send(self, payout: Payout) -> str:
        return f"manual:{payout.id}"


@dataclass(frozen=True)
class Preview:
    period: str
    candidates: tuple[Candidate, ...]
    unknown: tuple[Payout, ...]


class PayoutService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        require_admin: RequireAdmin,
        gateway: PayoutGateway,
        doorbell: Doorbell,
        clock: Clock,
        minimum: Decimal,
    ) -> None:
        self.uow = uow
        self.require_admin = require_admin
        self.gateway = gateway
        self.doorbell = doorbell
        self.clock = clock
        self.minimum = minimum

    # --- reads ---------------------------------------------------------------------------------------

    async def preview(self, actor: User) -> Preview:
        """Who would be paid how much now, who is blocked and why, which payouts wait for a verdict."""
        await self.require_admin(actor, "payouts")
        now = self.clock()
        async with self.uow() as uow:
            candidates = await self._candidates(uow, now)
            waiting = await uow.ledger.payouts_with((PayoutStatus.UNKNOWN, PayoutStatus.PENDING))
        unknown = [p for p in waiting if p.status is PayoutStatus.UNKNOWN or p.created_at < now - STUCK_AFTER]
        return Preview(period_of(now.year, now.month), tuple(candidates), tuple(unknown))

    async def _candidates(self, uow: UnitOfWork, now: datetime) -> list[Candidate]:
        balances = await uow.ledger.balances(now)
        ids = {b.affiliate_user_id for b in balances}
        fraud, unresolved = await uow.ledger.open_fraud(ids), await uow.ledger.unresolved(ids)
        paid = await uow.ledger.paid_in(period_of(now.year, now.month), ids)
        return [self._judge(b, fraud, unresolved, paid) for b in balances]

    def _judge(
        self, b: Balance, fraud: set[int], unresolved: set[int], paid: set[tuple[int, str]]
    ) -> Candidate:
        who = b.affiliate_user_id
        return judge(b, self.minimum, who in fraud, who in unresolved, (who, b.currency) in paid)

    # --- the run -------------------------------------------------------------------------------------

    async def run(self, actor: User, period: str | None = None) -> list[Payout]:
        """/payouts Confirm: the admin is checked again; `period`, when given (the preview's), must still
        be the current month, so a button pressed next month does not pay under the old key."""
        await self.require_admin(actor, f"payouts run {period or ''}".strip())
        now = self.clock()
        if period is not None and period != period_of(now.year, now.month):
            raise InvalidInput(f"the preview was for {period}; ask /payouts again")
        return await self.run_payouts(f"user:{actor.telegram_id}")

    async def run_payouts(self, by: str = SCHEDULER) -> list[Payout]:
        """Every payout due now, each in its own transaction, then handed over; returns those made."""
        now = self.clock()
        async with self.uow() as uow:
            due = [c.balance for c in await self._candidates(uow, now) if c.blocked is None]
        made = []
        for balance in due:  # each handed over before the next is made: its other currency may follow
            payout = await self._make(balance, by, now)
            if payout is not None:
                made.append(await self._hand_over(payout))
        return made

    async def _make(self, balance: Balance, by: str, now: datetime) -> Payout | None:
        affiliate, currency = balance.affiliate_user_id, balance.currency
        async with self.uow() as uow:
            lines = await uow.ledger.lock_payable(affiliate, currency, now)
            total = sum((line.amount for line in lines), Decimal(0))
            fraud = affiliate in await uow.ledger.open_fraud({affiliate})
            unresolved = affiliate in await uow.ledger.unresolved({affiliate})
            if judge(Balance(affiliate, 0, "", currency, total), self.minimum, fraud, unresolved).blocked:
                return None  # the locked lines tell otherwise than the read: another run took them
            period = period_of(now.year, now.month)
            payout = await uow.ledger.insert_payout(affiliate, period, total, currency, by, now)
            if payout is None:
                return None  # this month's payout exists: a retry pays nothing
            await uow.ledger.attach(payout.id, [line.id for line in lines])
            await self._audit(uow, by, "payout.created", payout, now, {"lines": len(lines)})
            await uow.commit()
        return payout

    async def _hand_over(self, payout: Payout) -> Payout:
        try:
            reference = await self.gateway.send(payout)
        except PayoutUnknown as error:
            log.warning("payout %s: outcome unknown (%s); an admin resolves it", payout.id, error)
            outcome, reference = PayoutStatus.UNKNOWN, None
        except PayoutFailed as error:
            outcome, reference = PayoutStatus.FAILED, str(error)[:128]
        else:
            outcome = PayoutStatus.SENT
        try:
            return await self._settle(payout.id, outcome, reference, "gateway")
        except InvalidInput:  # an admin resolved it meanwhile (it looked stuck): their word stands
            log.warning("payout %s was resolved by an admin before its hand-over finished", payout.id)
            return payout

    # --- resolving a payout of unknown outcome -------------------------------------------------------

    async def resolve(self, actor: User, payout_id: int, status: PayoutStatus) -> Payout:
        """/payouts Sent or Failed on a payout whose outcome was unknown (or stuck pending)."""
        await self.require_admin(actor, f"payouts {status.value} {payout_id}")
        if status not in RESOLUTIONS:
            raise InvalidInput(f"a payout is resolved as sent or failed, not {status.value}")
        by = f"user:{actor.telegram_id}"
        return await self._settle(payout_id, status, f"admin:{actor.telegram_id}", by, by_admin=True)

    async def _settle(
        self, payout_id: int, status: PayoutStatus, reference: str | None, by: str, by_admin: bool = False
    ) -> Payout:
        now = self.clock()
        async with self.uow() as uow:
            payout = await uow.ledger.lock_payout(payout_id)
            if payout is None:
                raise NotFound(f"no payout {payout_id}")
            if not payout.status.blocks_next:
                raise InvalidInput(f"payout {payout_id} is already {payout.status.value}")
            if by_admin and payout.status is PayoutStatus.PENDING and payout.created_at > now - STUCK_AFTER:
                # its hand-over may still be running: an admin's Failed now could pay it twice
                minutes = int(STUCK_AFTER.total_seconds() // 60)
                raise InvalidInput(
                    f"payout {payout_id} is still being handed over; if it is still pending "
                    f"{minutes} minutes after it was made, ask /payouts again"
                )
            await uow.ledger.set_status(payout_id, status, now, reference)
            settled = replace(payout, status=status, resolved_at=now, reference=reference)
            await self._audit(uow, by, f"payout.{status.value}", settled, now, {"reference": reference})
            await self._after(uow, settled, now)
            await uow.commit()
        await self.doorbell.ring()
        return settled

    async def _after(self, uow: UnitOfWork, payout: Payout, now: datetime) -> None:
        if payout.status is PayoutStatus.SENT:
            chat = (await uow.ledger.chat_ids({payout.affiliate_user_id}))[payout.affiliate_user_id]
            sent = PayoutSent(
                amount=payout.amount,
                currency=payout.currency,
                period=payout.period,
                reference=payout.reference or "",
            )
            await uow.outbox.add(Alert(f"payout:{payout.id}:sent", chat, sent))
        elif payout.status is PayoutStatus.FAILED:
            for line in await uow.ledger.add_lines([_give_back(payout, now)]):
                chat = (await uow.ledger.chat_ids({payout.affiliate_user_id}))[payout.affiliate_user_id]
                told = PayoutReturned(amount=payout.amount, currency=payout.currency, period=payout.period)
                await uow.outbox.add(Alert(f"payout:{payout.id}:failed", chat, told))
                await uow.audit.append(line_audit(line, "ledger", "commission.given_back"), now)

    async def _audit(
        self, uow: UnitOfWork, by: str, action: str, payout: Payout, now: datetime, more: dict[str, object]
    ) -> None:
        details = {
            "payout": payout.id, "amount": str(payout.amount), "currency": payout.currency,
            "period": payout.period, **more,
        }  # fmt: skip
        await uow.audit.append(AuditEntry(by, action, f"user:{payout.affiliate_user_id}", details), now)


def _give_back(payout: Payout, now: datetime) -> NewLine:
    """A failed payout's amount, owed again: payable at once (append-only: its lines stay taken)."""
    return NewLine(
        f"payout-failed:{payout.id}", payout.affiliate_user_id, LineKind.REVERSAL, payout.amount,
        payout.currency, "payout-failed:v1", now, now, details={"payout": payout.id, "failed": True},
    )  # fmt: skip
