"""The Mailchimp integration: one audience and one e-commerce store per channel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ..core import ledger, webhooks
from ..core import snapshots as s
from ..core.errors import ConfigurationError, PermanentError
from ..core.events import EventType
from ..core.hookspecs import hookimpl
from ..core.integration import CustomerRoute, Integration, JobContext, Outcome, RateLimit
from ..core.models import Held, InboundEvent
from ..core.settings import SettingsErrors
from . import channels, consent, mapping
from .client import MailchimpClient, NotFound, account_key, already_exists, subscriber_hash
from .settings import Data, MailchimpSettings
from .webhooks import REVOKING, MailchimpReceiver

logger = logging.getLogger(__name__)

#: (account, store id) pairs known to exist in this process: one GET per store, not per job
_known_stores: set[tuple[str, str]] = set()
_known_lock = threading.Lock()
#: member statuses Mailchimp keeps as they are: we never subscribe these again
FINAL = frozenset({"unsubscribed", "cleaned"})


class MailchimpIntegration(Integration[MailchimpSettings]):
    id = "saleor_plugins.mailchimp"
    name = "Mailchimp"
    description = (
        "Audience members who agreed to marketing, and an e-commerce store per channel: "
        "products, orders, abandoned carts and promo codes."
    )
    settings_class = MailchimpSettings
    subscribes = frozenset(
        {
            EventType.ORDER_CREATED,
            EventType.ORDER_PAID,
            EventType.ORDER_FULFILLED,
            EventType.ORDER_CANCELLED,
            EventType.ORDER_REFUNDED,
            EventType.PRODUCT_UPSERTED,
            EventType.PRODUCT_DELETED,
            EventType.CUSTOMER_UPSERTED,
            EventType.CHECKOUT_UPSERTED,
            EventType.VOUCHER_UPSERTED,
            EventType.VOUCHER_DELETED,
            EventType.WEBHOOK_RECEIVED,
        }
    )
    customer_route = CustomerRoute.ENGAGED
    rate_limit = RateLimit(concurrency=10)
    webhook_receiver = MailchimpReceiver()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg: MailchimpSettings = self.settings
        self.client = MailchimpClient(self.cfg.secret("api_key"))
        self.store_id = self.cfg.store_for(self.channel)

    def account_key(self) -> str:
        return account_key(self.cfg.secret("api_key"))

    # -- what Mailchimp holds (the kernel's ledger) ------------------------------------
    def holds(self, object_type: str, object_id: str) -> bool:
        return ledger.holds(self.id, self.channel, object_type, object_id)

    def hold(self, object_type: str, *object_ids: str) -> None:
        ledger.hold(self.id, self.channel, object_type, object_ids)

    def release(self, object_type: str, *object_ids: str) -> None:
        ledger.release(self.id, self.channel, object_type, object_ids)

    def remove(self, object_type: str, object_id: str, delete: Any, *args: str) -> bool:
        """Delete what the ledger says Mailchimp holds; nothing is asked about the rest.
        Returns whether a delete was sent."""
        if not self.holds(object_type, object_id):
            return False
        self.client.delete(delete, self.store_id, *args)
        self.release(object_type, object_id)
        return True

    # -- the store -------------------------------------------------------------------
    def ensure_store(self, currency: str = "") -> None:
        """Create the channel's store on first use; refuse one tied to another audience."""
        key = (self.account_key(), self.store_id)
        if key in _known_stores:
            return
        eco, store = self.client.ecommerce, None
        if self.holds("store", self.store_id):
            try:
                store = self.client.call(eco.get_store, self.store_id)
            except NotFound:
                self.release("store", self.store_id)  # deleted at Mailchimp: made again
        if store is None:
            try:
                store = self.client.call(eco.add_store, self.store_body(currency))
            except PermanentError as e:
                if not already_exists(e):
                    raise
                store = self.client.call(eco.get_store, self.store_id)
        if isinstance(store, dict) and store.get("list_id") not in (None, self.cfg.audience_id):
            raise ConfigurationError(
                f"Mailchimp store {self.store_id} belongs to audience {store.get('list_id')}; "
                "a store stays tied to one audience: set another store ID.",
                field="audience_id",
                provider="mailchimp",
            )
        self.hold("store", self.store_id)
        with _known_lock:
            _known_stores.add(key)

    def store_body(self, currency: str = "") -> dict[str, Any]:
        channel = self.host.read("channel", self.channel, self.channel) or channels.read(
            self.channel
        )
        name = self.cfg.store_name or getattr(channel, "name", "") or self.channel
        currency = (
            self.cfg.currency
            or getattr(channel, "currency_code", "")
            or getattr(channel, "currency", "")
            or currency
        )
        if not currency:
            raise ConfigurationError(
                "The store's currency is unknown: set the store currency.",
                field="currency",
                provider="mailchimp",
            )
        body = {
            "id": self.store_id,
            "list_id": self.cfg.audience_id,
            "name": name,
            "platform": "Saleor",
            "currency_code": currency,
        }
        domain = self.cfg.store_domain or getattr(channel, "domain", "")
        if domain:
            body["domain"] = domain
        return body

    def set_syncing(self, syncing: bool) -> None:
        self.ensure_store()
        self.client.call(self.client.ecommerce.update_store, self.store_id, {"is_syncing": syncing})

    # -- the audience ----------------------------------------------------------------
    def sync_member(
        self,
        email: str,
        agreed: bool | None,
        customer: s.Customer | None,
        addr: s.Address | None,
        lang: str,
    ) -> str:
        """Add or update the member if they agreed; unsubscribe if they withdrew.

        Returns the member's status at Mailchimp ("" when untouched)."""
        if not email or agreed is None or not self.cfg.syncs(Data.CUSTOMERS):
            return ""
        lists, audience, sub = self.client.lists, self.cfg.audience_id, subscriber_hash(email)
        if agreed is False:
            current = self.member_status(email)
            if current in ("subscribed", "pending"):
                self.client.call(
                    lists.update_list_member, audience, sub, {"status": "unsubscribed"}
                )
                return "unsubscribed"
            return current
        body = mapping.member(self.cfg, email, customer, addr, lang)
        result = self.client.call(lists.set_list_member, audience, sub, body)
        status = str(result.get("status", "")) if isinstance(result, dict) else ""
        if status in ("transactional", "archived"):
            # a buyer who now agreed: their consent is new, double opt-in applies
            status = body["status_if_new"]
            self.client.call(lists.update_list_member, audience, sub, {"status": status})
        if self.cfg.tags and status not in FINAL:
            tags = [{"name": t, "status": "active"} for t in self.cfg.tags]
            self.client.call(lists.update_list_member_tags, audience, sub, {"tags": tags})
        return status

    def member_status(self, email: str) -> str:
        """The member's status in the channel's audience ("" when not a member)."""
        lists, audience = self.client.lists, self.cfg.audience_id
        try:
            member = self.client.call(lists.get_list_member, audience, subscriber_hash(email))
        except NotFound:
            return ""
        return str(member.get("status", "")) if isinstance(member, dict) else ""

    def language_of(self, customer: s.Customer | None, *others: str) -> str:
        return mapping.language(
            customer.language if customer else "", *others, self.cfg.default_language
        )

    # -- handlers: customers ---------------------------------------------------------
    def on_customer_upserted(self, job: JobContext) -> Outcome:
        customer = self.host.read("customer", job.object_id, self.channel)
        if customer is None or not customer.email:
            return Outcome(detail="customer gone")
        if self.cfg.syncs(Data.CUSTOMERS):
            self.ensure_store()
            body = mapping.ecommerce_customer(customer.email, customer)
            self.client.call(
                self.client.ecommerce.set_store_customer, self.store_id, body["id"], body
            )
        # the audience last: a refusal there (a forgotten address) leaves the rest sent
        agreed = mapping.consent(self.cfg.consent_metadata_key, self.channel, customer)
        status = self.sync_member(
            customer.email, agreed, customer, customer.billing_address, self.language_of(customer)
        )
        return Outcome(detail=f"member: {status or 'not an audience member'}")

    # -- handlers: orders ------------------------------------------------------------
    def on_order_created(self, job: JobContext) -> Outcome:
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="order gone")
        outcome = self._sync_order(order)
        if order.checkout_token:
            # the checkout became this order: no abandoned-cart email for it
            token = order.checkout_token
            self.remove("cart", token, self.client.ecommerce.delete_store_cart, token)
        agreed = mapping.consent(
            self.cfg.consent_metadata_key, self.channel, order.customer, order.metadata
        )
        self.sync_member(
            order.email,
            agreed,
            order.customer,
            order.billing_address,
            self.language_of(order.customer, order.language),
        )
        return outcome

    def _order_status(self, job: JobContext) -> Outcome:
        order = self.host.read("order", job.object_id, self.channel)
        if order is None:
            return Outcome(detail="order gone")
        return self._sync_order(order)

    on_order_paid = on_order_fulfilled = on_order_cancelled = on_order_refunded = _order_status

    def _sync_order(self, order: s.Order) -> Outcome:
        if not self.cfg.syncs(Data.ORDERS) or not order.email:
            return Outcome(detail="orders not synced")
        self.ensure_store(order.currency)
        body = mapping.order(self.cfg, order)
        eco = self.client.ecommerce
        self._send_with_lines(
            "order", eco.update_order, eco.add_store_order, order.id, body, order.lines
        )
        return Outcome(detail=f"order {body['financial_status']}", provider_ids={"order": order.id})

    def _send_with_lines(
        self,
        object_type: str,
        update: Any,
        create: Any,
        object_id: str,
        body: dict[str, Any],
        lines: Any,
    ) -> None:
        """Create or update an order or cart. Mailchimp accepts only lines naming products
        the store has: those the ledger does not know are sent first. Should Mailchimp
        still answer that one is missing (deleted there), they are all sent and the
        order or cart once more."""
        named = {(x.product_id, x.variant_id): x.product_name for x in lines if x.product_id}
        known = ledger.held(self.id, self.channel, "product", {p for p, _ in named})
        for (product_id, variant_id), name in named.items():
            if product_id not in known:
                self.ensure_product(product_id, variant_id, name)

        def send() -> None:
            self.client.save(
                update,
                create,
                (self.store_id, object_id),
                body,
                exists=self.holds(object_type, object_id),
                create_args=(self.store_id,),
            )
            self.hold(object_type, object_id)

        try:
            send()
            return
        except PermanentError as e:
            if e.status != 400 or "product" not in str(e).lower():
                raise
        self.release("product", *{p for p, _ in named})
        for (product_id, variant_id), name in named.items():
            self.ensure_product(product_id, variant_id, name)
        send()

    def ensure_product(self, product_id: str, variant_id: str, name: str) -> None:
        product = self.host.read("product", product_id, self.channel)
        if product is not None and product.listing_in(self.channel) is not None:
            self.sync_product(product_id)
            return
        # an order may name a product no longer sold here: Mailchimp still needs it
        eco, title = self.client.ecommerce, name or product_id
        variant = {
            "id": variant_id or product_id,
            "title": title,
            "inventory_quantity": 0,
            "visibility": "hidden",
        }
        try:
            self.client.call(
                eco.add_store_product,
                self.store_id,
                {"id": product_id, "title": title, "variants": [variant]},
            )
        except PermanentError as e:
            if not already_exists(e):
                raise
            self.client.call(
                eco.add_product_variant, self.store_id, product_id, variant["id"], variant
            )
        self.hold("product", product_id)

    # -- handlers: carts -------------------------------------------------------------
    def on_checkout_upserted(self, job: JobContext) -> Outcome:
        if not self.cfg.syncs(Data.CARTS):
            return Outcome(detail="carts not synced")
        checkout = self.host.read("checkout", job.object_id, self.channel)
        if checkout is None or checkout.completed or not checkout.email or not checkout.lines:
            delete = self.client.ecommerce.delete_store_cart
            removed = self.remove("cart", job.object_id, delete, job.object_id)
            return Outcome(detail="cart removed" if removed else "no cart")
        self.ensure_store(checkout.currency)
        body = mapping.cart(self.cfg, checkout)
        eco = self.client.ecommerce
        self._send_with_lines(
            "cart", eco.update_store_cart, eco.add_store_cart, checkout.token, body, checkout.lines
        )
        agreed = mapping.consent(
            self.cfg.consent_metadata_key, self.channel, checkout.customer, checkout.metadata
        )
        self.sync_member(
            checkout.email,
            agreed,
            checkout.customer,
            None,
            self.language_of(checkout.customer, checkout.language),
        )
        return Outcome(detail="cart saved", provider_ids={"cart": checkout.token})

    # -- handlers: products ----------------------------------------------------------
    def on_product_upserted(self, job: JobContext) -> Outcome:
        if not self.cfg.syncs(Data.PRODUCTS):
            return Outcome(detail="products not synced")
        return Outcome(detail=self.sync_product(job.object_id))

    def sync_product(self, product_id: str) -> str:
        product = self.host.read("product", product_id, self.channel)
        eco = self.client.ecommerce
        if product is None or product.listing_in(self.channel) is None:
            removed = self.remove("product", product_id, eco.delete_store_product, product_id)
            return "product removed" if removed else "product not in the store"
        prices = [p for v in product.variants if (p := v.price_in(self.channel))]
        self.ensure_store(prices[0].price.currency if prices else "")
        full = mapping.product(self.cfg, product, self.channel)
        head = mapping.product(self.cfg, product, self.channel, with_variants=False)
        current = None
        if self.holds("product", product.id):
            try:
                current = self.client.call(
                    eco.update_store_product, self.store_id, product.id, head
                )
            except NotFound:
                pass  # deleted at Mailchimp since: created again below
        if current is None:
            try:
                self.client.call(eco.add_store_product, self.store_id, full)
                self.hold("product", product.id)
                return "product created"
            except PermanentError as e:
                if not already_exists(e):
                    raise
            current = self.client.call(eco.update_store_product, self.store_id, product.id, head)
        self.hold("product", product.id)
        wanted = {v["id"] for v in full["variants"]}
        for variant in full["variants"]:
            self.client.call(
                eco.add_product_variant, self.store_id, product.id, variant["id"], variant
            )
        for old in (current or {}).get("variants", []):
            if old.get("id") not in wanted:
                self.client.delete(eco.delete_product_variant, self.store_id, product.id, old["id"])
        return "product updated"

    def on_product_deleted(self, job: JobContext) -> Outcome:
        if not self.cfg.syncs(Data.PRODUCTS):
            return Outcome(detail="products not synced")
        delete = self.client.ecommerce.delete_store_product
        removed = self.remove("product", job.object_id, delete, job.object_id)
        return Outcome(detail="product removed" if removed else "product not in the store")

    # -- handlers: promo codes -------------------------------------------------------
    def on_voucher_upserted(self, job: JobContext) -> Outcome:
        if not self.cfg.syncs(Data.PROMO_CODES):
            return Outcome(detail="promo codes not synced")
        voucher = self.host.read("voucher", job.object_id, self.channel)
        if voucher is None:
            return self.on_voucher_deleted(job)
        self.ensure_store()
        self.sync_voucher(voucher)
        return Outcome(detail=f"{len(voucher.codes)} promo code(s)")

    def sync_voucher(self, voucher: s.Voucher) -> None:
        eco, store = self.client.ecommerce, self.store_id
        rule = mapping.promo_rule(voucher)
        self.client.save(
            eco.update_promo_rule,
            eco.add_promo_rules,
            (store, voucher.id),
            rule,
            exists=self.holds("promo_rule", voucher.id),
            create_args=(store,),
        )
        self.hold("promo_rule", voucher.id)
        bodies = {
            promo_code_key(voucher.id, body["id"]): body
            for body in (mapping.promo_code(self.cfg, voucher, c) for c in voucher.codes)
        }
        known = ledger.held(self.id, self.channel, "promo_code", bodies)
        for key, body in bodies.items():
            self.client.save(
                eco.update_promo_code,
                eco.add_promo_code,
                (store, voucher.id, body["id"]),
                body,
                exists=key in known,
                create_args=(store, voucher.id),
            )
            self.hold("promo_code", key)

    def on_voucher_deleted(self, job: JobContext) -> Outcome:
        if not self.cfg.syncs(Data.PROMO_CODES):
            return Outcome(detail="promo codes not synced")
        delete = self.client.ecommerce.delete_promo_rule
        removed = self.remove("promo_rule", job.object_id, delete, job.object_id)
        # Mailchimp deletes a rule's codes with it
        Held.objects.filter(
            integration=self.id,
            channel=self.channel,
            object_type="promo_code",
            object_id__startswith=promo_code_key(job.object_id, ""),
        ).delete()
        return Outcome(detail="promo rule removed" if removed else "promo rule not in the store")

    # -- backfill --------------------------------------------------------------------
    def backfill(self, object_types: Sequence[str], options: Mapping[str, Any]) -> str | None:
        """Mailchimp's own: batch operations, a few hundred requests for a whole channel."""
        from .backfill import command

        return command(self, object_types, options)

    # -- inbound ---------------------------------------------------------------------
    def on_webhook_received(self, job: JobContext) -> Outcome:
        event = InboundEvent.objects.filter(pk=job.object_id).first()
        if event is None:
            return Outcome(detail="inbound event gone")
        payload = dict(event.payload)
        if payload.get("kind") == "batch":
            from .backfill import finish_batch

            return Outcome(detail=finish_batch(self, str(payload.get("id", ""))))
        kind, email = str(payload.get("type", "")), str(payload.get("email", ""))
        if kind not in REVOKING or not email:
            return Outcome(detail=f"{kind or 'event'} ignored")
        if payload.get("list_id") != self.cfg.audience_id:
            return Outcome(detail=f"{kind} ignored: from another audience than this channel's")
        status = self.member_status(email)
        if status in ("subscribed", "pending"):
            # outdated (they subscribed again since) or not from Mailchimp
            return Outcome(detail=f"{kind} ignored: Mailchimp has the member {status}")
        changed = consent.revoke(
            consent.Revocation(
                email=email,
                channel=self.channel,
                metadata_key=self.cfg.consent_metadata_key,
                reason=kind,
                detail=str(payload.get("reason", "")),
            )
        )
        shared = self._share(event) if event.channel == self.channel else []
        also = f"; handed to {', '.join(shared)} (same audience)" if shared else ""
        return Outcome(detail=f"consent cleared on {changed} record(s) ({kind}){also}")

    def _share(self, event: InboundEvent) -> list[str]:
        """Channels whose installation uses this audience of this account get the event as
        their own job: an unsubscribe from a shared audience is a refusal in each of them,
        or their next sync would subscribe the member again. Once per channel."""
        mine = (self.account_key(), self.cfg.audience_id)
        shared = []
        for stored in self.host.installations(self.id):
            if stored.channel == self.channel or not stored.active:
                continue
            try:
                theirs = MailchimpSettings.from_configuration(stored.configuration, active=True)
            except SettingsErrors:
                continue  # not configured there: nothing would subscribe the member again
            if (account_key(theirs.secret("api_key")), theirs.audience_id) == mine:
                webhooks.forward(event, stored.channel)
                shared.append(stored.channel)
        return sorted(shared)


def promo_code_key(voucher_id: str, code_id: str) -> str:
    """A promo code's id in the ledger: its rule's id and its own."""
    return f"{voucher_id}/{code_id}"


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [MailchimpIntegration]
