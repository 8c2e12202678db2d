from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "saleor_plugins.demo"
    label = "saleor_plugins_demo"
    verbose_name = "Saleor plugins: demo store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # make the demo's Celery app the current one, as Saleor's is in a Saleor process
        from . import celery  # noqa: F401
