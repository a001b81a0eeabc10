"""The account guard as one room: peak equity, drawdown warnings, liquidation, per account.

Everything public is importable from here (`from core.domain import guard as g`); the state machine
itself is `machine`, its parts the sibling modules (state, rules, events, liquidation, day, fast,
admin, config).
"""

from core.domain.guard.machine import *  # noqa: F403
from core.domain.guard.machine import __all__ as __all__
