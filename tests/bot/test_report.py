"""/report through the real bot and the Bot API stand-in: a PNG per account (sendPhoto) drawn from the
stored equity history with the closed trades and the guard's limit; "no history yet" without points."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from PIL import Image
from sqlalchemy import text

from bot.render.chart import HEIGHT_PX, WIDTH_PX
from tests.bot.conftest import LOGIN, SERVER, Stack, is_reply
from tests.bot.test_import import MT5_LOGIN, MT5_SERVER, send_file
from tests.unit.statements.reports import MT5_XLSX


def is_photo(message: object) -> bool:
    return getattr(message, "method", None) == "sendPhoto"


async def add_equity_points(stack: Stack, login: int, equities: list[str]) -> None:
    """One point a minute up to now, as core/services/flusher.py writes them."""
    account_id = await stack.scalar("SELECT id FROM accounts WHERE login = :login", login=login)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=len(equities))
    rows = [
        {"a": account_id, "m": start + timedelta(minutes=i), "e": Decimal(e)} for i, e in enumerate(equities)
    ]
    async with stack.core.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO equity_history (account_id, minute, equity, balance) VALUES (:a, :m, :e, :e)"),
            rows,
        )


async def test_report_sends_a_png_picture_per_account_and_says_when_one_has_no_history(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    creds = await stack.link(ann)
    await stack.connect(creds)  # equity 9850.50, the peak the guard measures from
    await stack.link(ann, MT5_LOGIN, MT5_SERVER)
    await send_file(stack, ann, MT5_XLSX.read_bytes(), "ReportHistory.xlsx")  # trades, no equity points
    await add_equity_points(stack, LOGIN, ["10000", "9900", "9700", "9850.50"])

    mark = stack.standin.mark()
    await ann.send("/report")
    picture = await stack.standin.wait_for_message(ann.chat_id, is_photo, 20.0, after=mark)
    none_yet = await stack.standin.wait_for_message(ann.chat_id, is_reply, 20.0, after=mark)

    assert picture.media is not None and picture.media.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(picture.media)) as image:
        image.load()
        assert (image.format, image.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
    assert picture.text.startswith(f"{LOGIN}@{SERVER} · all stored history: equity")
    assert (
        none_yet.text
        == f"No history yet for {MT5_LOGIN}@{MT5_SERVER}: the picture starts with the EA's first snapshots."
    )


async def test_the_picture_has_the_guards_limit_at_the_configured_drawdown_below_the_peak(
    stack: Stack,
) -> None:
    ann = stack.user(1001, "Ann")
    await stack.connect(await stack.link(ann))
    await add_equity_points(stack, LOGIN, ["9850.50"])
    user = await stack.core.bot_services.users.resolve(1001, "Ann", None, "en")

    (history,) = await stack.core.bot_services.attribution.history(user, None, 7)

    peak = await stack.scalar("SELECT peak_equity FROM account_state")
    assert history.limit_equity == peak * Decimal("0.8")  # MAX_DRAWDOWN_PERCENT 20
    assert {equity for _, equity in history.points} == {Decimal("9850.50")}  # ours, and the flusher's


async def test_report_refuses_bad_arguments_and_accounts_that_are_not_the_senders(stack: Stack) -> None:
    ann = stack.user(1001, "Ann")
    await stack.link(ann)

    for arguments in ("0", "3651", "7 x@y@z", "1 2 3"):
        answer = await stack.ask(ann, f"/report {arguments}")
        assert answer.text.startswith("Usage: /report [days]"), arguments
    other = await stack.ask(ann, f"/report 30 {LOGIN}@Another-Server")
    empty = await stack.ask(ann, "/report 30")

    assert other.text == f"You have no linked account {LOGIN}@Another-Server."
    assert (
        empty.text
        == f"No history yet for {LOGIN}@{SERVER}: the picture starts with the EA's first snapshots."
    )
    assert not [m for m in ann.messages if m.method == "sendPhoto"]
