"""Helpers for testing against saleor_plugins: provider stand-ins and store fixtures."""
