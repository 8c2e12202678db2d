"""A per-channel Saleor plugin around the sandbox integration, for the Saleor tests."""

from saleor_plugins.adapter.plugin import IntegrationPlugin
from saleor_plugins.demo.connector import SandboxIntegration


class SandboxPlugin(IntegrationPlugin):
    integration = SandboxIntegration
