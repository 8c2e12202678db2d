"""Per-channel Saleor plugins around sandbox integrations, for the Saleor tests."""

from saleor_plugins.adapter.plugin import IntegrationPlugin
from saleor_plugins.core.hookspecs import hookimpl
from saleor_plugins.core.integration import Integration
from saleor_plugins.demo.connector import SandboxIntegration


class SecondSandboxIntegration(SandboxIntegration):
    id = "saleor_plugins.sandbox_two"
    name = "Second sandbox provider"


class SandboxPlugin(IntegrationPlugin):
    integration = SandboxIntegration


class SecondSandboxPlugin(IntegrationPlugin):
    integration = SecondSandboxIntegration


@hookimpl
def saleor_plugins_integrations() -> list[type[Integration]]:
    return [SecondSandboxIntegration]
