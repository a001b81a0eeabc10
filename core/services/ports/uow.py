"""One transaction over every repository: the services open one per use case and commit once."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from core.services.ports.account_state import AccountStateRepository
from core.services.ports.accounts import AccountRepository
from core.services.ports.affiliate_stats import AffiliateStatsRepository
from core.services.ports.audit import AuditRepository
from core.services.ports.commands import CommandRepository
from core.services.ports.deals import DealRepository
from core.services.ports.devices import DeviceRepository
from core.services.ports.fraud import FraudRepository
from core.services.ports.halt import HaltRepository
from core.services.ports.history import HistoryRepository
from core.services.ports.ledger import LedgerRepository
from core.services.ports.outbox import OutboxRepository
from core.services.ports.payments import PaymentRepository
from core.services.ports.reconciliation import ReconciliationRepository
from core.services.ports.referrals import ReferralRepository
from core.services.ports.signals import SignalRepository
from core.services.ports.users import UserRepository


class UnitOfWork(Protocol):
    users: UserRepository
    accounts: AccountRepository
    devices: DeviceRepository
    states: AccountStateRepository
    deals: DealRepository
    commands: CommandRepository
    outbox: OutboxRepository
    audit: AuditRepository

    halt: HaltRepository
    signals: SignalRepository
    reconciliation: ReconciliationRepository
    history: HistoryRepository

    # the affiliate programme (issue 11, docs/affiliates.md)
    referrals: ReferralRepository
    payments: PaymentRepository
    ledger: LedgerRepository
    fraud: FraudRepository
    affiliate_stats: AffiliateStatsRepository  # read only: /referral, /stats, the summary

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
