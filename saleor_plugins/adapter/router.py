"""The global, hidden plugin that routes Saleor's hooks to the kernel.

Saleor calls product, customer and voucher hooks with no channel, so only global plugins
receive them; and for channel hooks it calls global plugins after the per-channel ones.
This plugin is therefore the one place where:

- the votes of per-channel plugins for a channel hook are written, in one INSERT;
- product hooks are routed to each channel the product is (or was) listed in;
- customer hooks are routed by each integration's declared :class:`CustomerRoute`;
- voucher hooks are routed to the voucher's channels.

It is always active (merchants cannot switch it off; ``HIDDEN`` keeps it off the
dashboard), and it never calls a provider: it only writes jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from saleor.plugins.base_plugin import BasePlugin

from ..core import outbox
from ..core.events import EventType
from . import hooks, loading, routing, votes

ROUTER_ID = "saleor_plugins.router"

loading.install()  # before any request builds our plugins: see loading.py


def _flush(hook_name: str, obj: Any) -> None:
    ballot = votes.collect(hook_name, hooks.object_id(obj))
    if ballot is None or not ballot.targets or votes.already_written(ballot):
        return
    outbox.emit(ballot.event, ballot.object_id, ballot.targets, version=ballot.version, defer=True)
    if not connection.in_atomic_block:  # committed: no rollback can undo it
        votes.written(ballot)


def _product(hook_name: str, obj: Any) -> None:
    # variant and media hooks name their product; product hooks are the product
    routing.route_product(str(getattr(obj, "product_id", None) or obj.pk))


def _customer(hook_name: str, user: Any) -> None:
    routing.route_customer(str(user.pk))


def _voucher(hook_name: str, voucher: Any) -> None:
    routing.route_voucher(str(voucher.pk), EventType.VOUCHER_UPSERTED)


def _hook(hook_name: str, route: Callable[[str, Any], None]) -> Callable[..., Any]:
    """A Saleor hook method that hands its first argument to ``route``."""

    def method(
        self: RouterPlugin, obj: Any, *args: Any, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        route(hook_name, obj)
        return previous_value

    method.__name__ = hook_name
    return method


class RouterPlugin(BasePlugin):
    PLUGIN_ID = ROUTER_ID
    PLUGIN_NAME = "Saleor plugins: event router"
    PLUGIN_DESCRIPTION = (
        "Routes Saleor events to the saleor_plugins integrations active in each channel."
    )
    CONFIGURATION_PER_CHANNEL = False
    DEFAULT_ACTIVE = True
    HIDDEN = True
    DEFAULT_CONFIGURATION: list[dict[str, Any]] = []
    CONFIG_STRUCTURE: dict[str, Any] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.active = True  # routing is not optional: an inactive router would lose events

    def product_deleted(
        self, product: Any, variants: Iterable[int], previous_value: Any = None, **kwargs: Any
    ) -> Any:
        routing.route_product_deleted(str(product.pk), [str(v) for v in variants])
        return previous_value

    def voucher_deleted(
        self, voucher: Any, code: Any = None, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        routing.route_voucher(
            str(voucher.pk),
            EventType.VOUCHER_DELETED,
            payload={"codes": routing.voucher_codes(voucher)},
        )
        return previous_value

    def account_confirmation_requested(
        self, user: Any, channel_slug: str, *args: Any, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        # accountRegister(channel:) names the channel the customer registered through
        routing.route_customer(str(user.pk), extra_channels=(channel_slug,))
        return previous_value


for _routes, _route in (
    (hooks.CHANNEL_HOOKS, _flush),
    (hooks.PRODUCT_HOOKS, _product),
    (hooks.CUSTOMER_HOOKS, _customer),
    (hooks.VOUCHER_HOOKS, _voucher),
):
    for _name in _routes:
        setattr(RouterPlugin, _name, _hook(_name, _route))

__all__ = ["ROUTER_ID", "RouterPlugin"]
