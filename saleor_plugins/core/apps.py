from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "saleor_plugins.core"
    label = "saleor_plugins_core"  # Saleor already has an app labelled "core"
    verbose_name = "Saleor plugins: integration kernel"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, registry, secrets

        secrets.install_log_scrubber()
        checks.register()
        # every process (API, worker, beat, manage.py) refuses to start on an id clash
        registry.integrations()
        post_migrate.connect(_install_host, sender=self)


def _install_host(using: str = "default", **kwargs: object) -> None:
    """Let the host set up what it records itself (the Saleor adapter: a stock trigger)."""
    from .host import get_host

    install = getattr(get_host(), "install", None)
    if install is not None:
        install(using=using)
