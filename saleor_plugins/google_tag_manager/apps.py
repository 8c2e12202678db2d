from django.apps import AppConfig


class GoogleTagManagerConfig(AppConfig):
    name = "saleor_plugins.google_tag_manager"
    label = "saleor_plugins_google_tag_manager"
    verbose_name = "Saleor plugins: Google Tag Manager and GA4"
    default_auto_field = "django.db.models.BigAutoField"
