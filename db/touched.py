"""What a unit of work changed that copies outside Postgres must hear of once it commits: accounts whose
guard, commands or settings changed (their hot state is refreshed) and accounts whose devices changed
(every process drops their cached credentials). Repositories note them on the session; the unit of
work (db.uow) hands them on after the commit, never before: a rolled-back change is no news."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

ACCOUNTS = "tradeguard.touched_accounts"
DEVICES = "tradeguard.touched_device_accounts"


def touch_accounts(session: AsyncSession, account_ids: set[int]) -> None:
    session.info.setdefault(ACCOUNTS, set()).update(account_ids)


def touch_devices_of(session: AsyncSession, account_id: int) -> None:
    session.info.setdefault(DEVICES, set()).add(account_id)
    touch_accounts(session, {account_id})


def take_touched(session: AsyncSession) -> tuple[set[int], set[int]]:
    return session.info.pop(ACCOUNTS, set()), session.info.pop(DEVICES, set())
