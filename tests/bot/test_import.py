"""/import through the real bot and the Bot API stand-in: the trader sends the report their terminal
wrote as a document; its deals are stored (once per ticket, also against what the bridge already sent)
and /trades then gives the report's own summary lines. Anything else changes nothing."""

from __future__ import annotations

from typing import Any

from core.domain.codec import to_json
from core.statements import MAX_STATEMENT_BYTES, parse_statement
from sim.ea.client import BridgeClient
from sim.telegram import SentMessage, SimUser
from tests.bot.conftest import Stack, is_reply, snapshot
from tests.unit.statements.reports import MT4_HTM, MT5_XLSX, mt5_html_report

MT5_LOGIN, MT5_SERVER = 5006391922, "MetaQuotes-Demo"
MT4_LOGIN = 100000001  # the anonymised statement's account; MT4 statements name no server


async def send_file(
    stack: Stack, user: SimUser, data: bytes, name: str, caption: str | None = None
) -> SentMessage:
    mark = stack.standin.mark()
    await user.send_document(data, name, caption)
    return await stack.standin.wait_for_message(user.chat_id, is_reply, 30.0, after=mark)


async def stored_deals(stack: Stack) -> list[tuple[Any, ...]]:
    rows = await stack.rows("SELECT source, count(*) FROM deals GROUP BY source ORDER BY source")
    return [tuple(row) for row in rows]


async def test_the_mt5_report_is_imported_and_trades_gives_its_own_summary_lines(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)

    answer = await send_file(stack, ann, MT5_XLSX.read_bytes(), "ReportHistory.xlsx", caption="/import")
    trades = await stack.ask(ann, "/trades")
    recent = await stack.ask(ann, "/trades 30")

    assert answer.text.startswith(
        f"Imported the history of {MT5_LOGIN}@{MT5_SERVER}: 74 new deals, 0 already known,"
    )
    assert "Sep 14, 2022" in answer.text and "Sep 30, 2022" in answer.text
    assert await stored_deals(stack) == [("import", 74)]
    # The report's own lines: Total Trades 36, Total Net Profit -21.14, Profit Trades 15 (41.67%).
    assert trades.text.splitlines()[1:] == [
        "🤖 Bot: 0 trades · P&L 0.00 · won — · average slippage —",
        "✋ Manual: 36 trades · P&L -21.14 · won 41.67% · average slippage —",
        "Total: 36 trades · P&L -21.14",
    ]
    assert trades.text.startswith(f"Trades of {MT5_LOGIN}@{MT5_SERVER} · all stored history")
    assert "last 30 days" in recent.text and "Total: 0 trades" in recent.text  # the report is from 2022


async def test_the_mt4_statement_is_imported_without_a_caption_and_matches_its_totals(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann, MT4_LOGIN, "Ronnaru-Live")

    answer = await send_file(stack, ann, MT4_HTM.read_bytes(), "DetailedStatement.htm")
    trades = await stack.ask(ann, "/trades")

    assert "3544 new deals, 0 already known" in answer.text
    # The statement's own lines: Total Trades 1761, Closed Trade P/L -348 604, Profit Trades 1328 (75.41%).
    assert "✋ Manual: 1761 trades · P&L -348,604.00 · won 75.41%" in trades.text
    assert "Total: 1761 trades · P&L -348,604.00" in trades.text


async def test_a_second_import_of_the_same_report_adds_nothing(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)
    await send_file(stack, ann, MT5_XLSX.read_bytes(), "ReportHistory.xlsx")

    again = await send_file(stack, ann, mt5_html_report(), "ReportHistory.html")  # the same history as HTML

    assert "0 new deals, 74 already known" in again.text
    assert await stored_deals(stack) == [("import", 74)]
    assert "Total: 36 trades · P&L -21.14" in (await stack.ask(ann, "/trades")).text


async def test_deals_the_bridge_already_sent_count_as_known_and_stay_the_bridges(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    creds = await stack.link(ann, MT5_LOGIN, MT5_SERVER)
    deals = parse_statement(MT5_XLSX.read_bytes()).deals
    body = snapshot(MT5_LOGIN, MT5_SERVER, 1, positions=[]) | {"deals": [to_json(d) for d in deals[:5]]}
    async with BridgeClient(stack.http_url, creds.device_id, creds.secret, max_attempts=1) as client:
        await client.snapshot(body)

    answer = await send_file(stack, ann, MT5_XLSX.read_bytes(), "ReportHistory.xlsx")

    assert "69 new deals, 5 already known" in answer.text
    assert await stored_deals(stack) == [("bridge", 5), ("import", 69)]


async def test_a_report_of_an_account_the_sender_did_not_link_stores_nothing(stack: Stack) -> None:
    ann, bob = stack.user(1001, "Ann"), stack.user(1002, "Bob")
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)  # Ann's account, not Bob's
    await stack.link(bob, MT5_LOGIN, "Other-Server")  # the same login on another server is not it either

    answer = await send_file(stack, bob, MT5_XLSX.read_bytes(), "ReportHistory.xlsx")

    assert answer.text == (
        f"This report is for account {MT5_LOGIN}@{MT5_SERVER}, which is not linked to you. "
        "Link it with /link first. Nothing was imported."
    )
    assert await stored_deals(stack) == []


async def test_a_file_that_is_no_report_stores_nothing(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)

    answer = await send_file(stack, ann, b"<html><title>My holiday</title><p>photos</p></html>", "a.html")
    binary = await send_file(stack, ann, b"%PDF-1.4\x00\x01\x02 a pdf", "statement.pdf", caption="/import")

    assert answer.text.startswith("This file is not a trade history report.")
    assert binary.text == answer.text
    assert await stored_deals(stack) == []


async def test_an_oversized_document_is_refused_from_its_size_before_it_is_downloaded(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)
    padded = MT5_XLSX.read_bytes() + b"\0" * (MAX_STATEMENT_BYTES + 1 - len(MT5_XLSX.read_bytes()))

    answer = await send_file(stack, ann, padded, "ReportHistory.xlsx", caption="/import")

    assert answer.text.startswith("This file is too big for a trade history report.")
    assert stack.standin.downloads == []
    assert await stored_deals(stack) == []


async def test_import_typed_alone_says_how_to_send_the_report(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")

    answer = await stack.ask(ann, "/import")

    assert answer.text.startswith("Send me your trade history report as a file")
    assert (await stack.ask(ann, "/trades")).text.startswith("No linked accounts yet.")
