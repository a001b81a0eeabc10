"""The Telegram edge and the composition root."""

import os

# Opt in to PTB's timedelta-valued durations (RetryAfter.retry_after and friends); the int form is
# deprecated and its warning would fail our warnings-as-errors test run.
os.environ.setdefault("PTB_TIMEDELTA", "true")
