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
        _write_after_response()


def _write_after_response() -> None:
    """Hooks' events are written and published once the response has been sent.

    Our receiver runs before Django's ``close_old_connections`` (which would otherwise
    close the request's database connection first and make us open another one).
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from . import outbox

    def started(**kwargs: object) -> None:
        outbox.open_request()

    def finished(**kwargs: object) -> None:
        outbox.close_request()

    request_started.connect(started, dispatch_uid="saleor_plugins.request_started", weak=False)
    reconnect = request_finished.disconnect(close_old_connections)
    request_finished.connect(finished, dispatch_uid="saleor_plugins.request_finished", weak=False)
    if reconnect:
        request_finished.connect(close_old_connections)


def _install_host(using: str = "default", **kwargs: object) -> None:
    """Let the host set up what it records itself (the Saleor adapter: a stock trigger)."""
    from .host import get_host

    install = getattr(get_host(), "install", None)
    if install is not None:
        install(using=using)
