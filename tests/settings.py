"""Test settings: the demo's, with this run's own test database and Redis (tests/services.py)."""

from saleor_plugins.demo.settings import *  # noqa: F403
from saleor_plugins.demo.settings import DATABASES
from tests.services import redis_url, test_database

DATABASES["default"]["TEST"] = {"NAME": test_database()}
CELERY_BROKER_URL = redis_url(13)
SALEOR_PLUGINS_REDIS_URL = redis_url(13)
SALEOR_PLUGINS_COALESCE_SECONDS = 0.0
