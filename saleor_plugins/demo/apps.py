from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "saleor_plugins.demo"
    label = "saleor_plugins_demo"
    verbose_name = "Saleor plugins: demo store"
    default_auto_field = "django.db.models.BigAutoField"
