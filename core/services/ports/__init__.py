"""What the services need from the outside world, one module per aggregate; db/ implements these and
tests may fake them. Everything is re-exported here: `from core.services.ports import UnitOfWork`."""

from __future__ import annotations

from core.services.ports.account_state import AccountStateRepository
from core.services.ports.accounts import AccountRepository, GuardRef
from core.services.ports.audit import AuditRepository
from core.services.ports.commands import CommandRepository
from core.services.ports.deals import DealRepository
from core.services.ports.devices import DeviceRepository
from core.services.ports.fraud import FraudRepository
from core.services.ports.halt import HaltRepository
from core.services.ports.history import EquityPoint, HistoryRepository
from core.services.ports.ledger import LedgerRepository
from core.services.ports.market import SymbolMemory
from core.services.ports.nonces import NonceStore
from core.services.ports.outbox import Doorbell, OutboxRepository
from core.services.ports.payments import PaymentRepository
from core.services.ports.reconciliation import ReconciliationRepository
from core.services.ports.referrals import ReferralRepository
from core.services.ports.signals import Follower, SignalRepository
from core.services.ports.uow import UnitOfWork, UnitOfWorkFactory
from core.services.ports.users import UserRepository
from core.services.ports.values import Clock, JsonDict
from core.services.ports.views import ViewCache

__all__ = [
    "AccountRepository",
    "AccountStateRepository",
    "AuditRepository",
    "Clock",
    "CommandRepository",
    "DealRepository",
    "DeviceRepository",
    "Doorbell",
    "EquityPoint",
    "Follower",
    "FraudRepository",
    "GuardRef",
    "HaltRepository",
    "HistoryRepository",
    "JsonDict",
    "LedgerRepository",
    "NonceStore",
    "OutboxRepository",
    "PaymentRepository",
    "ReconciliationRepository",
    "ReferralRepository",
    "SignalRepository",
    "SymbolMemory",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "ViewCache",
]
