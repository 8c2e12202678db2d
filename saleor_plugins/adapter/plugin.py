"""The base class of every per-channel Saleor plugin this package ships.

A concrete plugin is three lines::

    class MailchimpPlugin(IntegrationPlugin):
        integration = MailchimpIntegration

Everything Saleor needs (id, name, ``DEFAULT_CONFIGURATION``, ``CONFIG_STRUCTURE``,
validation, the status shown in the dashboard, order/checkout hooks, the webhook URL) is
derived from the integration's declaration here, once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotFound
from saleor.plugins.base_plugin import BasePlugin, ConfigurationTypeField
from saleor.plugins.error_codes import PluginErrorCode

from ..core import circuit, status, webhooks
from ..core.host import get_host, writer_scope
from ..core.integration import Integration
from ..core.settings import SettingsErrors
from . import hooks, loading, votes

loading.install()

STATUS_FIELD = "sync_status"
#: Seconds a configuration check on save may take: saving never waits longer.
CHECK_TIMEOUT = 5.0


def _field_errors(errors: dict[str, str]) -> ValidationError:
    """What the dashboard shows beside each field."""
    return ValidationError(
        {
            field: ValidationError(message, code=PluginErrorCode.INVALID.value)
            for field, message in errors.items()
        }
    )


def _vote_hook(hook_name: str):  # type: ignore[no-untyped-def]
    event = hooks.CHANNEL_HOOKS[hook_name]

    def method(
        self: IntegrationPlugin, obj: Any, *args: Any, previous_value: Any = None, **kwargs: Any
    ) -> Any:
        if event in self.integration.subscribes and self.channel is not None and self._wants(event):
            votes.vote(
                hook_name,
                event,
                hooks.object_id(obj),
                self.PLUGIN_ID,
                self.channel.slug,
                hooks.version(event, obj),
            )
        return previous_value

    method.__name__ = hook_name
    method.__doc__ = f"Saleor's ``{hook_name}``: vote for a {event.value} job."
    return method


class IntegrationPlugin(BasePlugin):
    integration: ClassVar[type[Integration]]

    CONFIGURATION_PER_CHANNEL = True
    DEFAULT_ACTIVE = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        integration = cls.__dict__.get("integration")
        if integration is None:
            return
        settings_class = integration.settings_class
        cls.PLUGIN_ID = integration.id
        cls.PLUGIN_NAME = integration.name
        cls.PLUGIN_DESCRIPTION = integration.description
        cls.DEFAULT_CONFIGURATION = [
            *settings_class.default_configuration(),
            {"name": STATUS_FIELD, "value": ""},
        ]
        cls.CONFIG_STRUCTURE = {
            **settings_class.config_structure(),
            STATUS_FIELD: {
                "type": ConfigurationTypeField.OUTPUT,
                "label": "Sync status",
                "help_text": "Last success, jobs waiting or dead, and whether the "
                "circuit is open because the provider refused the credentials.",
            },
        }

    def _wants(self, event: Any) -> bool:
        """Whether this channel's settings need jobs for an optional event (parsed once per
        configuration content; an unparsable one votes, and its job says what is wrong)."""
        if event not in self.integration.optional_events:
            return True
        items = [i for i in self.configuration if i.get("name") != STATUS_FIELD]
        try:
            settings = self.integration.settings_class.from_configuration(items, active=True)
        except SettingsErrors:
            return True
        return self.integration.wants(event, settings)

    # -- configuration ------------------------------------------------------------------
    @classmethod
    def validate_plugin_configuration(cls, plugin_configuration: Any, **kwargs: Any) -> None:
        items = [i for i in plugin_configuration.configuration if i.get("name") != STATUS_FIELD]
        try:
            settings = cls.integration.settings_class.from_configuration(
                items, active=plugin_configuration.active
            )
        except SettingsErrors as e:
            raise _field_errors(e.errors) from None
        channel = getattr(plugin_configuration, "channel", None)
        checks = cls.integration.check_settings is not Integration.check_settings
        if checks and plugin_configuration.active and channel is not None:
            # one bounded call (e.g. the provider refusing the key), never a sync
            installation = cls.integration(settings, channel=channel.slug, host=get_host())
            problems = installation.check_settings(timeout=CHECK_TIMEOUT)
            if problems:
                raise _field_errors(problems)

    @classmethod
    def pre_save_plugin_configuration(cls, plugin_configuration: Any) -> None:
        channel = getattr(plugin_configuration, "channel", None)
        if channel is not None:
            # new credentials deserve an immediate try, not the rest of the backoff
            circuit.close_circuit(cls.PLUGIN_ID, channel.slug)

    def resolve_plugin_configuration(self, request: Any) -> Any:
        if self.channel is None:
            return self.configuration
        # GraphQL queries may only read from Saleor's replica connection
        replica = getattr(settings, "DATABASE_CONNECTION_REPLICA_NAME", "default")
        text = status.summary(self.PLUGIN_ID, self.channel.slug, using=replica)
        for item in self.configuration:
            if item.get("name") == STATUS_FIELD:
                item["value"] = text
        return self.configuration

    # -- inbound HTTP -------------------------------------------------------------------
    def webhook(self, request: Any, path: str, previous_value: Any) -> HttpResponse:
        if not self.active or self.channel is None:
            return HttpResponseNotFound()
        receiver = getattr(self.integration, "webhook_receiver", None)
        if receiver is None:
            return HttpResponseNotFound()
        with writer_scope():  # the event and its job are written before we answer
            code, body = webhooks.receive(
                receiver,
                integration=self.PLUGIN_ID,
                channel=self.channel.slug,
                settings_class=self.integration.settings_class,
                configuration=self.configuration,
                path=path,
                body=request.body,
                headers={k.lower(): v for k, v in request.headers.items()},
            )
        return HttpResponse(body, status=code, content_type="application/json")


for _hook in hooks.CHANNEL_HOOKS:
    setattr(IntegrationPlugin, _hook, _vote_hook(_hook))
