"""One summary per window for the admins, however many accounts breach, go quiet or meet a market
guard at once (a broker outage must not bury the admins in messages)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.domain.models import Alert
from core.services.ports import UnitOfWork

DIGEST_WINDOW_SECONDS = 10


async def add_to_admin_digest(
    uow: UnitOfWork, admin_ids: tuple[int, ...], items: list[dict[str, Any]], now: datetime
) -> None:
    """Take this last in a transaction: every account's transaction in the window updates the same
    digest row and holds its lock until commit, so the later it is taken, the less they queue."""
    if not items:
        return
    window = int(now.timestamp()) // DIGEST_WINDOW_SECONDS * DIGEST_WINDOW_SECONDS
    deliver_at = datetime.fromtimestamp(window + DIGEST_WINDOW_SECONDS + 1, UTC)
    for admin in admin_ids:
        alert = Alert(f"digest:liq:{admin}:{window}", admin, "admin_liquidation_digest", {"items": items})
        await uow.outbox.add_to_digest(alert, deliver_at)
