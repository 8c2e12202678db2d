from django.apps import AppConfig


class MailchimpConfig(AppConfig):
    name = "saleor_plugins.mailchimp"
    label = "saleor_plugins_mailchimp"
    verbose_name = "Saleor plugins: Mailchimp"
    default_auto_field = "django.db.models.BigAutoField"
