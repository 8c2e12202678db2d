from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "saleor_plugins.core"
    label = "saleor_plugins_core"  # Saleor already has an app labelled "core"
    verbose_name = "Saleor plugins: integration kernel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, secrets

        secrets.install_log_scrubber()
        checks.register()
