"""Fraud cases in words (issue 11): the admins' alert and review (evidence shown readably, every value
escaped), the affiliate's hold and outcome (the checks' names only: the evidence names other users),
and the review's buttons (short, versioned callback data with the case id)."""

from __future__ import annotations

import html
import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Raw, Translator
from bot.render.values import Renderer, Values
from core.domain.affiliates import FraudSignal
from core.domain.affiliates.fraud import WEIGHTS
from core.domain.alerts import AlertBody, FraudDecided, FraudFlagged, FraudHold
from core.domain.codec import to_json
from core.services.fraud import CaseView, Decision

FRAUD_BUTTON = "fr:v1:"  # fr:v1:<decision>:<case id>, well under Telegram's 64 bytes
BUTTONS = (
    (Decision.CONFIRM, "fraud.button_confirm"),
    (Decision.CONFIRM_BAN, "fraud.button_confirm_ban"),
    (Decision.CLEAR, "fraud.button_clear"),
    (Decision.LATER, "fraud.button_later"),
)
KNOWN_RULES = frozenset(WEIGHTS)  # every rule the checks score has words of its own
EVIDENCE_CHARS = 600  # one signal's evidence; the whole message is split under Telegram's limit


def fraud_button(decision: Decision, case_id: int) -> str:
    return f"{FRAUD_BUTTON}{decision.value}:{case_id}"


def parse_fraud_button(data: str) -> tuple[Decision, int] | None:
    """The decision and case id of one of our buttons; None for anything else (old or forged)."""
    decision, _, case_id = data.removeprefix(FRAUD_BUTTON).partition(":")
    if (
        not data.startswith(FRAUD_BUTTON)
        or not (case_id.isascii() and case_id.isdigit())
        or len(case_id) > 18
    ):
        return None
    try:
        return Decision(decision), int(case_id)
    except ValueError:
        return None


def fraud_keyboard(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(t(key), callback_data=fraud_button(d, case_id)) for d, key in BUTTONS]
    return InlineKeyboardMarkup([buttons[:2], buttons[2:]])


def rule_name(t: Translator, rule: str) -> str:
    """A check's name in words; one without words of its own is named generically (its code names nothing
    the affiliate should read)."""
    return t(f"fraud.rule.{rule}") if rule in KNOWN_RULES else t("fraud.rule_other")


def _reasons(t: Translator, reasons: tuple[str, ...]) -> Raw:
    if not reasons:
        return Raw(t("fraud.no_reasons"))
    return Raw("\n".join(f"• {html.escape(reason)}" for reason in reasons))


def _evidence(signal: FraudSignal) -> str:
    text = json.dumps(to_json(signal.evidence), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1] + "…"


def render_case(t: Translator, view: CaseView) -> str:
    """One case for review: who, the score and its reasons, then every signal with its evidence."""
    case = view.case
    lines = [
        t.plural("fraud.queue", view.waiting),
        t(
            "fraud.case",
            case=case.id,
            name=view.affiliate_name or "—",
            telegram_id=view.affiliate_telegram_id,
            score=t.number(case.score),
            opened=t.moment(case.opened_at),
            version=case.rule_version,
        ),
        str(_reasons(t, case.reasons)),
        t("fraud.evidence"),
    ]
    for signal in case.signals:
        weight = t.number(signal.weight)
        lines.append(
            t("fraud.signal", rule=rule_name(t, signal.rule), weight=weight, evidence=_evidence(signal))
        )
    return "\n".join(lines)


def _flagged(t: Translator, alert: FraudFlagged) -> Values:
    return {
        "case": alert.case_id,
        "telegram_id": alert.affiliate_telegram_id,
        "score": t.number(alert.score),
        "reasons": _reasons(t, alert.reasons),
    }


def _hold(t: Translator, alert: FraudHold) -> Values:
    rules = ", ".join(html.escape(rule_name(t, rule)) for rule in alert.rules) or t("fraud.rule_none")
    return {"case": alert.case_id, "rules": Raw(rules)}


def _decided(t: Translator, alert: FraudDecided) -> Values:
    banned = t("fraud.code_banned") if alert.code_banned else ""
    return {
        "case": alert.case_id,
        "outcome": Raw(t(f"fraud.outcome_{alert.outcome.value}")),
        "banned": Raw(banned),
    }


FRAUD_RENDERERS: dict[type[AlertBody], Renderer] = {
    FraudFlagged: _flagged,
    FraudHold: _hold,
    FraudDecided: _decided,
}
