"""What a store is created with: the channel's name, currency and domain.

The kernel's host has no channel reader yet, so the Saleor side (``plugin.py``) registers
one here; without it (the demo, tests) the settings and the synced object's currency are
used instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    name: str
    currency_code: str
    domain: str = ""


Reader = Callable[[str], ChannelInfo | None]
_reader: Reader | None = None


def register_reader(reader: Reader | None) -> None:
    global _reader
    _reader = reader


def read(slug: str) -> ChannelInfo | None:
    return _reader(slug) if _reader is not None else None
