"""The /report picture, drawn from the MT4 statement's replayed history: a PNG of the promised size."""

from __future__ import annotations

import io
from decimal import Decimal
from functools import cache

import numpy as np
import pytest
from matplotlib import image

from bot.i18n import translator
from bot.render.chart import (
    BOT_COLOUR,
    HEIGHT_PX,
    LIMIT_COLOUR,
    WIDTH_PX,
    render_report_png,
    render_report_png_async,
)
from core.domain.attribution import ClosedTrade, attribute
from core.statements import parse_statement
from core.statements.replay import balance_points
from tests.unit.statements.reports import MT4_HTM

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@cache
def history() -> tuple[list[tuple], tuple[ClosedTrade, ...]]:
    deals = parse_statement(MT4_HTM.read_bytes()).deals
    points = [(p.time, p.balance) for p in balance_points(deals)]
    gold = {deal.position for deal in deals if deal.symbol == "xauusd."}
    return points, attribute(deals, bot_tickets=gold).trades


def pixels(png: bytes) -> np.ndarray:
    return image.imread(io.BytesIO(png), format="png")


def has_colour(picture: np.ndarray, hex_colour: str) -> bool:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool(np.any(np.all(np.abs(picture[:, :, :3] - rgb) < 1 / 255, axis=2)))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_picture_is_a_png_of_the_promised_size_with_trades_and_limit(language: str) -> None:
    points, trades = history()

    png = render_report_png(points, trades, Decimal(400_000), t=translator(language))

    assert png.startswith(PNG_SIGNATURE)
    picture = pixels(png)
    assert picture.shape[:2] == (HEIGHT_PX, WIDTH_PX)
    assert has_colour(picture, BOT_COLOUR) and has_colour(picture, LIMIT_COLOUR)


def test_without_bot_trades_or_limit_neither_is_drawn() -> None:
    points, trades = history()
    manual = [trade for trade in trades if trade.origin.value == "manual"]

    picture = pixels(render_report_png(points, manual, None, t=translator("en")))

    assert not has_colour(picture, BOT_COLOUR) and not has_colour(picture, LIMIT_COLOUR)


async def test_the_async_form_renders_in_a_worker_thread() -> None:
    points, trades = history()

    png = await render_report_png_async(points[:50], trades[:10], None, t=translator("es"))

    assert pixels(png).shape[:2] == (HEIGHT_PX, WIDTH_PX)


def test_an_empty_history_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_report_png([], [], None, t=translator("en"))
