"""What an integration is: a class-level description and a per-channel installation.

The class attributes describe the provider (id, name, settings, subscribed events, rate
limits). An instance is the *installation* for one channel: resolved settings, the API
client, and the handlers the delivery loop calls with a :class:`JobContext`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, TypeVar, get_args, get_origin

from .events import EventType
from .host import Host
from .settings import ChannelSettings


class CustomerRoute(StrEnum):
    """Which channels a customer event reaches (Saleor's customer hooks carry none)."""

    NONE = "none"
    #: channels where the customer ordered or has a checkout, plus the channel they
    #: registered through (``accountRegister(channel:)``)
    ENGAGED = "engaged"
    #: every channel where the integration is active
    ALL = "all"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A provider's published limit for one account, shared by all workers."""

    per_second: float | None = None
    per_minute: float | None = None
    concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class JobContext:
    id: int
    integration: str
    channel: str
    event: EventType
    object_type: str
    object_id: str
    payload: dict[str, Any]
    attempt: int
    idempotency_key: str


@dataclass(slots=True)
class Outcome:
    """What a handler reports back, recorded in the attempt's sync-log row (scrubbed).

    ``detail``: one line for the merchant; ``provider_ids``: what the provider calls the
    objects it wrote (``{"contact": "c_81"}``), kept in ``Attempt.provider_ids``.
    """

    status_code: int | None = None
    detail: str = ""
    provider_ids: dict[str, str] = field(default_factory=dict)


#: An integration id: lower-case dotted words, the first one the package's own namespace
#: (``acme_crm.crm``). It is Saleor's plugin id (``pluginUpdate(id:)``) and the
#: ``integration`` column of the outbox and the sync log (100 characters at most).
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
ID_MAX_LENGTH = 100


def check_id(integration_id: object, where: str) -> None:
    """Refuse an id that breaks the naming rule (:data:`ID_PATTERN`), naming the class."""
    if not (
        isinstance(integration_id, str)
        and len(integration_id) <= ID_MAX_LENGTH
        and ID_PATTERN.fullmatch(integration_id)
    ):
        raise ValueError(
            f"{where}: integration id {integration_id!r} must be lower-case dotted words "
            f"starting with your package's namespace, e.g. 'acme_crm.crm' "
            f"(at most {ID_MAX_LENGTH} characters)"
        )


class Integration[S: ChannelSettings]:
    """Base class of every connector, built in or third party.

    Generic over its settings: ``class CrmIntegration(Integration[CrmSettings])`` gives
    ``self.settings`` the type ``CrmSettings`` and sets ``settings_class`` to it.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str] = ""
    settings_class: ClassVar[type[ChannelSettings]]
    subscribes: ClassVar[frozenset[EventType]] = frozenset()
    customer_route: ClassVar[CustomerRoute] = CustomerRoute.ENGAGED
    rate_limit: ClassVar[RateLimit | None] = None
    #: Subscribed events a channel needs only with some settings (see :meth:`wants`).
    optional_events: ClassVar[frozenset[EventType]] = frozenset()

    @classmethod
    def wants(cls, event: EventType, settings: S) -> bool:
        """Whether a channel with these settings needs jobs for ``event``, one of
        :attr:`optional_events` (say no, and its hooks write no job there). Asked in the
        request for every such event: no I/O."""
        return True

    settings: S

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            check_id(cls.id, f"{cls.__module__}.{cls.__qualname__}")
        declared = _settings_argument(cls)
        if declared is None:
            return
        own = cls.__dict__.get("settings_class")
        if own is None:
            cls.settings_class = declared
        elif not issubclass(own, declared):
            raise TypeError(
                f"{cls.__qualname__}: settings_class {own.__name__} is not the "
                f"{declared.__name__} given to Integration[...]"
            )

    def __init__(self, settings: S, *, channel: str, host: Host) -> None:
        self.settings = settings
        self.channel = channel
        self.host = host

    # -- rate limiting -------------------------------------------------------------------
    def account_key(self) -> str:
        """Who the provider counts requests against (override: the provider account)."""
        return f"{self.id}:{self.channel}"

    # -- delivery ------------------------------------------------------------------------
    def handle(self, job: JobContext) -> Outcome | None:
        """Deliver one job; raise a :mod:`~saleor_plugins.core.errors` class on failure.

        The default looks up ``on_<event>`` (``on_order_created``...).
        """
        handler = getattr(self, f"on_{job.event.value}", None)
        if handler is None:
            return Outcome(detail=f"{job.event.value} not handled")
        result: Outcome | None = handler(job)
        return result

    # -- backfill ------------------------------------------------------------------------
    def backfill(self, object_types: Sequence[str], options: Mapping[str, Any]) -> str | None:
        """Send the channel's existing objects the integration's own way (a batch API).

        ``manage.py saleor_plugins_backfill`` asks this first. Return a one-line summary
        once done, or None (the default) to have the command emit one job per object.
        ``object_types`` is what the operator asked for (empty: everything). ``options``
        holds ``batch_size``, ``restart`` (forget saved progress), ``progress`` (a factory
        ``(description, total, initial)`` returning a bar with ``update(n)`` and
        ``close()``) and the operator's ``--option KEY=VALUE`` pairs under ``extra``.
        Raise a :mod:`~saleor_plugins.core.errors` class to stop with a message.
        """
        return None

    def reconcile_period(self, since: date, until: date) -> str | None:
        """Compare the period's store objects with what the provider was sent (a report).

        ``manage.py saleor_plugins_reconcile`` prints it; None: the integration has none.
        """
        return None

    # -- dashboard -----------------------------------------------------------------------
    def check_settings(self, timeout: float) -> dict[str, str]:
        """Optional bounded call on save (e.g. verify a key). Return field errors."""
        return {}


def _settings_argument(cls: type) -> type[ChannelSettings] | None:
    """The settings class given as ``Integration[X]`` (or a generic subclass's ``[X]``)."""
    for base in getattr(cls, "__orig_bases__", ()):
        origin = get_origin(base)
        if isinstance(origin, type) and issubclass(origin, Integration):
            for arg in get_args(base):
                if isinstance(arg, type) and issubclass(arg, ChannelSettings):
                    return arg
                if isinstance(arg, TypeVar):
                    return None
    return None
