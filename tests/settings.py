"""Test settings: the test kit's (the demo's, with this run's own test database and Redis)."""

from saleor_plugins.testing.settings import *  # noqa: F403
