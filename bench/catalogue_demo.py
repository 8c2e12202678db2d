"""Feed, full sync and Mailchimp product backfill read from the kernel's demo store (the
database benchmark where no Saleor is installed; ``bench/saleor_catalogue.py`` reads a
generated Saleor catalogue). Figures printed, nothing asserted.

The demo store (``saleor_plugins.demo``) is filled with ``--products`` products x
``--variants`` variants in a database of its own (created and migrated here), then each
workload of ``bench/catalogue_common.py`` reads it through ``DemoHost``, which reads one
product at a time (two queries each): its figures are the demo store's, not Saleor's.

Run: ./run bench catalogue_demo [--products 5000] [--variants 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
DB_NAME = os.environ.get("BENCH_DB_NAME", "saleor_plugins_bench_catalogue")
os.environ["DJANGO_SETTINGS_MODULE"] = "saleor_plugins.demo.settings"
os.environ["PGDATABASE"] = DB_NAME

import catalogue_common as cc  # noqa: E402

BENCH = "catalogue_demo"
CHANNEL = "default-channel"


def prepare(products: int, variants: int) -> None:
    import django
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB_NAME}"')
    django.setup()
    from django.core.management import call_command

    from saleor_plugins.demo.models import DemoProduct, DemoVariant

    call_command("migrate", verbosity=0)
    if DemoProduct.objects.count() == products:
        return
    DemoProduct.objects.all().delete()
    made = DemoProduct.objects.bulk_create(
        DemoProduct(name=f"Demo product {i}", description="A soft shirt.", channels=[CHANNEL])
        for i in range(products)
    )
    DemoVariant.objects.bulk_create(
        (
            DemoVariant(product=p, sku=f"DEMO-{p.pk}-{n}", name=f"Size {n}",
                        price=Decimal("19.99") + n, quantity=n)
            for p in made
            for n in range(variants)
        ),
        batch_size=5000,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--variants", type=int, default=5)
    args = parser.parse_args()
    prepare(args.products, args.variants)
    from saleor_plugins.demo.host import DemoHost

    print(f"demo store, {args.products:,} products x {args.variants} variants\n")
    print(cc.HEADER, flush=True)
    for name in cc.WORKLOADS:
        figures = cc.measure(name, DemoHost(), CHANNEL)
        print(cc.row(name, "demo", figures), flush=True)
        cc.result(BENCH, f"{name}: variants/s", f"{figures.rate:,.0f}")
        cc.result(BENCH, f"{name}: SQL statements (s)",
                  f"{figures.statements:,} ({figures.sql_seconds:.1f} s)")  # fmt: skip
        cc.result(BENCH, f"{name}: peak RSS growth", f"{figures.peak_growth / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
