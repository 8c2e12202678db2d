import json
import os

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "saleor_plugins.demo"
    label = "saleor_plugins_demo"
    verbose_name = "Saleor plugins: demo store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # make the demo's Celery app the current one, as Saleor's is in a Saleor process
        from . import celery  # noqa: F401

        providers = json.loads(os.environ.get("SALEOR_PLUGINS_DEMO_PROVIDERS") or "{}")
        if providers.get("stripe"):
            import stripe

            from ..stripe.connector import register_payment_host
            from .payments import DemoPaymentHost

            stripe.api_base = providers["stripe"]  # the Stripe stand-in (`./run demo`)
            register_payment_host(DemoPaymentHost())  # Stripe's webhooks reach the demo store
