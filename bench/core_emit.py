"""Request-path cost of emitting one order event with five integrations active.

Figures (printed, never asserted):
- database round trips of ``outbox.emit`` inside the order's transaction (must be 1);
- time of N order transactions with the emit, against the same transactions without it;
- the same with the after-commit dispatch to the broker (Redis), which also runs in the
  request thread (``transaction.on_commit``).

Run: ./run bench core_emit [--orders 500]
"""

from __future__ import annotations

import argparse
import statistics
import time
from decimal import Decimal

from core_common import CHANNEL, noop_integrations, result, setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from saleor_plugins.core import outbox
    from saleor_plugins.core.events import EventType
    from saleor_plugins.core.maintenance import active_targets
    from saleor_plugins.demo.models import DemoOrder

    noop_integrations(5)
    targets = active_targets(EventType.ORDER_CREATED, [CHANNEL])  # the adapter's routing
    assert len(targets) == 5
    lines = [{"sku": "SKU-1", "name": "Mug", "quantity": 1, "unit_price": "9.50"}]

    def order(emit: bool, dispatch: bool) -> float:
        started = time.perf_counter()
        with transaction.atomic():
            o = DemoOrder.objects.create(
                channel=CHANNEL, email="a@example.com", lines=lines, total=Decimal("9.50")
            )
            if emit:
                if dispatch:
                    outbox.emit(EventType.ORDER_CREATED, str(o.pk), targets)
                else:
                    _emit_without_dispatch(str(o.pk))
        return time.perf_counter() - started

    def _emit_without_dispatch(object_id: str) -> None:
        real = outbox.dispatch_on_commit
        outbox.dispatch_on_commit = lambda ids, countdown=0.0, priority=0: None  # type: ignore[assignment]
        try:
            outbox.emit(EventType.ORDER_CREATED, object_id, targets)
        finally:
            outbox.dispatch_on_commit = real  # type: ignore[assignment]

    with transaction.atomic():
        o = DemoOrder.objects.create(
            channel=CHANNEL, email="a@example.com", lines=lines, total=Decimal("1")
        )
        with CaptureQueriesContext(connection) as queries:
            ids = outbox.emit(EventType.ORDER_CREATED, str(o.pk), targets)
    print(f"emit with {len(targets)} integrations: {len(ids)} jobs, {len(queries)} round trip(s)")
    print(f"  {queries[0]['sql'][:110]}...")
    result("core_emit", "round trips per order emit (5 integrations)", str(len(queries)))

    for _ in range(50):  # warm up
        order(False, False)
        order(True, False)
    runs: dict[str, list[float]] = {"plain": [], "emit": [], "emit+dispatch": []}
    for _ in range(args.orders):  # interleaved, so load changes hit all three alike
        runs["plain"].append(order(False, False))
        runs["emit"].append(order(True, False))
        runs["emit+dispatch"].append(order(True, True))
    med = {k: statistics.median(v) * 1000 for k, v in runs.items()}
    print(f"\n{args.orders} order transactions each, median ms per transaction:")
    for k, v in med.items():
        print(f"  {k:<14} {v:7.3f} ms   x{v / med['plain']:.2f}")
    result("core_emit", "order transaction without emit (median)", f"{med['plain']:.3f} ms")
    result(
        "core_emit",
        "with emit, 5 integrations (median)",
        f"{med['emit']:.3f} ms (x{med['emit'] / med['plain']:.2f})",
    )
    result(
        "core_emit",
        "with emit + after-commit dispatch to Redis",
        f"{med['emit+dispatch']:.3f} ms (x{med['emit+dispatch'] / med['plain']:.2f})",
    )


if __name__ == "__main__":
    main()
