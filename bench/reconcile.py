"""Reconciliation at scale (issue 10): 10,000 accounts x 10 bot positions, 1% of them diverging.

Pure CPU, no service: each account's inputs are built from rows shaped as the stores hold them
(decimal strings, ISO times: the latest snapshot's positions, the stored deals, the expected trades),
then reconciled. Measured on one core (this process, CPU time):

- a full pass: `reconcile` over every account (target under 1 s);
- the cost per incremental snapshot: one account reconciled, as after each accepted snapshot;
- the ratio of a pass with reconciliation (build the inputs + reconcile) to one with it disabled
  (build the inputs only).

`.venv/bin/python -m bench.reconcile [--accounts N] [--positions N]`
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.harness import Metric, machine_info, percentile, print_table
from core.domain.reconciliation import Divergence, DivergenceKind, reconcile
from core.domain.signals import BOT_MAGIC, ExpectedTrade
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType, Position, Side

TARGET_PASS_SECONDS = 1.0
DIVERGING_EVERY = 100  # 1% of positions
T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
SYMBOLS = (("EURUSD", "1.08550", "0.00030"), ("USDJPY", "155.000", "0.030"), ("XAUUSD", "2650.00", "0.50"))
# What every 100th position does wrong, in turn, and the divergence it must give.
FAULTS = ("slipped", "partial", "moved_sl", "manual")
KIND_OF_FAULT = {
    "slipped": DivergenceKind.SLIPPAGE,
    "partial": DivergenceKind.VOLUME_MISMATCH,
    "moved_sl": DivergenceKind.SL_TP_CHANGED,
    "manual": DivergenceKind.MANUAL_POSITION,
}

Row = dict[str, Any]


@dataclass(frozen=True)
class AccountRows:
    account_id: int
    expected: list[Row]
    positions: list[Row]
    deals: list[Row]


@dataclass(frozen=True)
class Inputs:
    account_id: int
    expected: tuple[ExpectedTrade, ...]
    positions: tuple[Position, ...]
    deals: tuple[Deal, ...]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def account_rows(account_id: int, positions: int, faults: dict[str, int]) -> AccountRows:
    expected, held, deals = [], [], []
    for index in range(positions):
        serial = account_id * positions + index
        symbol, entry, slip = SYMBOLS[serial % len(SYMBOLS)]
        fault = FAULTS[serial // DIVERGING_EVERY % len(FAULTS)] if serial % DIVERGING_EVERY == 0 else ""
        faults[fault] += 1
        ticket, queued = 10 * serial + 1, T0 + timedelta(seconds=serial % 3600)
        signal = f"sig_{serial}"
        fill = str(Decimal(entry) + Decimal(slip)) if fault == "slipped" else entry
        volume = "0.05" if fault == "partial" else "0.10"
        if fault != "manual":
            expected.append(
                {
                    "signal_id": signal,
                    "command_id": f"cmd_{serial}",
                    "symbol": symbol,
                    "side": "buy",
                    "volume": "0.10",
                    "queued_at": _iso(queued),
                    "entry": entry,
                    "sl": "1.00",
                    "tp": None,
                    "ticket": ticket,
                }
            )
        held.append(
            {
                "ticket": ticket,
                "symbol": symbol,
                "side": "buy",
                "volume": volume,
                "open_price": fill,
                "open_time": _iso(queued + timedelta(seconds=1)),
                "price": fill,
                "profit": "0.00",
                "sl": "2.00" if fault == "moved_sl" else "1.00",
                "tp": None,
                "magic": 0 if fault == "manual" else BOT_MAGIC,
                "comment": "" if fault == "manual" else f"tg:{signal}",
            }
        )
        deals.append(
            {
                "ticket": 10 * ticket,
                "position": ticket,
                "symbol": symbol,
                "type": "buy",
                "entry": "in",
                "reason": "client" if fault == "manual" else "expert",
                "volume": volume,
                "price": fill,
                "time": _iso(queued + timedelta(seconds=1)),
                "profit": "0.00",
                "magic": held[-1]["magic"],
                "comment": held[-1]["comment"],
            }
        )
    return AccountRows(account_id, expected, held, deals)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def build(rows: AccountRows) -> Inputs:
    """The disabled pass: what the service does anyway to hold the inputs (decode the stored rows)."""
    expected = tuple(
        ExpectedTrade(
            r["signal_id"],
            rows.account_id,
            r["command_id"],
            r["symbol"],
            Side(r["side"]),
            Decimal(r["volume"]),
            _time(r["queued_at"]),
            _decimal(r["entry"]),
            _decimal(r["sl"]),
            _decimal(r["tp"]),
            None,
            r["ticket"],
        )
        for r in rows.expected
    )
    positions = tuple(
        Position(
            r["ticket"],
            r["symbol"],
            Side(r["side"]),
            Decimal(r["volume"]),
            Decimal(r["open_price"]),
            _time(r["open_time"]),
            Decimal(r["price"]),
            Decimal(r["profit"]),
            Decimal(0),
            _decimal(r["sl"]),
            _decimal(r["tp"]),
            r["magic"],
            r["comment"],
        )
        for r in rows.positions
    )
    deals = tuple(
        Deal(
            r["ticket"],
            r["position"],
            r["symbol"],
            DealType(r["type"]),
            DealEntry(r["entry"]),
            DealReason(r["reason"]),
            Decimal(r["volume"]),
            Decimal(r["price"]),
            _time(r["time"]),
            Decimal(r["profit"]),
            magic=r["magic"],
            comment=r["comment"],
        )
        for r in rows.deals
    )
    return Inputs(rows.account_id, expected, positions, deals)


def check(inputs: Inputs) -> tuple[Divergence, ...]:
    return reconcile(inputs.account_id, inputs.expected, inputs.positions, inputs.deals, (), NOW)


def cpu_seconds(work: Callable[[], object], repeat: int) -> float:
    """The least CPU time of `repeat` runs (other processes on the machine only ever add to it)."""
    best = math.inf
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def incremental_us(built: Sequence[Inputs]) -> list[float]:
    """CPU microseconds of each account's reconciliation alone, as after one accepted snapshot."""
    costs = []
    for inputs in built:
        start = time.process_time_ns()
        check(inputs)
        costs.append((time.process_time_ns() - start) / 1000)
    return costs


def run(accounts: int, positions: int, repeat: int) -> bool:
    print(machine_info())
    faults: Counter[str] = Counter()
    rows = [account_rows(account, positions, faults) for account in range(accounts)]
    built = [build(r) for r in rows]
    found = [d for inputs in built for d in check(inputs)]
    # Nothing a pass makes is kept (as in the service, where each account's inputs live for its check).
    full = cpu_seconds(lambda: deque(map(check, built), maxlen=0), repeat)
    disabled = cpu_seconds(lambda: deque(map(build, rows), maxlen=0), repeat)
    enabled = cpu_seconds(lambda: deque((check(build(r)) for r in rows), maxlen=0), repeat)
    singles = incremental_us(built[: min(accounts, 2000)])
    planted = Counter(KIND_OF_FAULT[f] for f in FAULTS for _ in range(faults[f]))
    by_kind = Counter(d.kind for d in found)
    print(f"{accounts:,} accounts x {positions} positions, best of {repeat} runs per row")
    print(f"planted {_counts(planted)}; found {_counts(by_kind)}\n")
    pass_name = f"full pass: reconcile {accounts:,} accounts x {positions} positions (CPU, one core)"
    return print_table(
        [
            Metric(pass_name, full, TARGET_PASS_SECONDS, "s"),
            Metric("  positions reconciled per second", accounts * positions / full),
            Metric("  divergences found = divergences planted", int(by_kind == planted), 1, exact=True),
            Metric("  divergences found", sum(by_kind.values())),
            Metric(
                f"incremental snapshot (one account, {positions} positions): p50 µs", percentile(singles, 0.5)
            ),
            Metric("  p99 µs", percentile(singles, 0.99)),
            Metric("pass with reconciliation disabled (build the inputs only)", disabled, unit="s"),
            Metric("pass with reconciliation (build the inputs + reconcile)", enabled, unit="s"),
            Metric("  ratio to the disabled pass", enabled / disabled, unit="x"),
        ]
    )


def _counts(counter: Counter[DivergenceKind]) -> str:
    return ", ".join(f"{kind.value} {count}" for kind, count in sorted(counter.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the least CPU time is kept")
    args = parser.parse_args(argv)
    run(args.accounts, args.positions, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
