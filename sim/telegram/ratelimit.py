"""Telegram's flood control: a global per-second budget plus a per-chat per-minute one."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from sim.telegram.errors import ApiError


class SlidingWindow:
    """Times of accepted calls within the last ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self._limit = limit
        self._period = period
        self._times: deque[float] = deque()

    def evict(self, now: float) -> None:
        while self._times and self._times[0] <= now - self._period:
            self._times.popleft()

    def retry_after(self, now: float) -> int | None:
        """Seconds until one more call fits, or ``None`` if it fits now."""
        self.evict(now)
        if len(self._times) < self._limit:
            return None
        return max(1, math.ceil(self._times[0] + self._period - now))

    def add(self, now: float) -> None:
        self._times.append(now)

    @property
    def idle(self) -> bool:
        return not self._times


class RateLimiter:
    """Telegram's flood control: a global per-second budget plus a per-chat per-minute one."""

    def __init__(
        self, global_rate: int | None, per_chat_per_minute: int | None, clock: Callable[[], float]
    ) -> None:
        self._global = SlidingWindow(global_rate, 1.0) if global_rate else None
        self._per_chat_limit = per_chat_per_minute
        self._chats: dict[int, SlidingWindow] = {}
        self._clock = clock

    def admit(self, chat_id: int, *, count_for_chat: bool) -> int | None:
        """Record the call and return ``None``, or return ``retry_after`` without recording it."""
        now = self._clock()
        windows = [self._global] if self._global is not None else []
        if count_for_chat and self._per_chat_limit:
            windows.append(self._chats.setdefault(chat_id, SlidingWindow(self._per_chat_limit, 60.0)))
        waits = [wait for window in windows if (wait := window.retry_after(now)) is not None]
        if waits:
            return max(waits)
        for window in windows:
            window.add(now)
        self._forget_idle_chats(now)
        return None

    def _forget_idle_chats(self, now: float) -> None:
        """Keep memory bounded in long demos: windows with no recent calls carry no state."""
        if len(self._chats) <= 1000:
            return
        for chat_id, window in list(self._chats.items()):
            window.evict(now)
            if window.idle:
                del self._chats[chat_id]


class FloodControl:
    """The limiter as the Bot API applies it: a refused call answers 429 with ``retry_after``."""

    def __init__(
        self, global_rate: int | None, per_chat_per_minute: int | None, clock: Callable[[], float]
    ) -> None:
        self._limiter = RateLimiter(global_rate, per_chat_per_minute, clock)
        self.refused = 0  # how many 429s were answered, for tests and benchmarks

    def enforce(self, chat_id: int, *, count_for_chat: bool) -> None:
        retry_after = self._limiter.admit(chat_id, count_for_chat=count_for_chat)
        if retry_after is not None:
            self.refused += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
