"""Who is talking to the bot: users, their language, the /start payload, refused admin attempts."""

from __future__ import annotations

import re

from core.domain.models import User
from core.services.errors import InvalidInput
from core.services.ports import UnitOfWorkFactory

SUPPORTED_LANGUAGES = ("en", "es", "ru")
DEFAULT_LANGUAGE = "en"
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def pick_language(language_code: str | None) -> str:
    """Telegram's IETF tag (`es-AR`, `ru`) to a language we ship; anything else is English."""
    base = (language_code or "").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


class UserService:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow

    async def resolve(
        self, telegram_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> User:
        """The user behind an update, created on first contact in their Telegram language."""
        async with self.uow() as uow:
            user = await uow.users.upsert(telegram_id, first_name, username, pick_language(language_code))
            await uow.commit()
        return user

    async def record_start(self, user: User, payload: str) -> None:
        if not START_PAYLOAD.match(payload):
            raise InvalidInput("start payload: 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        if user.start_payload:
            return  # the first referral wins; a later link cannot steal it
        async with self.uow() as uow:
            await uow.users.set_start_payload(user.id, payload)
            await uow.commit()

    async def set_language(self, user: User, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(f"language: one of {', '.join(SUPPORTED_LANGUAGES)}")
        async with self.uow() as uow:
            await uow.users.set_language(user.id, language)
            await uow.commit()
