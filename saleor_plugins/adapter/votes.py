"""Collecting one event's targets across Saleor's plugin loop, to write them once.

For a hook called with a channel, Saleor's manager calls every active per-channel plugin
of that channel, then every global plugin (``plugins_per_channel[slug]`` is extended with
the global ones). Our per-channel plugins therefore *vote* (their id, in this channel) and
the global router, called last for the same hook, writes every vote in one INSERT.

A loop that never reaches the router (another plugin raised) leaves its ballot behind.
In one loop each plugin votes once, so a vote from a target already on the ballot means
a new loop: the stale ballot is dropped, never merged into the new event. The box also
keeps at most :data:`MAX_BALLOTS` ballots per thread.

Saleor reports one change under several hooks (``order_paid`` then ``order_fully_paid``):
both are the same job, whose dedupe key makes the second INSERT a no-op.
:func:`already_written` remembers, per thread, the last jobs written outside a transaction
(committed at once) so that the router skips the round trip.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from ..core.events import EventType

#: Ballots one thread may hold (each is normally collected by the router at once).
MAX_BALLOTS = 64
#: Committed jobs remembered per thread (and for how long), to skip re-writing a duplicate.
MAX_WRITTEN = 64
WRITTEN_SECONDS = 60.0

Target = tuple[str, str]


@dataclass(slots=True)
class Ballot:
    event: EventType
    object_id: str
    version: str
    targets: list[Target] = field(default_factory=list)

    def key(self) -> tuple[EventType, str, str, tuple[Target, ...]]:
        return (self.event, self.object_id, self.version, tuple(self.targets))


_local = threading.local()


def _box() -> OrderedDict[tuple[str, str], Ballot]:
    box: OrderedDict[tuple[str, str], Ballot] | None = getattr(_local, "box", None)
    if box is None:
        box = _local.box = OrderedDict()
    return box


def _written() -> OrderedDict[tuple[EventType, str, str, tuple[Target, ...]], float]:
    written = getattr(_local, "written", None)
    if written is None:
        written = _local.written = OrderedDict()
    return written


def vote(
    hook: str, event: EventType, object_id: str, integration: str, channel: str, version: str = ""
) -> None:
    box = _box()
    target = (integration, channel)
    ballot = box.get((hook, object_id))
    if ballot is None or target in ballot.targets or ballot.version != version:
        ballot = box[(hook, object_id)] = Ballot(event, object_id, version)  # a new loop
    ballot.targets.append(target)
    while len(box) > MAX_BALLOTS:
        box.popitem(last=False)


def collect(hook: str, object_id: str) -> Ballot | None:
    return _box().pop((hook, object_id), None)


def pending() -> int:
    return len(_box())


def already_written(ballot: Ballot) -> bool:
    """Whether this thread already committed exactly these jobs (a duplicate's no-op)."""
    if ballot.event.coalesces:
        return False
    at = _written().get(ballot.key())
    return at is not None and time.monotonic() - at < WRITTEN_SECONDS


def written(ballot: Ballot) -> None:
    """Record jobs whose INSERT committed (autocommit: no transaction could undo it).

    Only non-coalescing events: their dedupe key refuses the same job forever, whereas a
    coalescing event written again after its job was delivered is a new job."""
    if ballot.event.coalesces:
        return
    memo = _written()
    memo[ballot.key()] = time.monotonic()
    memo.move_to_end(ballot.key())
    while len(memo) > MAX_WRITTEN:
        memo.popitem(last=False)
