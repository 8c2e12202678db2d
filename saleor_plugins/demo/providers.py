"""Every built-in integration's provider, stood in on 127.0.0.1, and each channel's settings.

The stand-ins are the test suite's (:mod:`saleor_plugins.testing.providers`); each sits
behind a :class:`~.faults.FaultProxy` that injects one outage. The URLs reach the worker
through the environment (:data:`ENV`, read by the demo's settings), as a Saleor's
``settings.py`` would carry them.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import ExitStack
from typing import Any

from pytest_httpserver import HTTPServer

from ..testing.providers import google_merchant as gm
from ..testing.providers import google_tag_manager as ga4
from ..testing.providers import mailchimp as mc
from ..testing.providers import meta as fb
from ..testing.providers import quickbooks as qb
from ..testing.providers import stripe as st
from ..testing.providers import xero as xe
from .faults import FaultProxy, Outage

ENV = "SALEOR_PLUGINS_DEMO_PROVIDERS"  # {"SALEOR_PLUGINS_…_URL": url, "stripe": api_base}
CHANNELS = ["default-channel", "channel-pln"]
STRIPE_SECRET = "sk_test_51Demo0123456789abcdefSECRET"
STRIPE_PUBLIC = "pk_test_51Demo0123456789abcdefPUBLIC"
STRIPE_WEBHOOK_SECRET = "whsec_demo0123456789abcdef0123456789"
MAILCHIMP_KEY = "0123456789abcdef0123456789abcdef-us21"
STOREFRONT = "https://shop.example.com"

STRIPE = "saleor_plugins.stripe"
MAILCHIMP = "saleor_plugins.mailchimp"
MERCHANT = "saleor_plugins.google_merchant"
GA4 = "saleor_plugins.google_tag_manager"
XERO = "saleor_plugins.xero"
QUICKBOOKS = "saleor_plugins.quickbooks"
META = "saleor_plugins.meta"

#: when each provider's outage comes, by its calls: Merchant batches, so it makes few;
#: QuickBooks gets no 429: its rule is a 60 s pause (client.py), longer than the demo
OUTAGES = {
    "saleor_plugins.google_merchant": lambda: Outage(unavailable=1, throttled=2, refused=3),
    "saleor_plugins.quickbooks": lambda: Outage(unavailable=2, throttled=None, refused=5),
    # the worker's Stripe calls (a refund's list): one, refused until the key is saved
    "saleor_plugins.stripe": lambda: Outage(unavailable=None, throttled=None, refused=1),
}
#: the checkout's own Stripe calls (the gateway, in the request): a 503, then a 429
CHECKOUT_OUTAGE = Outage(unavailable=2, throttled=5, refused=None)


def _private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


class StandIns:
    """``with StandIns() as p:`` starts them all; ``p.configs(channel)`` per integration."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.proxies: dict[str, FaultProxy] = {}

    def __enter__(self) -> StandIns:
        s = self._stack
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per stand-in request
        self.stripe = s.enter_context(st.FakeStripe(STRIPE_SECRET))
        self.mailchimp = s.enter_context(mc.FakeMailchimp(MAILCHIMP_KEY))
        self.xero = s.enter_context(xe.FakeXero())
        self.quickbooks = s.enter_context(qb.FakeQuickBooks())
        servers = [HTTPServer(host="127.0.0.1", port=0) for _ in range(3)]
        for server in servers:
            server.start()
            s.callback(server.stop)
        self.merchant = gm.FakeMerchant(servers[0])
        self.ga4 = ga4.FakeGA4(servers[1])
        self.meta = fb.FakeGraph(servers[2])
        for fake in (self.merchant, self.ga4, self.meta):
            fake.install()
        self.checkout_stripe = FaultProxy(self.stripe.url, CHECKOUT_OUTAGE)
        s.callback(self.checkout_stripe.close)
        for integration, url in {
            STRIPE: self.stripe.url,
            MAILCHIMP: self.mailchimp.url,
            MERCHANT: self.merchant.url,
            GA4: self.ga4.url,
            XERO: self.xero.url,
            QUICKBOOKS: self.quickbooks.url,
            META: self.meta.url,
        }.items():
            proxy = FaultProxy(url, OUTAGES.get(integration, Outage)())
            s.callback(proxy.close)
            self.proxies[integration] = proxy
        self.pem = _private_key()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def ports(self) -> set[int]:
        """Every port a provider call can go to (for the request-path probe)."""
        urls = [self.stripe.url, self.mailchimp.url, self.xero.url, self.quickbooks.url]
        urls += [self.merchant.url, self.ga4.url, self.meta.url]
        found = {int(u.split(":")[2].split("/")[0]) for u in urls}
        return found | {p.port for p in [*self.proxies.values(), self.checkout_stripe]}

    def settings(self) -> dict[str, Any]:
        """Django settings pointing the connectors at the stand-ins (through the proxies)."""
        p = {k: v.url.rstrip("/") for k, v in self.proxies.items()}
        values: dict[str, Any] = {
            "SALEOR_PLUGINS_MAILCHIMP_API_URL": p[MAILCHIMP] + "/{dc}/3.0",
            "SALEOR_PLUGINS_GOOGLE_MERCHANT_ENDPOINT": p[MERCHANT] + "/",
            "SALEOR_PLUGINS_GA4_ENDPOINT": p[GA4],
            "SALEOR_PLUGINS_META_GRAPH_URL": p[META],
            "SALEOR_PLUGINS_META_POLL_SECONDS": 0.0,
            "stripe": p[STRIPE],  # the worker's; the checkout's: checkout_stripe
        }
        for name in ("API_URL", "LOGIN_URL", "IDENTITY_URL"):
            values[f"SALEOR_PLUGINS_XERO_{name}"] = p[XERO]
        for name in ("APPCENTER_URL", "OAUTH_URL", "REVOKE_URL", "API_URL"):
            values[f"SALEOR_PLUGINS_QUICKBOOKS_{name}"] = p[QUICKBOOKS]
        return values

    def export(self) -> None:
        os.environ[ENV] = json.dumps(self.settings())

    def configs(self, channel: str) -> dict[str, dict[str, Any]]:
        """Each integration's configuration in ``channel``, as a merchant saves it."""
        second = channel != CHANNELS[0]
        currency = "PLN" if second else "USD"
        account = {
            "type": "service_account",
            "client_email": "saleor@demo-project.iam.gserviceaccount.com",
            "private_key": self.pem,
            "private_key_id": "k1",
            "token_uri": self.merchant.token_uri,
        }
        return {
            STRIPE: {
                "publishable_key": STRIPE_PUBLIC,
                "secret_key": STRIPE_SECRET,
                "capture_mode": "automatic",
                "supported_currencies": "USD, PLN",
                "webhook_secret": STRIPE_WEBHOOK_SECRET,
            },
            MAILCHIMP: {
                "api_key": MAILCHIMP_KEY,
                "audience_id": "aud-pln" if second else "aud-usd",
                "store_domain": "shop.example.com",
                "currency": currency,
                "product_url": STOREFRONT + "/p/{slug}",
                "cart_url": STOREFRONT + "/cart/{token}",
                "default_language": "pl" if second else "en",
            },
            MERCHANT: {
                "merchant_id": "123456",
                "data_source": "778" if second else "777",
                "service_account_json": json.dumps(account),
                "content_language": "pl" if second else "en",
                "feed_label": "PL" if second else "US",
                "product_url_template": STOREFRONT + "/products/{slug}?variant={variant_id}",
                "brand_attribute": "brand",
            },
            GA4: {
                "container_id": "GTM-DEMO123",
                "measurement_id": "G-DEMO22222" if second else "G-DEMO11111",
                "api_secret": "ga4-demo-secret-Zq8hN3kT2w",
                "brand_attribute": "brand",
            },
            XERO: {
                "client_id": xe.CLIENT_ID,
                "client_secret": xe.CLIENT_SECRET,
                "sales_account": "200",
                "payment_account": "090",
                "gateway_accounts": f"{STRIPE} = 091",
                "tax_map": "0% = EXEMPTOUTPUT",
            },
            QUICKBOOKS: {
                "client_id": qb.CLIENT_ID,
                "client_secret": qb.CLIENT_SECRET,
                "sales_item": "1",
                "tax_map": "0% = 9",
                "default_tax_code": "9",
                "deposit_account": "35",
                "gateway_accounts": f"{STRIPE} = 36",
            },
            META: {
                "access_token": fb.TOKEN,
                "catalog_id": fb.CATALOG_2 if second else fb.CATALOG,
                "pixel_id": fb.PIXEL_2 if second else fb.PIXEL,
                "product_url_template": STOREFRONT + "/p/{slug}?v={variant_id}",
                "storefront_url": STOREFRONT,
                "consent_metadata_key": "marketing_consent",
            },
        }
