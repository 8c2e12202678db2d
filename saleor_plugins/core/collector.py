"""Python's cyclic garbage collector paused over a whole catalogue run.

A feed, a full sync or a backfill streams page after page of snapshots: hundreds of
thousands of tuples and small objects, freed by reference counting as each page is
done, almost none in a reference cycle. Each allocation burst still triggers
collections, and the full ones walk every object the process holds (Django, Saleor,
the plugins): 10-30% of a run's CPU time went there. The callers that run such a loop
pause the collector around it with :func:`collector_paused`; the collector's previous
state comes back however the loop ends (done, stopped early, raising), and what cycles
the run left behind are collected by the next collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block; nested blocks are free, and the
    collector is enabled again on leaving only if it was enabled on entering."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
