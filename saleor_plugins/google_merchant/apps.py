from importlib import import_module

from django.apps import AppConfig


class GoogleMerchantConfig(AppConfig):
    name = "saleor_plugins.google_merchant"
    label = "saleor_plugins_google_merchant"
    verbose_name = "Saleor plugins: Google Merchant Center"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from .tasks import periodic_tasks

        schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None)
        if schedule is None:
            schedule = settings.CELERY_BEAT_SCHEDULE = {}
        for name, entry in periodic_tasks().items():
            schedule.setdefault(name, entry)
        from django.apps import apps

        if apps.is_installed("saleor.plugins"):
            # inside Saleor: the plugin module hands our tasks Saleor's ``allow_writer``
            import_module(f"{self.name}.plugin")
