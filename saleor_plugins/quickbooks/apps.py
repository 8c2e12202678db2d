from django.apps import AppConfig


class QuickBooksConfig(AppConfig):
    name = "saleor_plugins.quickbooks"
    label = "saleor_plugins_quickbooks"
    verbose_name = "Saleor plugins: QuickBooks Online"
    default_auto_field = "django.db.models.BigAutoField"
