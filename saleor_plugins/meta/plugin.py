"""The Saleor plugin: settings, status and the bounded token check all come from the kernel."""

from __future__ import annotations

from ..adapter.plugin import IntegrationPlugin
from .connector import MetaIntegration


class MetaPlugin(IntegrationPlugin):
    integration = MetaIntegration
