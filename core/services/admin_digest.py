"""One summary per window for the admins, however many accounts breach, go quiet or meet a market
guard at once (a broker outage must not bury the admins in messages)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from core.domain.alerts import AdminDigest, AnyDigestItem
from core.domain.models import Alert
from core.services.ports import UnitOfWork

DIGEST_WINDOW_SECONDS = 10
WINDOWS_AHEAD = 3  # a window already sent passes its items to the next one, then to the one after


async def add_to_admin_digest(
    uow: UnitOfWork, admin_ids: tuple[int, ...], items: Sequence[AnyDigestItem], now: datetime
) -> None:
    """Take this last in a transaction: every account's transaction in the window updates the same
    digest row and holds its lock until commit, so the later it is taken, the less they queue.

    Items that arrive after their window's digest went out join the next window's digest: one more
    message per window, not one per transaction (a sent digest used to get a sibling per item)."""
    if not items:
        return
    window = int(now.timestamp()) // DIGEST_WINDOW_SECONDS * DIGEST_WINDOW_SECONDS
    digest = AdminDigest(tuple(items))
    for admin in admin_ids:
        await _add_for(uow, admin, digest, window)


async def _add_for(uow: UnitOfWork, admin: int, digest: AdminDigest, window: int) -> None:
    for ahead in range(WINDOWS_AHEAD):
        start = window + ahead * DIGEST_WINDOW_SECONDS
        deliver_at = datetime.fromtimestamp(start + DIGEST_WINDOW_SECONDS + 1, UTC)
        if await uow.outbox.add_to_digest(Alert(f"digest:liq:{admin}:{start}", admin, digest), deliver_at):
            return
    late = Alert(f"digest:liq:{admin}:{window}:late:{secrets.token_hex(6)}", admin, digest)
    await uow.outbox.add(late)  # never lost, whatever the relay did meanwhile
