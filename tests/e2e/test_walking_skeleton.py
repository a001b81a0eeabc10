"""The thinnest slice through everything: chat → link → EA → alert → /status."""

from __future__ import annotations

import re

import pytest

from sim.telegram import BotApiStandIn
from tests.e2e.harness import Launch, converse, link, simulate_ea

pytestmark = pytest.mark.e2e

LOGIN = 5012345
SERVER = "E2E-Live"


def last_equity(ea_output: str) -> str:
    """The equity of the EA's last snapshot, as it printed it (`snapshot #4 equity 9,998.00 USD`)."""
    amounts: list[str] = re.findall(r"snapshot #\d+ equity ([\d,.-]+) USD", ea_output)
    assert amounts, ea_output
    return amounts[-1]


async def test_a_linked_account_connects_and_status_shows_its_equity(
    standin: BotApiStandIn, launch: Launch
) -> None:
    service = await launch()
    ann = standin.user(1001, "Ann", "en")
    await converse(ann, "/start")
    creds = await link(ann, LOGIN, SERVER)
    before = await converse(ann, "/status")
    assert "no data" in before.text

    run = await simulate_ea(service, creds, "steady", interval=0.3, steps=3)

    assert run.returncode == 0, run.output
    assert len(run.lines("snapshot #")) == 4, run.output  # the connect snapshot and three steps
    connected = await ann.wait_for_message(lambda m: "is connected" in m.text, timeout=20)
    assert str(LOGIN) in connected.text
    after = await converse(ann, "/status", expect=lambda m: "Equity" in m.text)
    assert "no data" not in after.text
    assert last_equity(run.output) in after.text
