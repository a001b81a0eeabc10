"""Composition of /privacy (issue 13), kept out of bot/app.py: the privacy service (its repository on the
unit of work's own session, given by bot/app.py) and what a deletion makes every copy forget (the user's
cached record here and in Redis, their cached list of links)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.config import Settings
from core.services.ports import Clock, UnitOfWorkFactory
from core.services.ports.privacy import PrivacyRepositoryFactory
from core.services.privacy import PrivacyService, RetentionPolicy
from core.services.queries import AccountQueries
from core.services.users import UserService

log = logging.getLogger(__name__)


def privacy_service(
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    repository: PrivacyRepositoryFactory,
    drop_shared: Callable[[int], Awaitable[object]],
    users: UserService,
    queries: AccountQueries,
) -> PrivacyService:
    async def forget(telegram_id: int) -> None:
        """The erased Telegram id's record leaves the shared copy and this process's own (another
        process's own copy lives USER_CACHE_SECONDS at most, and the stored record is gone)."""
        try:
            await drop_shared(telegram_id)
        except Exception as error:  # best effort: the copy expires within USER_CACHE_REDIS_SECONDS
            log.warning("an erased user's cached record was not dropped from Redis: %s", error)
        await users.forget(telegram_id)

    return PrivacyService(
        uow,
        repository,
        clock,
        RetentionPolicy(settings.retention_days),
        forget=forget,
        links_changed=queries.links_changed,
    )
