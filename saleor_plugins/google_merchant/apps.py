from django.apps import AppConfig


class GoogleMerchantConfig(AppConfig):
    name = "saleor_plugins.google_merchant"
    label = "saleor_plugins_google_merchant"
    verbose_name = "Saleor plugins: Google Merchant Center"
    default_auto_field = "django.db.models.BigAutoField"
