"""The global halt's pure rules: which commands it stops, when it may start or end, and its alert keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.commands import CommandType
from core.domain.halt import (
    AlreadyHalted,
    Halt,
    NotHalted,
    check_can_halt,
    check_can_resume,
    halt_note,
    halt_stops,
    halted_alert_key,
    resumed_alert_key,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
IN_FORCE = Halt(3, NOW, "admin:900001", "SNB")
ENDED = Halt(2, NOW, "admin:900001", "", resumed_at=NOW, resumed_by="admin:900001")


@pytest.mark.parametrize("command_type", list(CommandType))
def test_a_halt_stops_opening_positions_and_lets_every_close_lock_and_unlock_through(
    command_type: CommandType,
) -> None:
    assert halt_stops(command_type) is (command_type is CommandType.OPEN_POSITION)


def test_a_halt_may_start_when_none_is_in_force_and_not_twice() -> None:
    check_can_halt(None)
    check_can_halt(ENDED)
    with pytest.raises(AlreadyHalted) as refused:
        check_can_halt(IN_FORCE)
    assert refused.value.current == IN_FORCE


def test_only_a_halt_in_force_can_be_resumed() -> None:
    assert check_can_resume(IN_FORCE) == IN_FORCE
    for nothing_to_resume in (None, ENDED):
        with pytest.raises(NotHalted):
            check_can_resume(nothing_to_resume)


def test_a_note_is_one_line_of_at_most_200_characters() -> None:
    assert halt_note("  SNB\nfloor   removed ") == "SNB floor removed"
    assert len(halt_note("x" * 500)) == 200


def test_each_trader_is_told_once_per_halt_and_once_when_it_ends() -> None:
    keys = {
        key(halt, chat)
        for halt in (IN_FORCE, ENDED)
        for chat in (1001, 1002)
        for key in (halted_alert_key, resumed_alert_key)
    }
    assert len(keys) == 8
