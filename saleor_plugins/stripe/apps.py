from django.apps import AppConfig


class StripeConfig(AppConfig):
    name = "saleor_plugins.stripe"
    label = "saleor_plugins_stripe"
    verbose_name = "Saleor plugins: Stripe"
    default_auto_field = "django.db.models.BigAutoField"
