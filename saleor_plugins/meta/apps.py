from django.apps import AppConfig


class MetaConfig(AppConfig):
    name = "saleor_plugins.meta"
    label = "saleor_plugins_meta"
    verbose_name = "Saleor plugins: Meta (Facebook and Instagram)"
    default_auto_field = "django.db.models.BigAutoField"
