"""Alerts as types: one frozen dataclass per kind of message the service owes a chat, registered once
(`registry`) against its kind, its message and its payload version, and stored in the outbox through
`payload` (the one JSON codec, core.domain.codec).

A new kind of alert: a dataclass in the module of its feature, a line in `REGISTRY`, a renderer in
bot/render/alerts.py and its message in every catalog; tests/bot/test_alert_types.py walks them all.
"""

from core.domain.alerts.account import (
    AccountConnected,
    AccountShared,
    FeedRestored,
    FeedStale,
    TradingDayUnknown,
    TradingLocked,
    TradingUnlocked,
)
from core.domain.alerts.affiliates import CommissionEarned, CommissionReversed, PayoutReturned, PayoutSent
from core.domain.alerts.audit import AuditAnchor  # issue 13
from core.domain.alerts.base import (
    AccountAlert,
    AccountFields,
    AlertBody,
    ClosedPosition,
    MarketGuardKind,
    MarketResponse,
)
from core.domain.alerts.digest import (
    AdminDigest,
    AnyDigestItem,
    DigestItem,
    FastMarketSeen,
    LiquidationDone,
    LiquidationStarted,
    MarketGuardFired,
    WentSilent,
)
from core.domain.alerts.fraud import FraudDecided, FraudFlagged, FraudHold, FraudOutcome  # issue 11
from core.domain.alerts.halt import HaltEnded, HaltStarted
from core.domain.alerts.liquidation import (
    BreachOffline,
    DrawdownWarning,
    FastMarket,
    Liquidated,
    LiquidationNow,
    LiquidationOverdue,
    LiquidationRetrying,
    LiquidationWarning,
)
from core.domain.alerts.market import MarketAlert, MarketGap, MarketSpread, MarketStale
from core.domain.alerts.payload import (
    StoredAlert,
    UndecodableAlert,
    decode_alert,
    encode_alert,
    from_json,
    read_stored,
)
from core.domain.alerts.reconciliation import DivergenceAlert, DivergenceCritical, DivergenceFound
from core.domain.alerts.referrals import ReferralSignedUp  # issue 11
from core.domain.alerts.registry import BY_KIND, REGISTRY, AlertSpec, UnknownAlert, spec_of
from core.domain.alerts.signals import SignalReceived
from core.domain.alerts.system import SystemDegraded, SystemRecovered  # issue 13: monitoring

__all__ = [
    "BY_KIND",
    "REGISTRY",
    "AccountAlert",
    "AccountConnected",
    "AccountFields",
    "AccountShared",
    "AdminDigest",
    "AlertBody",
    "AlertSpec",
    "AnyDigestItem",
    "BreachOffline",
    "ClosedPosition",
    "DigestItem",
    "DivergenceAlert",
    "DivergenceCritical",
    "DivergenceFound",
    "DrawdownWarning",
    "FastMarket",
    "FastMarketSeen",
    "FeedRestored",
    "FeedStale",
    # issue 11: fraud
    "FraudDecided",
    "FraudFlagged",
    "FraudHold",
    "FraudOutcome",
    "HaltEnded",
    "HaltStarted",
    "Liquidated",
    "LiquidationDone",
    "LiquidationNow",
    "LiquidationOverdue",
    "LiquidationRetrying",
    "LiquidationStarted",
    "LiquidationWarning",
    "MarketAlert",
    "MarketGap",
    "MarketGuardFired",
    "MarketGuardKind",
    "MarketResponse",
    "MarketSpread",
    "MarketStale",
    "SignalReceived",
    "StoredAlert",
    "SystemDegraded",
    "SystemRecovered",
    "TradingDayUnknown",
    "TradingLocked",
    "TradingUnlocked",
    "UndecodableAlert",
    "UnknownAlert",
    "WentSilent",
    "decode_alert",
    "encode_alert",
    "from_json",
    "read_stored",
    "spec_of",
]
__all__ += ["CommissionEarned", "CommissionReversed", "PayoutSent"]  # issue 11: the ledger
__all__ += ["ReferralSignedUp"]  # issue 11
__all__ += ["PayoutReturned"]  # issue 11: a failed payout is told
__all__ += ["AuditAnchor"]  # issue 13: the audit chain's daily anchor
