"""/referral's and /stats' text, pure: the standing in every language, a hold that names the rules but
not the evidence, unknown rules in plain words, the referral alert escaping the newcomer's name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import translator
from bot.render.affiliate_stats import render_stats, render_stats_png
from bot.render.alerts import render_alert
from bot.render.referral import render_referral
from core.domain.affiliates import LineStatus
from core.domain.alerts import ReferralSignedUp
from core.services.affiliate_stats import Summary
from core.services.ports.affiliate_stats import AffiliateStanding, WeekFigures
from core.services.referrals import ReferralOverview

LINK = "https://t.me/tradeguard_test_bot?start=ref_AbC-12_xyz9"
MINIMUM = Decimal(50)


def overview(**changes: object) -> ReferralOverview:
    return ReferralOverview("AbC-12_xyz9", replace(AffiliateStanding(0, 0, {}, None, None), **changes))


@pytest.mark.parametrize(
    ("language", "count", "words"),
    [
        ("en", 1, "1 person signed up"),
        ("en", 5, "5 people signed up"),
        ("es", 1, "1 persona se registró"),
        ("es", 2, "2 personas se registraron"),
        ("ru", 1, "зарегистрировался 1 человек"),
        ("ru", 3, "зарегистрировались 3 человека"),
        ("ru", 11, "зарегистрировались 11 человек"),
    ],
)
def test_the_signups_read_right_in_every_language(language: str, count: int, words: str) -> None:
    text = render_referral(translator(language), LINK, overview(signups=count), MINIMUM)

    assert words in text and LINK in text


def test_the_commission_is_per_currency_pending_payable_paid_and_the_next_payout_dated() -> None:
    commission = {
        (LineStatus.PENDING, "XTR"): Decimal(150),
        (LineStatus.PAID, "XTR"): Decimal(30),
        (LineStatus.PAYABLE, "USD"): Decimal("12.5"),
    }
    due = datetime(2026, 12, 31, 10, tzinfo=UTC)

    text = render_referral(
        translator("en"), LINK, overview(commission=commission, next_payable_at=due), MINIMUM
    )

    assert "$0.00 · $12.50 · $0.00" in text and "150 ⭐ · 0 ⭐ · 30 ⭐" in text
    assert "payable from Dec 31, 2026" in text and "reaches" not in text


def test_without_pending_commission_the_next_payout_waits_for_the_minimum() -> None:
    text = render_referral(translator("en"), LINK, overview(), MINIMUM)

    assert "none yet" in text and "once your payable commission reaches 50.00" in text


def test_a_hold_names_the_rules_in_words_and_an_unknown_rule_generically() -> None:
    held = overview(hold_rules=("same_ip", "<b>new_rule</b>", "same_ip"))

    text = render_referral(translator("es"), LINK, held, MINIMUM)

    assert "retenida" in text and "la misma dirección de red para quien refiere y el referido" in text
    assert "una comprobación automática" in text and "new_rule" not in text
    assert text.count("la misma dirección de red") == 1


def test_a_hold_with_no_rule_names_still_says_it_is_held() -> None:
    text = render_referral(translator("en"), LINK, overview(hold_rules=()), MINIMUM)

    assert "on hold" in text and "an automatic check" in text


def test_the_referral_alert_escapes_the_newcomers_name() -> None:
    text = render_alert(translator("en"), ReferralSignedUp(referee_first_name="<b>Bo</b> & co"))

    assert text == "✅ <b>&lt;b&gt;Bo&lt;/b&gt; &amp; co</b> joined TradeGuard through your referral link."


def summary() -> Summary:
    busy = WeekFigures(
        date(2026, 11, 30), 4, 1, 2, {"XTR": Decimal(1000), "USD": Decimal("19.98")},
        {(LineStatus.PENDING, "XTR"): Decimal(300)}, 1,
    )  # fmt: skip
    weeks = tuple(WeekFigures(date(2026, 9, 14) + timedelta(weeks=n)) for n in range(11))
    return Summary((*weeks, busy), datetime(2026, 12, 2, 12, tzinfo=UTC))


def test_stats_lists_the_weeks_latest_first_with_every_figure() -> None:
    text = render_stats(translator("en"), summary())

    lines = text.splitlines()
    assert lines[2] == "<b>2026-W49</b>: 4 (1) · 2 · 1,000 ⭐ · $19.98 · 300 ⭐ / — / — · 1"
    assert len(lines) == 14 and lines[-1].startswith("<b>2026-W38</b>: 0 (0) · 0 · 0 ⭐ · —")


def test_the_stats_chart_is_a_png() -> None:
    assert render_stats_png(summary(), t=translator("ru")).startswith(b"\x89PNG\r\n\x1a\n")
