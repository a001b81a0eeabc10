"""/trades and /attribution: each account's closed trades split into bot and manual; the /report caption
and the /import answer."""

from __future__ import annotations

from bot.i18n import Raw, Translator
from bot.render.common import money
from core.domain.attribution import ClassSummary
from core.services.attribution import AccountAttribution, Imported, UserAttribution

SLIPPAGE_DIGITS = 5


def period(t: Translator, days: int | None) -> str:
    return t("trades.period_all") if days is None else t.plural("trades.period_days", days)


def render_attribution(t: Translator, found: UserAttribution, heading: str = "") -> str:
    """One block per account: the bot line, the manual line, the total."""
    blocks = [heading] if heading else []
    for account in found.accounts:
        blocks.append(_account_block(t, account, found.days))
    return "\n\n".join(blocks)


def _account_block(t: Translator, account: AccountAttribution, days: int | None) -> str:
    split = account.attribution
    name = f"{account.login}@{account.server}"
    total = split.bot.count + split.manual.count
    return "\n".join(
        [
            t("trades.header", account=name, period=Raw(period(t, days))),
            _class_line(t, "trades.line_bot", split.bot, account.currency),
            _class_line(t, "trades.line_manual", split.manual, account.currency),
            t(
                "trades.line_total",
                trades=Raw(t.plural("trades.count", total)),
                pnl=money(t, split.pnl, account.currency),
            ),
        ]
    )


def _class_line(t: Translator, key: str, summary: ClassSummary, currency: str | None) -> str:
    rate = summary.win_rate_percent
    slippage = summary.average_slippage
    return t(
        key,
        trades=Raw(t.plural("trades.count", summary.count)),
        pnl=money(t, summary.pnl, currency),
        win_rate="—" if rate is None else t.percent(rate),
        slippage="—" if slippage is None else t.number(slippage, SLIPPAGE_DIGITS),
    )


def render_imported(t: Translator, imported: Imported) -> str:
    first, last = imported.first, imported.last
    return t(
        "import.done",
        account=f"{imported.login}@{imported.server}",
        new=Raw(t.plural("import.new_deals", imported.new)),
        known=Raw(t.plural("import.known_deals", imported.known)),
        first=t.moment(first) if first else "—",
        last=t.moment(last) if last else "—",
    )
