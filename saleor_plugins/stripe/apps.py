from django.apps import AppConfig


class StripeConfig(AppConfig):
    name = "saleor_plugins.stripe"
    label = "saleor_plugins_stripe"
    verbose_name = "Saleor plugins: Stripe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import logging

        # at DEBUG the SDK logs response bodies, with each intent's client_secret
        sdk = logging.getLogger("stripe")
        sdk.setLevel(max(sdk.getEffectiveLevel(), logging.INFO))
