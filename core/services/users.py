"""Who is talking to the bot: users, their language, the /start payload, refused admin attempts.

Every update names its sender, so resolving the user is the hottest read the bot has. It is served from
a per-process cache (`cache_seconds`, backed by Postgres) and never writes unless something changed:
a new user, a new first name or username, or a user who had blocked the bot and is talking again. The
writes that change a user (/language, /start's payload, the relay finding the bot blocked) forget the
cached copy, in this process at once and in any other one within `cache_seconds`."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from core.domain.models import User
from core.services.errors import InvalidInput
from core.services.ports import UnitOfWorkFactory

SUPPORTED_LANGUAGES = ("en", "es", "ru")
DEFAULT_LANGUAGE = "en"
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CACHED_USERS = 100_000  # ~200 bytes each: the oldest is dropped past this


def pick_language(language_code: str | None) -> str:
    """Telegram's IETF tag (`es-AR`, `ru`) to a language we ship; anything else is English."""
    base = (language_code or "").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@dataclass
class CacheCounts:
    """What the user cache did since start, for Prometheus (the bot's metrics read it)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0


def _current(user: User, first_name: str, username: str | None) -> bool:
    """Nothing Telegram tells us about this user differs from what we hold (and they talk to us)."""
    return user.first_name == first_name and user.username == username and not user.blocked_bot


class UserService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        cache_seconds: float = 0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uow = uow
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self.counts = CacheCounts()
        self._known: OrderedDict[int, tuple[float, User]] = OrderedDict()

    async def resolve(
        self, telegram_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> User:
        """The user behind an update, created on first contact in their Telegram language."""
        cached = self._cached(telegram_id)
        if cached is not None and _current(cached, first_name, username):
            self.counts.hits += 1
            return cached
        self.counts.misses += 1
        async with self.uow() as uow:
            user = cached or await uow.users.by_telegram_id(telegram_id)
            if user is None or not _current(user, first_name, username):
                self.counts.writes += 1
                language = pick_language(language_code)
                user = await uow.users.upsert(telegram_id, first_name, username, language)
                await uow.commit()
        self._keep(user)
        return user

    def forget(self, telegram_id: int) -> None:
        """The stored user changed behind the cache (e.g. the relay found the bot blocked)."""
        self._known.pop(telegram_id, None)

    async def record_start(self, user: User, payload: str) -> None:
        if not START_PAYLOAD.match(payload):
            raise InvalidInput("start payload: 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        if user.start_payload:
            return  # the first referral wins; a later link cannot steal it
        async with self.uow() as uow:
            await uow.users.set_start_payload(user.id, payload)
            await uow.commit()
        self.forget(user.telegram_id)

    async def set_language(self, user: User, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(SUPPORTED_LANGUAGES)}")
        async with self.uow() as uow:
            await uow.users.set_language(user.id, language)
            await uow.commit()
        self.forget(user.telegram_id)

    def _cached(self, telegram_id: int) -> User | None:
        entry = self._known.get(telegram_id)
        if entry is None:
            return None
        expires, user = entry
        if self.monotonic() >= expires:
            del self._known[telegram_id]
            return None
        return user

    def _keep(self, user: User) -> None:
        if self.cache_seconds <= 0:
            return
        self._known[user.telegram_id] = (self.monotonic() + self.cache_seconds, user)
        self._known.move_to_end(user.telegram_id)
        while len(self._known) > MAX_CACHED_USERS:
            self._known.popitem(last=False)
