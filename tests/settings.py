"""Test settings: the demo's, with the test database and broker kept apart."""

from saleor_plugins.demo.settings import *  # noqa: F403

CELERY_BROKER_URL = "redis://127.0.0.1:6379/13"
SALEOR_PLUGINS_REDIS_URL = "redis://127.0.0.1:6379/13"
SALEOR_PLUGINS_COALESCE_SECONDS = 0.0
