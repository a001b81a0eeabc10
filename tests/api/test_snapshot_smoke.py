from __future__ import annotations

from tests.api.conftest import Bridge
from tests.api.helpers import snapshot_body


async def test_a_signed_snapshot_is_accepted_and_a_resend_is_a_duplicate(bridge: Bridge) -> None:
    first = await bridge.call("POST", "/v1/bridge/snapshot", snapshot_body(seq=5))
    again = await bridge.call("POST", "/v1/bridge/snapshot", snapshot_body(seq=5))
    assert first.status == 200, await first.text()
    assert (await first.json())["commands"] == []
    assert (await again.json())["duplicate"] is True
