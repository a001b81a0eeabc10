"""One AsyncSession per unit of work; the services commit once, anything else rolls back."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.repositories.account_state import SqlAccountStateRepository
from db.repositories.accounts import SqlAccountRepository
from db.repositories.affiliate_stats import SqlAffiliateStatsRepository
from db.repositories.audit import SqlAuditRepository
from db.repositories.commands import SqlCommandRepository
from db.repositories.deals import SqlDealRepository
from db.repositories.devices import SqlDeviceRepository
from db.repositories.fraud import SqlFraudRepository
from db.repositories.halt import SqlHaltRepository
from db.repositories.history import SqlHistoryRepository
from db.repositories.ledger import SqlLedgerRepository
from db.repositories.outbox import SqlOutboxRepository
from db.repositories.payments import SqlPaymentRepository
from db.repositories.reconciliation import SqlReconciliationRepository
from db.repositories.referrals import SqlReferralRepository
from db.repositories.sealed_secrets import SqlSealedSecretRepository
from db.repositories.signals import SqlSignalRepository
from db.repositories.tokens import SqlTokenRepository
from db.repositories.users import SqlUserRepository
from db.touched import take_touched

log = logging.getLogger(__name__)
# After a commit: the accounts whose durable state changed, and those whose devices changed.
OnCommit = Callable[[set[int], set[int]], Awaitable[None]]


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], on_commit: OnCommit | None = None) -> None:
        self._sessions = sessions
        self._on_commit = on_commit

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.users = SqlUserRepository(self.session)
        self.accounts = SqlAccountRepository(self.session)
        self.devices = SqlDeviceRepository(self.session)
        self.states = SqlAccountStateRepository(self.session)
        self.deals = SqlDealRepository(self.session)
        self.commands = SqlCommandRepository(self.session)
        self.outbox = SqlOutboxRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        self.halt = SqlHaltRepository(self.session)
        self.signals = SqlSignalRepository(self.session)
        self.reconciliation = SqlReconciliationRepository(self.session)
        self.history = SqlHistoryRepository(self.session)
        self.referrals = SqlReferralRepository(self.session)
        self.payments = SqlPaymentRepository(self.session)
        self.ledger = SqlLedgerRepository(self.session)
        self.fraud = SqlFraudRepository(self.session)
        self.affiliate_stats = SqlAffiliateStatsRepository(self.session)
        self.tokens = SqlTokenRepository(self.session)
        self.sealed_secrets = SqlSealedSecretRepository(self.session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        accounts, devices = take_touched(self.session)
        if self._on_commit is not None and (accounts or devices):
            try:
                await self._on_commit(accounts, devices)
            except Exception as error:  # committed is committed: the copies expire (hot state, TTLs)
                log.warning("after-commit news of accounts %s not delivered: %s", sorted(accounts), error)


def unit_of_work_factory(
    engine: AsyncEngine, on_commit: OnCommit | None = None
) -> Callable[[], SqlUnitOfWork]:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    return lambda: SqlUnitOfWork(sessions, on_commit)
