"""Collecting one event's targets across Saleor's plugin loop, to write them once.

For a hook called with a channel, Saleor's manager calls every active per-channel plugin
of that channel, then every global plugin (``plugins_per_channel[slug]`` is extended with
the global ones). Our per-channel plugins therefore *vote* (their id, in this channel) and
the global router, called last for the same hook, writes every vote in one INSERT.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..core.events import EventType


@dataclass(slots=True)
class Ballot:
    event: EventType
    object_id: str
    version: str
    targets: list[tuple[str, str]] = field(default_factory=list)


_local = threading.local()


def _box() -> dict[tuple[str, str], Ballot]:
    box: dict[tuple[str, str], Ballot] | None = getattr(_local, "box", None)
    if box is None:
        box = _local.box = {}
    return box


def vote(
    hook: str, event: EventType, object_id: str, integration: str, channel: str, version: str = ""
) -> None:
    ballot = _box().setdefault((hook, object_id), Ballot(event, object_id, version))
    target = (integration, channel)
    if target not in ballot.targets:
        ballot.targets.append(target)


def collect(hook: str, object_id: str) -> Ballot | None:
    return _box().pop((hook, object_id), None)


def pending() -> int:
    return len(_box())
