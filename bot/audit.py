"""The audit chain's command line (issue 13): `tradeguard audit verify [--anchor ID:HASH]`."""

from __future__ import annotations

import argparse
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from core.services.audit import AuditChain, ChainReport

AUDIT_CHECK_SECONDS = 3600.0  # the worker verifies the whole chain this often
# ... the first time a minute after it starts: a start-up is busy enough (and a restart storm does not
# walk the whole log each time)
AUDIT_FIRST_CHECK_SECONDS = 60.0
ANCHOR = re.compile(r"(\d{1,19}):([0-9a-f]{64})")


def add_audit_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = sub.add_parser("audit", help="the audit log: verify its hash chain")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify",
        help="walk the chain from the first entry; exit 1 at the first changed, removed or inserted row",
    )
    verify.add_argument(
        "--anchor",
        type=anchor,
        metavar="ID:HASH",
        help="a head sent to the admins' chat earlier: its row must still be there with that hash",
    )


def anchor(text: str) -> tuple[int, str]:
    if (found := ANCHOR.fullmatch(text.strip().lower())) is None:
        raise argparse.ArgumentTypeError("ID:HASH, the entry's id and its 64 hex digit hash")
    return int(found.group(1)), found.group(2)


def describe(report: ChainReport) -> str:
    if not report.ok:
        where = f"audit chain broken at entry {report.broken_at}: {report.problem}"
        return f"{where} ({report.count} entries verified before it)"
    if report.head is None:
        return "audit chain ok: 0 entries"
    return f"audit chain ok: {report.count} entries, head {report.head.id} {report.head.hash}"


async def verify(chain: AuditChain, anchor: tuple[int, str] | None) -> tuple[int, str]:
    """The exit code (0 verified, 1 broken) and the line to print."""
    report = await chain.verify(anchor)
    return (0 if report.ok else 1), describe(report)


class AuditMetrics(Collector):
    """`tradeguard_audit_chain_ok` (1/0) and `tradeguard_audit_entries_total`, from the last check the
    worker ran in this process (declared, with no sample, before its first)."""

    def __init__(self, chain: AuditChain) -> None:
        self.chain = chain

    def collect(self) -> Iterator[Metric]:
        report = self.chain.last
        ok = GaugeMetricFamily("tradeguard_audit_chain_ok", "1 if the last audit chain check verified")
        entries = CounterMetricFamily("tradeguard_audit_entries", "Audit entries verified by the last check")
        if report is not None:  # before the first check the families are declared, with no sample
            ok.add_metric([], float(report.ok))
            entries.add_metric([], report.count)
        yield ok
        yield entries


def ready_report(chain: AuditChain) -> Callable[[], Awaitable[Mapping[str, Any]]]:
    """/ready's `audit`: the chain's head (id and hash) and its count, read at each request."""

    async def report() -> Mapping[str, Any]:
        head = await chain.head()
        top = None if head is None else {"id": head.id, "hash": head.hash}
        return {"audit": {"head": top, "entries": 0 if head is None else head.count}}

    return report
