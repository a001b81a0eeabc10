"""Port: the commission ledger and payouts (issue 11, docs/affiliates.md)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from core.domain.affiliates import CommissionLine, Payment, Payout, PayoutStatus
from core.domain.affiliates.commission import NewLine
from core.domain.affiliates.payouts import Balance
from core.domain.snapshot import Deal


@dataclass(frozen=True)
class ReferralOf:
    """Who referred the payer of a payment (found by `payments.user_id`, else by its telegram_id)."""

    referee_user_id: int
    referrer_user_id: int


@dataclass(frozen=True)
class RebateSource:
    """A referee's deals around a day (enough before it to see the entries of the day's exits), one
    (account id, deals) per account (position tickets are only unique within an account)."""

    referee_user_id: int
    referrer_user_id: int
    accounts: tuple[tuple[int, tuple[Deal, ...]], ...]


@dataclass(frozen=True)
class PayableLine:
    id: int
    amount: Decimal


class PayoutUnknown(Exception):
    """The hand-over's outcome is unknown (a timeout): the payout is marked unknown for an admin."""


class PayoutFailed(Exception):
    """The hand-over certainly failed: nothing was paid."""


class PayoutGateway(Protocol):
    async def send(self, payout: Payout) -> str:
        """Pay it; returns the payment's reference. Raises PayoutUnknown or PayoutFailed."""
        ...


class LedgerRepository(Protocol):
    async def reverse_unpaid(
        self, affiliate_user_id: int, rule_version: str, details: dict[str, Any], now: datetime
    ) -> int:
        """Add a reversal line for each of the affiliate's unpaid lines not yet reversed that the
        affiliate is owed (earnings, and a failed payout's give-back `payout-failed:*`): a confirmed
        fraud case takes back what it held. The reversal matures with the line it reverses. Each
        reversal is alerted to the affiliate (`commission_reversed`) and audited (`commission.reversed`,
        actor `ledger`) in the same transaction, so the caller need not. Idempotent (`rev:<line id>`);
        returns how many lines were reversed now."""
        ...

    # --- the ledger pass -----------------------------------------------------------------------------

    async def claim_unledgered(self, limit: int) -> list[Payment]:
        """Payments not yet ledgered, oldest first, locked (FOR UPDATE SKIP LOCKED: two passes share)."""
        ...

    async def referral_of(self, payment: Payment) -> ReferralOf | None: ...

    async def lock_referees(self, referee_user_ids: Collection[int]) -> None:
        """Until this transaction ends, no other pass ledgers these referees' payments (an advisory
        lock each, taken in one order so two passes never deadlock)."""
        ...

    async def payments_of(self, referee_user_id: int, telegram_id: int) -> list[Payment]:
        """Every payment of the referee (by user or by telegram id), whatever its type."""
        ...

    async def lines_of_referee(self, referee_user_id: int) -> list[CommissionLine]: ...

    async def add_lines(self, lines: Sequence[NewLine]) -> list[CommissionLine]:
        """Write the lines not written yet (by `dedupe_key`); returns those written now."""
        ...

    async def mark_ledgered(self, payment_ids: Collection[int], now: datetime) -> None: ...

    async def chat_ids(self, user_ids: Collection[int]) -> dict[int, int]:
        """user id → Telegram id."""
        ...

    async def rebate_sources(self, since: datetime, until: datetime) -> list[RebateSource]:
        """Referees with a deal in [since, until), with their deals of that window."""
        ...

    async def withheld_positions(self, account_ids: Collection[int]) -> frozenset[tuple[int, int]]:
        """(account id, position id) the fraud checks named as wash volume (they earn no rebate)."""
        ...

    # --- payouts -------------------------------------------------------------------------------------

    async def balances(self, now: datetime) -> list[Balance]:
        """Per affiliate and currency, the sum of unpaid lines payable at `now` (carries included)."""
        ...

    async def open_fraud(self, affiliate_user_ids: Collection[int]) -> set[int]: ...

    async def unresolved(self, affiliate_user_ids: Collection[int]) -> set[int]:
        """Affiliates with a payout pending or of unknown outcome."""
        ...

    async def paid_in(self, period: str, affiliate_user_ids: Collection[int]) -> set[tuple[int, str]]:
        """(affiliate, currency) that have a live payout (any status but failed) for `period`."""
        ...

    async def lock_payable(self, affiliate_user_id: int, currency: str, now: datetime) -> list[PayableLine]:
        """The affiliate's unpaid lines payable at `now` in `currency`, locked (FOR UPDATE) in id order."""
        ...

    async def insert_payout(
        self, affiliate_user_id: int, period: str, amount: Decimal, currency: str, by: str, now: datetime
    ) -> Payout | None:
        """A pending payout, or None when (affiliate, period, currency) already has a live one (a failed
        payout does not count: the month may be paid again)."""
        ...

    async def attach(self, payout_id: int, line_ids: Collection[int]) -> None: ...

    async def lock_payout(self, payout_id: int) -> Payout | None: ...

    async def set_status(
        self, payout_id: int, status: PayoutStatus, now: datetime, reference: str | None
    ) -> None: ...

    async def payouts_with(self, statuses: Collection[PayoutStatus]) -> list[Payout]: ...
