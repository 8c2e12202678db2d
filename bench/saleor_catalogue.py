"""Feed, full sync and Mailchimp product backfill read from a real Saleor database:
the product readers before (model instances and prefetches, kept frozen in
``bench/saleor_orm_readers_common.py``) and after (rows), in the same process on the same
data (figures printed, nothing asserted).

The catalogue is generated once into the database ``DATABASE_URL`` names (20,000 products
x 5 variants by default, ``bench/saleor_generate_common.py``, about two minutes) and kept
there for later runs; give it a database of its own, a copy of a migrated Saleor 3.24
one, not the one the Saleor tests use:

    createdb -T <migrated saleor db> saleor_bench
    SALEOR_PYTHON=<saleor venv>/bin/python \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/saleor_bench \\
        ./run bench saleor_catalogue [--products 20000] [--variants 5] [--only feed]

Without Saleor (or without ``DATABASE_URL``) it says so and exits with status 77, which
``bench/run.py`` reports as skipped; ``bench/catalogue_demo.py`` measures the same
workloads over the kernel's demo store. What each workload does and each column means:
``bench/catalogue_common.py``. The old readers take minutes for a whole catalogue, so by
default they read the channel's first 4,000 products (``--baseline 0``: all; then the
feeds' XML + TSV digests are compared too, equal digests, equal feeds); rates are per variant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from saleor_setup_common import setup

setup("saleor_catalogue.py")

import catalogue_common as cc  # noqa: E402
import saleor_orm_readers_common as before  # noqa: E402
from saleor_generate_common import ensure_catalogue  # noqa: E402

from saleor_plugins.adapter import readers  # noqa: E402
from saleor_plugins.adapter.host import SaleorHost  # noqa: E402
from saleor_plugins.adapter.readers import products as after  # noqa: E402

BENCH = "saleor_catalogue"
READERS = {"before": before.iter_objects, "after": after.iter_objects}


def main() -> None:
    from saleor.core.db.connection import allow_writer

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--variants", type=int, default=5)
    parser.add_argument("--only", default="", help="workloads, comma-separated")
    parser.add_argument(
        "--baseline", type=int, default=4000,
        help="products the old readers read (the first of the channel; 0: all of them)",
    )  # fmt: skip
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(cc.WORKLOADS)
    with allow_writer():
        channel = ensure_catalogue(args.products, args.variants)
        host = SaleorHost()
        print(f"channel {channel}: figures per run (see bench/catalogue_common.py)\n")
        print(cc.HEADER, flush=True)
        for name in names:
            figures = {}
            for label, reader in READERS.items():
                readers._OBJECTS["product"] = reader
                try:
                    limit = args.baseline if label == "before" else 0
                    figures[label] = cc.measure(name, host, channel, limit)
                finally:
                    readers._OBJECTS["product"] = after.iter_objects
                print(cc.row(name, label, figures[label]), flush=True)
            report(name, figures["before"], figures["after"], args.baseline)


def report(name: str, old: cc.Figures, new: cc.Figures, baseline: int) -> None:
    ratio = new.rate / old.rate if old.rate else 0.0
    same = ""
    if name == "feed" and not baseline:
        same = " (same feed)" if old.digest == new.digest else " (THE FEEDS DIFFER)"
    print(f"{name:<10} after / before: {ratio:.1f}x variants/s{same}", flush=True)
    cc.result(BENCH, f"{name}: variants/s before -> after", f"{old.rate:,.0f} -> {new.rate:,.0f}")
    cc.result(BENCH, f"{name}: after / before", f"{ratio:.1f}x")
    cc.result(
        BENCH,
        f"{name}: variants per CPU-second before -> after",
        f"{old.cpu_rate:,.0f} -> {new.cpu_rate:,.0f}",
    )
    cc.result(
        BENCH, f"{name}: SQL statements before -> after", f"{old.statements} -> {new.statements}"
    )
    cc.result(
        BENCH, f"{name}: SQL s before -> after", f"{old.sql_seconds:.1f} -> {new.sql_seconds:.1f}"
    )
    cc.result(
        BENCH,
        f"{name}: peak RSS growth before -> after",
        f"{old.peak_growth / 2**20:.0f} -> {new.peak_growth / 2**20:.0f} MiB",
    )


if __name__ == "__main__":
    main()
