"""Who is talking to the bot: users, their language, the /start payload, refused admin attempts.

Every update names its sender, so resolving the user is the hottest read the bot has. It is served from
a per-process cache (`cache_seconds`), then from a copy every process shares (Redis, `shared`), then from
Postgres (which fills the shared copy), and never writes unless something changed: a new user, a new first
name or username, or a user who had blocked the bot and is talking again. Every write of a user (those,
/language, /start's payload, the relay finding the bot blocked) writes the committed record through to
the shared copy and this process's own: another process sees it once its own copy is gone (at most
`cache_seconds`), so a process that starts reads a known user with no Postgres statement."""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from core.domain.models import User
from core.services.errors import InvalidInput
from core.services.ports import UnitOfWork, UnitOfWorkFactory
from core.services.ports.users import SharedUserCache

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

    hits: int = 0  # this process's copy
    shared_hits: int = 0  # the copy every process shares
    misses: int = 0  # read from Postgres
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
        shared: SharedUserCache | None = None,
    ) -> None:
        self.uow = uow
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self.shared = shared
        self.counts = CacheCounts()
        self._known: OrderedDict[int, tuple[float, User]] = OrderedDict()
        # Telegram ids whose latest resolve created the user: the update being handled is their first
        # contact (a referral link counts only then). Every resolve clears the mark first, and the gate
        # resolves each update before its handlers run, one update of a chat at a time.
        self._first_contacts: OrderedDict[int, None] = OrderedDict()

    async def resolve(
        self, telegram_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> User:
        """The user behind an update, created on first contact in their Telegram language."""
        self._first_contacts.pop(telegram_id, None)
        cached = self._cached(telegram_id)
        if cached is not None and _current(cached, first_name, username):
            self.counts.hits += 1
            return cached
        if cached is None:
            cached = await self._shared(telegram_id)
            if cached is not None and _current(cached, first_name, username):
                self.counts.shared_hits += 1
                self._keep(cached)
                return cached
        self.counts.misses += 1
        async with self.uow() as uow:
            user = cached or await uow.users.by_telegram_id(telegram_id)
            written = user is None or not _current(user, first_name, username)
            if user is None:
                self._mark_first_contact(telegram_id)
            if user is None or written:
                self.counts.writes += 1
                language = pick_language(language_code)
                user = await uow.users.upsert(telegram_id, first_name, username, language)
                await uow.commit()
        await self._share(user, replace=written)
        return user

    def first_contact(self, telegram_id: int) -> bool:
        """Whether the latest resolve of this user created them (the bot had never seen them before)."""
        return telegram_id in self._first_contacts

    def _mark_first_contact(self, telegram_id: int) -> None:
        self._first_contacts[telegram_id] = None
        while len(self._first_contacts) > MAX_CACHED_USERS:
            self._first_contacts.popitem(last=False)

    async def forget(self, telegram_id: int) -> None:
        """The stored user changed behind the cache (e.g. the relay found the bot blocked): the copies
        are read again from Postgres."""
        self._known.pop(telegram_id, None)
        async with self.uow() as uow:
            user = await uow.users.by_telegram_id(telegram_id)
        if user is not None:
            await self._share(user, replace=True)

    async def record_start(self, user: User, payload: str) -> None:
        if not START_PAYLOAD.match(payload):
            raise InvalidInput("start payload: 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        if user.start_payload:
            return  # the first referral wins; a later link cannot steal it
        async with self.uow() as uow:
            await uow.users.set_start_payload(user.id, payload)
            await self._commit_and_share(uow, user.telegram_id)

    async def set_language(self, user: User, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(SUPPORTED_LANGUAGES)}")
        async with self.uow() as uow:
            await uow.users.set_language(user.id, language)
            await self._commit_and_share(uow, user.telegram_id)

    async def _commit_and_share(self, uow: UnitOfWork, telegram_id: int) -> None:
        """Commit a write of the user, then put what was written in every copy (read back in the same
        transaction: the record as committed, not as the caller last saw it)."""
        self._known.pop(telegram_id, None)
        written = await uow.users.by_telegram_id(telegram_id)
        await uow.commit()
        if written is not None:
            await self._share(written, replace=True)

    async def _shared(self, telegram_id: int) -> User | None:
        return None if self.shared is None else await self.shared.get(telegram_id)

    async def _share(self, user: User, *, replace: bool) -> None:
        self._keep(user)
        if self.shared is not None:
            await self.shared.put(user, replace=replace)

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
