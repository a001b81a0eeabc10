"""/referral's text (the trader's link, referrals and commission) and the referral alert. Pure; every
dynamic value is escaped by the translator (Raw only for fragments rendered here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot.i18n import Raw, Translator
from bot.render.fraud import rule_name
from bot.render.values import Renderer, Values
from core.domain.affiliates import LineStatus
from core.domain.alerts import ReferralSignedUp
from core.services.ports.affiliate_stats import Commission
from core.services.referrals import ReferralOverview


def currencies(commission: Commission) -> list[str]:
    return sorted({currency for _, currency in commission})


def commission_lines(t: Translator, commission: Commission) -> list[str]:
    """One line per currency: pending · payable · paid (0 where a status has nothing)."""
    lines = []
    for currency in currencies(commission):
        sums = {status: commission.get((status, currency), Decimal(0)) for status in LineStatus}
        lines.append(
            t(
                "referral.commission_line",
                pending=t.money(sums[LineStatus.PENDING], currency),
                payable=t.money(sums[LineStatus.PAYABLE], currency),
                paid=t.money(sums[LineStatus.PAID], currency),
            )
        )
    return lines or [t("referral.commission_none")]


def next_payout(t: Translator, at: datetime | None, min_payout: Decimal) -> str:
    if at is not None:
        return t("referral.next_payout_at", at=t.moment(at))
    return t("referral.next_payout_minimum", minimum=t.number(min_payout))


def render_referral(t: Translator, link: str, overview: ReferralOverview, min_payout: Decimal) -> str:
    standing = overview.standing
    lines = [
        t("referral.title"),
        t("referral.link", link=link),
        "",
        t.plural("referral.signups", standing.signups),
        t.plural("referral.paying", standing.paying),
        "",
        t("referral.commission"),
        *commission_lines(t, standing.commission),
        next_payout(t, standing.next_payable_at, min_payout),
    ]
    if standing.hold_rules is not None:
        names = ", ".join(dict.fromkeys(rule_name(t, rule) for rule in standing.hold_rules))
        reasons = names or t("fraud.rule_other")
        lines += ["", t("referral.hold", reasons=Raw(reasons))]  # catalogue words, not user input
    return "\n".join(lines)


def _signed_up(t: Translator, alert: ReferralSignedUp) -> Values:
    return {"name": alert.referee_first_name}


REFERRAL_RENDERERS: dict[type, Renderer] = {ReferralSignedUp: _signed_up}
