"""The signal alert: what the signal asks this account to open, and the Approve / Skip buttons (Approve
first). The buttons' callback data names the account and the signal; the press is checked again by the
service (the presser must own the account, before the signal expires)."""

from __future__ import annotations

from decimal import Decimal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Raw, Translator
from bot.render.values import Renderer, Values, about
from core.domain.alerts import AlertBody, SignalReceived

SIGNAL_BUTTON = "sig:v1:"  # + a (approve) or s (skip) + ":<account id>:<signal id>", at most 58 bytes
APPROVE, SKIP = "a", "s"


def signal_button(action: str, account_id: int, signal_id: str) -> str:
    return f"{SIGNAL_BUTTON}{action}:{account_id}:{signal_id}"


def parse_signal_button(data: str) -> tuple[bool, int, str] | None:
    """(approve?, account id, signal id) from a button's callback data; None when it is not one."""
    parts = data.removeprefix(SIGNAL_BUTTON).split(":")
    if not data.startswith(SIGNAL_BUTTON) or len(parts) != 3 or parts[0] not in (APPROVE, SKIP):
        return None
    if not parts[1].isascii() or not parts[1].isdigit() or not parts[2]:
        return None
    return parts[0] == APPROVE, int(parts[1]), parts[2]


def _price(t: Translator, value: Decimal | None) -> str:
    return t.price(value.normalize()) if value is not None else "—"


def _signal(t: Translator, alert: SignalReceived) -> Values:
    size = t("signal.volume", volume=t.number(alert.volume))
    if alert.risk_percent is not None:
        size = t("signal.volume_risk", volume=t.number(alert.volume), risk=t.percent(alert.risk_percent))
    expiry = t("signal.expires", at=t.moment(alert.expires_at)) if alert.expires_at else t("signal.no_expiry")
    return {
        **about(alert),
        "signal_id": alert.signal_id,
        "symbol": alert.symbol,
        "side": Raw(t(f"signal.side_{alert.side.value}")),
        "size": Raw(size),
        "entry": _price(t, alert.entry),
        "sl": _price(t, alert.sl),
        "tp": _price(t, alert.tp),
        "expiry": Raw(expiry),
    }


def signal_keyboard(t: Translator, alert: AlertBody) -> InlineKeyboardMarkup | None:
    """The buttons an alert is sent with: Approve then Skip for a signal, none for the others."""
    if not isinstance(alert, SignalReceived):
        return None
    approve = signal_button(APPROVE, alert.account_id, alert.signal_id)
    skip = signal_button(SKIP, alert.account_id, alert.signal_id)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("signal.button_approve"), callback_data=approve),
                InlineKeyboardButton(t("signal.button_skip"), callback_data=skip),
            ]
        ]
    )


SIGNAL_RENDERERS: dict[type[AlertBody], Renderer] = {SignalReceived: _signal}
