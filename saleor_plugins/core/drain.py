"""Store changes that reach no hook, turned into jobs.

Some changes happen without a plugin hook (Saleor 3.24's ``productVariantStocksUpdate``
only notifies apps). A host may record them itself (the Saleor adapter does, with a
database trigger) and hand them over here through ``drain_changes()``. The rows it hands
over are removed in the same transaction that writes the jobs: a failure keeps both.
"""

from __future__ import annotations

from django.db import transaction

from .events import EventType
from .host import get_host
from .maintenance import active_targets
from .outbox import emit


def drain() -> int:
    """Emit jobs for the host's recorded changes; returns how many jobs are new."""
    host = get_host()
    drain_changes = getattr(host, "drain_changes", None)
    if drain_changes is None:
        return 0
    emitted = 0
    with transaction.atomic():
        for change in drain_changes():
            event = EventType(change.event)
            targets = active_targets(event, change.channels)
            if targets:
                emitted += len(emit(event, change.object_id, targets, version=change.version))
    return emitted
