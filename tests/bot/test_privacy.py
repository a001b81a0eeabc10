"""/privacy through the real bot and the Bot API stand-in: what is stored, the export (a ZIP in the
chat, checked file by file), and the deletion round trip: told first in their language, then nothing
naming them left in any table (information_schema), their EA refused (401), the chain still verifying."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from core.domain.models import User
from sim.ea.client import BridgeClient, BridgeError
from sim.telegram import SentMessage
from tests.bot.conftest import LOGIN, SERVER, Stack

ZELDA = 987654321012  # a Telegram id no other number in the test contains
NAME, USERNAME = "Zelda-Quux", "zelda_quux_77"
EMAIL, FINGERPRINT = "zelda.quux@example.test", "fp-zelda-4f1c9a"
FILES = (
    "README.txt",
    "account_state.json",
    "alerts_sent.json",
    "audit_entries.json",
    "deals.json",
    "equity_history.json",
    "ledger_lines.json",
    "links.json",
    "payments.json",
    "profile.json",
    "referrals.json",
)
COLUMNS = (
    "SELECT table_name, column_name, data_type FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name <> 'alembic_version'"
    " AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bigint')"
)


def is_document(message: SentMessage) -> bool:
    return message.method == "sendDocument"


async def pay(stack: Stack, telegram_id: int, external_id: str) -> None:
    """A payment as the operator's event stores it, with the payer's email and fingerprint."""
    async with stack.core.engine.begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO payments (source, external_id, telegram_id, user_id, type, amount, currency,"
            " plan, period_start, period_end, payer_fingerprint, email, received_at)"
            " SELECT 'external', $1, $2, id, 'paid', 9.90, 'USD', 'monthly', now(),"
            " now() + interval '30 days', $3, $4, now() FROM users WHERE telegram_id = $2",
            (external_id, telegram_id, FINGERPRINT if telegram_id == ZELDA else None,
             EMAIL if telegram_id == ZELDA else None),
        )  # fmt: skip


async def privacy_menu(stack: Stack, user: Any) -> SentMessage:
    menu = await stack.ask(user, "/privacy", expect=lambda m: bool(m.buttons))
    return menu


async def test_privacy_states_what_is_stored_for_how_long(stack: Stack) -> None:
    ann = stack.standin.user(ZELDA, NAME, "en", USERNAME)
    menu = await privacy_menu(stack, ann)
    assert "365 days" in menu.text and "equity history" in menu.text and "audit entries" in menu.text
    assert [b["text"] for b in menu.buttons] == ["Export", "Delete"]


async def test_export_is_a_zip_of_their_own_data(stack: Stack) -> None:
    zelda = stack.standin.user(ZELDA, NAME, "en", USERNAME)
    bob = stack.standin.user(555000111, "Bob", "en", "bob_other")
    creds = await stack.link(zelda)
    await stack.connect(creds)
    await stack.link(bob, LOGIN + 1, SERVER)
    await pay(stack, ZELDA, "ext-zelda-1")
    await pay(stack, 555000111, "ext-bob-1")

    menu = await privacy_menu(stack, zelda)
    mark = stack.standin.mark()
    await zelda.press(menu, menu.buttons[0]["callback_data"])
    document = await stack.standin.wait_for_message(zelda.chat_id, is_document, 10.0, after=mark)

    assert document.media is not None and (document.media_name or "").endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(document.media))
    assert sorted(archive.namelist()) == sorted(FILES)
    readme = archive.read("README.txt").decode()
    assert all(f"{name}:" in readme for name in FILES if name != "README.txt")

    def read(name: str) -> Any:
        return json.loads(archive.read(name))

    profile = read("profile.json")
    assert (profile["telegram_id"], profile["first_name"], profile["username"]) == (ZELDA, NAME, USERNAME)
    links = read("links.json")
    assert [(link["login"], link["server"]) for link in links] == [(LOGIN, SERVER)]
    assert not any("secret" in key for link in links for key in link)
    states = read("account_state.json")
    assert [state["login"] for state in states] == [LOGIN]
    assert isinstance(states[0]["equity"], str)  # decimals as strings (core.domain.codec)
    payments = read("payments.json")
    assert [(p["external_id"], p["amount"], p["email"]) for p in payments] == [
        ("ext-zelda-1", "9.90000000", EMAIL)
    ]
    alerts = read("alerts_sent.json")
    assert alerts and all(set(entry) >= {"kind", "params", "status", "sent_at"} for entry in alerts)
    assert [entry["params"]["login"] for entry in alerts] == [LOGIN] * len(alerts)  # the EA's "connected"
    audit = read("audit_entries.json")
    assert any(entry["action"] == "account.linked" for entry in audit)
    everything = b"".join(archive.read(name) for name in FILES)
    assert not [other for other in (b"bob_other", b"555000111", b"ext-bob-1") if other in everything]


async def leftovers(stack: Stack, needles: list[str], skip: tuple[str, ...] = ("audit_log",)) -> list[str]:
    """Every table and text column (and bigint column, for the Telegram id) that still names the user."""
    found = []
    for table, column, data_type in await stack.rows(COLUMNS):
        if table in skip:
            continue
        if data_type == "bigint":
            hits = await stack.scalar(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :id', id=ZELDA)
            if hits:
                found.append(f"{table}.{column} = {ZELDA}")
            continue
        for needle in needles:
            sql = f'SELECT count(*) FROM "{table}" WHERE strpos("{column}"::text, :needle) > 0'
            if await stack.scalar(sql, needle=needle):
                found.append(f"{table}.{column} ~ {needle}")
    return found


async def delete_zelda(stack: Stack) -> tuple[Any, SentMessage]:
    zelda = stack.standin.user(ZELDA, NAME, "es", USERNAME)
    creds = await stack.link(zelda)
    await stack.connect(creds)
    await pay(stack, ZELDA, "ext-zelda-1")
    menu = await privacy_menu(stack, zelda)
    confirm = await stack.press(zelda, menu, menu.buttons[1]["callback_data"], lambda m: bool(m.buttons))
    assert "No se puede deshacer" in confirm.text
    told = await stack.press(zelda, confirm, confirm.buttons[0]["callback_data"])
    return creds, told


async def test_delete_erases_them_everywhere_and_refuses_their_ea(stack: Stack) -> None:
    creds, told = await delete_zelda(stack)

    assert told.chat_id == ZELDA
    assert "Tus datos están borrados" in told.text and "auditoría" in told.text  # in their language
    needles = [str(ZELDA), NAME, USERNAME, EMAIL, FINGERPRINT]
    assert await leftovers(stack, needles) == []
    row = (await stack.rows("SELECT telegram_id, first_name, username, language FROM users"))[0]
    assert row[0] < -(2**53) and tuple(row[1:]) == ("", "", "es")
    erased_payments = "SELECT count(*) FROM payments WHERE email IS NULL AND payer_fingerprint IS NULL"
    assert await stack.scalar(erased_payments) == 1
    with pytest.raises(BridgeError) as refused:
        async with BridgeClient(stack.http_url, creds.device_id, creds.secret, max_attempts=1) as client:
            await client.ping()
    assert refused.value.status == 401
    # audited, without personal values
    erased = await stack.rows("SELECT subject, details::text FROM audit_log WHERE action = 'privacy.erased'")
    assert len(erased) == 1 and not any(needle in erased[0][1] for needle in needles)

    # idempotent: a retried deletion (the same update again) finds nothing and changes nothing
    privacy = stack.core.bot_services.privacy
    assert privacy is not None
    told_again: list[object] = []

    async def tell(erased: object) -> None:
        told_again.append(erased)

    retried = User(id=1, telegram_id=ZELDA, first_name=NAME, language="es", username=USERNAME)
    assert await privacy.delete(retried, tell) is None and told_again == []
    assert await stack.scalar("SELECT count(*) FROM audit_log WHERE action = 'privacy.erased'") == 1
    assert await leftovers(stack, needles) == []


async def test_after_deletion_the_same_person_starts_afresh(stack: Stack) -> None:
    await delete_zelda(stack)
    again = stack.standin.user(ZELDA, NAME, "en", USERNAME)
    menu = await privacy_menu(stack, again)
    assert menu.buttons  # a new, empty record: the old one stays pseudonymised
    assert await stack.scalar("SELECT count(*) FROM users WHERE telegram_id = :id", id=ZELDA) == 1
    assert await stack.scalar("SELECT count(*) FROM accounts a JOIN users u ON u.id = a.user_id"
                              " WHERE u.telegram_id = :id", id=ZELDA) == 0  # fmt: skip


async def test_delete_keeps_the_audit_chain_verifying(stack: Stack) -> None:
    """The erased entries keep their place in the chain: `tradeguard audit verify`'s walk finds no break,
    and the audit log holds none of the person's data any more."""
    before = await stack.core.bot_services.audit.verify()
    await delete_zelda(stack)
    after = await stack.core.bot_services.audit.verify()

    assert before.ok and after.ok, after.problem
    assert after.count > before.count  # the deletion itself is audited
    assert await leftovers(stack, [str(ZELDA), NAME, USERNAME, EMAIL, FINGERPRINT], skip=()) == []
