"""The Saleor plugin (the only module importing Saleor): everything comes from the connector."""

from saleor_plugins.adapter.plugin import IntegrationPlugin

from .connector import ${Class}Integration


class ${Class}Plugin(IntegrationPlugin):
    integration = ${Class}Integration
