"""What a trader controls (issue 13, /privacy): everything stored about one user, read for their export,
erased or pseudonymised for their deletion, and the snapshot history purged past the retention period.
db/repositories/privacy.py implements it on the unit of work's own transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.services.ports.uow import UnitOfWork

Record = Mapping[str, object]  # one stored row: Decimals, datetimes, ints, strings (the codec writes it)

# Telegram chat ids have at most 52 significant bits: a pseudonym below -2^53 is nobody's chat, ever.
PSEUDONYM_BASE = 2**53


def pseudonym(user_id: int) -> int:
    """The negative number that replaces a deleted user's Telegram id (the same on every retry)."""
    return -(PSEUDONYM_BASE + user_id)


def is_pseudonym(telegram_id: int) -> bool:
    return telegram_id <= -PSEUDONYM_BASE


@dataclass(frozen=True)
class PersonalData:
    """One user's stored data, by export file (core.services.privacy.EXPORT_FILES names them)."""

    profile: Record
    links: list[Record] = field(default_factory=list)
    account_state: list[Record] = field(default_factory=list)
    equity_history: list[Record] = field(default_factory=list)
    deals: list[Record] = field(default_factory=list)
    alerts_sent: list[Record] = field(default_factory=list)
    referrals: list[Record] = field(default_factory=list)
    payments: list[Record] = field(default_factory=list)
    ledger_lines: list[Record] = field(default_factory=list)
    audit_entries: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Erased:
    """What one deletion changed, counted (no personal value: it goes into the audit entry)."""

    accounts: int = 0
    devices_revoked: int = 0
    alerts: int = 0
    payments: int = 0
    other_rows: int = 0
    referral_code_banned: bool = False


class PrivacyRepository(Protocol):
    async def personal_data(self, user_id: int) -> PersonalData: ...

    async def lock_user(self, user_id: int) -> None:
        """Hold the user's row until the transaction ends (two deletions of one user run one after
        the other)."""
        ...

    async def erase_user(self, user_id: int, telegram_id: int, pseudonym: int, now: datetime) -> Erased:
        """Revoke the devices of every link (their accounts' credentials are forgotten after the commit),
        pseudonymise the user, their outbox rows and payments, ban their referral code, scrub their
        values from JSON kept elsewhere (alerts to others, fraud evidence, ledger details), drop the
        addresses their EAs reached the bridge from. Not the audit log (AuditRepository.erase_personal)."""
        ...

    async def purge_history(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` snapshot-history rows older than `before`; how many went."""
        ...


# The repository is built on a unit of work's own session (the composition root knows how).
PrivacyRepositoryFactory = Callable[[UnitOfWork], PrivacyRepository]
