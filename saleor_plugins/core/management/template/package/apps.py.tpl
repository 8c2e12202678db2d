from django.apps import AppConfig


class ${Class}Config(AppConfig):
    name = "${package}"
    # your own namespace: never one of Saleor's app labels ("core", "order", ...) or ours
    label = "${package}"
    verbose_name = "${display}"
    default_auto_field = "django.db.models.BigAutoField"
