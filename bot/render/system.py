"""Issue 13: the "system degraded" and "recovered" alerts to the admins. Pure."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render.values import Renderer, Values
from core.domain.alerts import SystemDegraded, SystemRecovered

NAMES = {"postgres": "PostgreSQL", "redis": "Redis", "telegram": "Telegram"}  # product names, untranslated


def _degraded(t: Translator, alert: SystemDegraded) -> Values:
    return {"dependency": NAMES.get(alert.dependency, alert.dependency), "since": t.moment(alert.since)}


def _recovered(t: Translator, alert: SystemRecovered) -> Values:
    return {
        "dependency": NAMES.get(alert.dependency, alert.dependency),
        "since": t.moment(alert.since),
        "until": t.moment(alert.until),
    }


SYSTEM_RENDERERS: dict[type, Renderer] = {SystemDegraded: _degraded, SystemRecovered: _recovered}
