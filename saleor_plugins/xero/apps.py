from django.apps import AppConfig


class XeroConfig(AppConfig):
    name = "saleor_plugins.xero"
    label = "saleor_plugins_xero"
    verbose_name = "Saleor plugins: Xero"
    default_auto_field = "django.db.models.BigAutoField"
