"""The EA's command handling (Commands.mqh, as MetaEditor compiles it) against the fake terminal:
`drive --scenario NAME` runs one command on an in-memory account and prints the ack and the account."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.api.schemas import AckIn, validate

Program = Callable[[str], Path]


def scenario(ea_program: Program, name: str, globals_file: Path | None = None) -> list[dict[str, Any]]:
    """The JSON lines the scenario printed (other lines are its log)."""
    env = {"TG_SHIM_GLOBALS": str(globals_file)} if globals_file else {}
    result = subprocess.run(
        [str(ea_program("drive")), "--scenario", name],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert reports, result.stdout
    for report in reports:
        for key in ("ack", "open_ack"):
            if key in report:
                validate(AckIn, report[key])  # the server would take every ack as it is
    return reports


def tickets(ack: dict[str, Any]) -> list[int]:
    return [result["ticket"] for result in ack["results"]]


def test_close_all_locks_first_then_closes_the_largest_loss_first(ea_program: Program) -> None:
    (report,) = scenario(ea_program, "close_order")
    ack, account = report["ack"], report["account"]
    assert ack["status"] == "done" and ack["message"] == ""
    # #100003 lost 515.00, #100001 11.00, #100002 made 18.00: worst first, the profit last
    assert tickets(ack) == account["close_order"] == [100003, 100001, 100002]
    profits = [Decimal(result["profit"]) for result in ack["results"]]
    assert profits == sorted(profits)
    assert [result["closed_volume"] for result in ack["results"]] == ["0.50", "0.10", "0.20"]
    assert all(result["price"] for result in ack["results"])
    assert account["positions"] == [] and account["locked"] is True


def test_close_all_rescans_and_closes_what_a_grid_ea_reopens_meanwhile(ea_program: Program) -> None:
    (report,) = scenario(ea_program, "grid")
    ack, account = report["ack"], report["account"]
    assert ack["status"] == "done"
    assert account["grid_reopened"] == 3 and account["positions"] == []
    # each reopen (double the volume: a martingale) is closed too, before the rest of the account
    assert tickets(ack) == [100003, 100004, 100005, 100006, 100001, 100002]
    assert [result["closed_volume"] for result in ack["results"][:4]] == ["0.50", "1.00", "2.00", "4.00"]


def test_while_locked_a_new_position_is_closed_at_once_and_none_is_opened(ea_program: Program) -> None:
    (report,) = scenario(ea_program, "lock")
    assert report["ack"]["status"] == "done"
    assert report["swept"] == 1
    account = report["account"]
    assert [p["ticket"] for p in account["positions"]] == [100001]  # open before the lock: it may stay
    assert account["close_order"] == [100002]  # opened after it: closed
    assert report["open_ack"] == {"status": "failed", "results": [], "message": "account is locked"}


def test_the_lock_survives_a_restart(ea_program: Program, tmp_path: Path) -> None:
    saved = tmp_path / "terminal-globals"
    (first,) = scenario(ea_program, "restart1", saved)
    assert first["account"]["locked"] is True
    assert "TG.5012345.locked 1" in saved.read_text()
    (second,) = scenario(ea_program, "restart2", saved)  # a new process: only the file remembers
    assert second["account"]["locked"] is True
    assert second["swept"] == 1
    assert [p["ticket"] for p in second["account"]["positions"]] == [100001]
    assert second["account"]["close_order"] == [100002]


def test_close_position_closes_part_of_a_position(ea_program: Program) -> None:
    (report,) = scenario(ea_program, "partial_close")
    assert report["ack"] == {
        "status": "done",
        "results": [{"ticket": 100001, "closed_volume": "0.04", "price": "1.10200", "profit": "7.60"}],
        "message": "",
    }
    (position,) = report["account"]["positions"]
    assert position["volume"] == "0.06"
    assert report["account"]["locked"] is False


@pytest.mark.parametrize(
    ("name", "comment"),
    [("open", "tg:sig_8f3a"), ("open_long", "tg:sig_0123456789abcdef01234567")],  # MT5 keeps 31 characters
)
def test_open_position_carries_the_signal_comment_and_magic_7300(
    ea_program: Program, name: str, comment: str
) -> None:
    (report,) = scenario(ea_program, name)
    assert report["ack"]["status"] == "done"
    (result,) = report["ack"]["results"]
    (position,) = report["account"]["positions"]
    assert result["ticket"] == position["ticket"]
    assert result["price"] == "1.10000"
    assert (position["magic"], position["comment"], position["side"]) == (7300, comment, "sell")
    assert len(position["comment"]) <= 31


def test_a_refused_close_is_partial_with_what_was_closed_and_a_message(ea_program: Program) -> None:
    report, missing = scenario(ea_program, "failed_partial")
    ack = report["ack"]
    assert ack["status"] == "partial"
    assert tickets(ack) == [100001]
    assert "#100002: Market is closed (retcode 10018)" in ack["message"]
    assert missing["ack"] == {"status": "failed", "results": [], "message": "position #424242 is not open"}


def test_nothing_closed_is_failed_with_the_reason(ea_program: Program) -> None:
    (refused, _) = scenario(ea_program, "failed_all")
    assert refused["ack"]["status"] == "failed"
    assert refused["ack"]["results"] == []
    assert "2 position(s) still open" in refused["ack"]["message"]
    assert "Market is closed" in refused["ack"]["message"]
    (off, _) = scenario(ea_program, "failed_autotrading")
    assert off["ack"] == {
        "status": "failed",
        "results": [],
        "message": "AutoTrading (Algo Trading) is off in the terminal",
    }
    assert off["account"]["locked"] is True  # locked even so: nothing new may open meanwhile
