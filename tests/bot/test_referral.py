"""/referral and /start ref_<code> through the Bot API stand-in: a newcomer with a link is attributed and
the referrer alerted in their language; a known user, oneself, a cycle, a bad or banned code attribute
nobody; /referral shows the link and the standing from the stored tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from sim.telegram import SentMessage, SimUser
from tests.bot.conftest import Stack, is_alert

GREETING = "Hello, "
LINK = re.compile(r"https://t\.me/tradeguard_test_bot\?start=(ref_[A-Za-z0-9_-]+)")


async def payload_of(stack: Stack, user: SimUser) -> str:
    answer = await stack.ask(user, "/referral")
    found = LINK.search(answer.text)
    assert found is not None, answer.text
    return found.group(1)


def signed_up(name: str) -> object:
    return lambda m: is_alert(m) and name in m.text


async def referrer_of(stack: Stack, telegram_id: int) -> int | None:
    return await stack.scalar(
        "SELECT rr.telegram_id FROM referrals r JOIN users u ON u.id = r.referee_user_id "
        "JOIN users rr ON rr.id = r.referrer_user_id WHERE u.telegram_id = :t",
        t=telegram_id,
    )


async def test_a_newcomer_opening_a_link_is_attributed_and_the_referrer_alerted(stack: Stack) -> None:
    ann = stack.user(1001, "Ann", "es")
    link = await payload_of(stack, ann)
    boris = stack.user(1002, "<b>Boris</b>", "en")
    mark = stack.standin.mark()

    answer = await stack.ask(boris, f"/start {link}")
    alert: SentMessage = await stack.standin.wait_for_message(ann.chat_id, signed_up("Boris"), after=mark)

    assert answer.text.startswith(GREETING)
    assert await referrer_of(stack, 1002) == 1001
    assert "se unió a TradeGuard" in alert.text  # Ann's language
    assert alert.entity_texts("bold") == ["<b>Boris</b>"]  # shown literally, escaped
    assert "1002" not in alert.text
    assert await stack.scalar("SELECT count(*) FROM audit_log WHERE action = 'referral.attributed'") == 1


async def test_a_known_user_opening_a_link_is_not_attributed(stack: Stack) -> None:
    ann, boris = stack.user(1001, "Ann"), stack.user(1002, "Boris")
    await stack.ask(boris, "/start")
    link = await payload_of(stack, ann)

    answer = await stack.ask(boris, f"/start {link}")

    assert answer.text.startswith(GREETING)
    assert await referrer_of(stack, 1002) is None
    assert await stack.scalar("SELECT count(*) FROM outbox") == 0


async def test_self_referral_and_a_cycle_are_refused_even_for_a_first_contact(stack: Stack) -> None:
    """Through the bot a newcomer has no code of their own and nobody below them, so the first-contact
    rule already stops both; the service refuses them anyway (the same rule on the real tables)."""
    ann, boris = stack.user(1001, "Ann"), stack.user(1002, "Boris")
    await stack.ask(boris, f"/start {await payload_of(stack, ann)}")
    boris_link = await payload_of(stack, boris)
    svc = stack.core.bot_services

    cycle = await svc.referrals.attribute(
        await svc.users.resolve(1001, "Ann", None, "en"), boris_link, first_contact=True
    )
    itself = await svc.referrals.attribute(
        await svc.users.resolve(1002, "Boris", None, "en"), boris_link, first_contact=True
    )
    again = await stack.ask(ann, f"/start {boris_link}")

    assert (cycle, itself) == ("cycle", "self")
    assert again.text.startswith(GREETING)
    assert await referrer_of(stack, 1001) is None and await referrer_of(stack, 1002) == 1001


async def test_an_unknown_a_mangled_and_a_banned_code_attribute_nobody(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    link = await payload_of(stack, ann)
    async with stack.core.engine.begin() as connection:
        await connection.execute(text("UPDATE referral_codes SET banned_at = now(), ban_reason = 'fraud'"))

    for n, payload in enumerate([link, "ref_NoSuchCode123", "ref_<b>x</b>"]):
        answer = await stack.ask(stack.user(2000 + n, f"New{n}"), f"/start {payload}")
        assert answer.text.startswith(GREETING)

    assert await stack.scalar("SELECT count(*) FROM referrals") == 0
    assert await stack.scalar("SELECT count(*) FROM outbox") == 0


async def test_referral_shows_the_link_and_the_standing(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    link = await payload_of(stack, ann)
    for n in range(3):
        await stack.ask(stack.user(2000 + n, f"Ref{n}"), f"/start {link}")
    now = datetime.now(UTC)
    async with stack.core.engine.begin() as connection:
        ids = dict((await connection.execute(text("SELECT telegram_id, id FROM users"))).all())
        await connection.execute(
            text(
                "INSERT INTO payments (source, external_id, telegram_id, user_id, type, amount, currency,"
                " period_start, period_end, received_at) VALUES"
                " ('stars', 'c1', 2000, :u0, 'paid', 500, 'XTR', :s, :e, :s),"
                " ('stars', 'c2', 2001, :u1, 'paid', 500, 'XTR', :s, :e, :s),"
                " ('stars', 'c3', 2001, :u1, 'refunded', 500, 'XTR', :s, :e, :s)"
            ),
            {"u0": ids[2000], "u1": ids[2001], "s": now - timedelta(days=3), "e": now + timedelta(days=27)},
        )
        lines = [
            ("pay:1:tier_1", "150", now - timedelta(days=3), now + timedelta(days=27)),
            ("pay:9:tier_1", "20", now - timedelta(days=40), now - timedelta(days=10)),
        ]
        for key, amount, earned, payable in lines:
            await connection.execute(
                text(
                    "INSERT INTO commission_lines (dedupe_key, affiliate_user_id, kind, amount, currency,"
                    " rule_version, details, earned_at, payable_at) VALUES"
                    " (:k, :a, 'tier_1', :m, 'XTR', 'v1', '{}', :earned, :payable)"
                ),
                {"k": key, "a": ids[1001], "m": amount, "earned": earned, "payable": payable},
            )
        await connection.execute(
            text(
                "INSERT INTO fraud_cases (affiliate_user_id, status, score, signals, rule_version, opened_at,"
                " updated_at) VALUES (:a, 'open', 70, :signals, 'v1', :now, :now)"
            ),
            {
                "a": ids[1001],
                "now": now,
                "signals": '{"signals": [{"rule": "same_ip", "weight": "40",'
                ' "evidence": {"ip": "203.0.113.9"}}]}',
            },
        )

    answer = await stack.ask(ann, "/referral")

    assert f"https://t.me/tradeguard_test_bot?start={link}" in answer.text
    assert "3 people signed up through your link" in answer.text
    assert "1 of them is paying" in answer.text  # the other's payment was refunded in full
    assert "150 ⭐ · 20 ⭐ · 0 ⭐" in answer.text  # pending · payable · paid
    assert "Next payout: commission becomes payable from" in answer.text
    assert "on hold" in answer.text and "the same network address for referrer and referee" in answer.text
    assert "203.0.113.9" not in answer.text


async def test_referral_without_referrals_says_when_the_next_payout_comes(stack: Stack) -> None:
    answer = await stack.ask(stack.user(1001, "Ann", "ru"), "/referral")

    assert "tradeguard_test_bot?start=ref_" in answer.text
    assert "зарегистрировались 0 человек" in answer.text and "пока нет" in answer.text
    assert "достигнет 50" in answer.text and "удерживается" not in answer.text
