"""Tools for working on TradeGuard, not part of it: nothing here is installed or imported by the service."""
