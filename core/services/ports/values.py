"""The small types every port shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

Clock = Callable[[], datetime]
JsonDict = dict[str, Any]
