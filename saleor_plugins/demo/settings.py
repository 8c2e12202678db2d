"""Django settings for the demo and the test suite: the kernel without a Saleor.

PostgreSQL and Redis as Saleor uses them; every value can be overridden from the
environment (``DATABASE_URL``-style pieces, ``CELERY_BROKER_URL``).
"""

from __future__ import annotations

import json
import os
from importlib.metadata import entry_points

SECRET_KEY = os.environ.get("SECRET_KEY", "demo-not-secret")
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "saleor_plugins.core",
    "saleor_plugins.demo",
]
# As Saleor does: every plugin registered under the "saleor.plugins" entry-point group is a
# Django app, ours and third parties' alike, so a connector package's models are migrated
# here as they are in Saleor.
INSTALLED_APPS += list(
    dict.fromkeys(
        ep.name for ep in entry_points(group="saleor.plugins") if ep.name not in INSTALLED_APPS
    )
)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PGDATABASE", "saleor_plugins_demo"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": os.environ.get("PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("PGPORT", "5432"),
        "PASSWORD": os.environ.get("PGPASSWORD", ""),
        "TEST": {"NAME": os.environ.get("PGTESTDATABASE", "test_saleor_plugins")},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
CELERY_TASK_ALWAYS_EAGER = False
if os.environ.get("DEMO_CELERY_QUEUE"):
    # the demo gives each run its own queue (several demos may share one Redis); set only
    # then: a value here would win over a test's ``app.conf.task_default_queue``
    CELERY_TASK_DEFAULT_QUEUE = os.environ["DEMO_CELERY_QUEUE"]
SALEOR_PLUGINS_HOST = "saleor_plugins.demo.host.DemoHost"
SALEOR_PLUGINS_HOOK_MODULES = ["saleor_plugins.demo.connector"]
SALEOR_PLUGINS_REDIS_URL = os.environ.get("SALEOR_PLUGINS_REDIS_URL", "redis://127.0.0.1:6379/14")
# `./run demo` points the connectors at its provider stand-ins (demo/providers.py)
_PROVIDERS = json.loads(os.environ.get("SALEOR_PLUGINS_DEMO_PROVIDERS") or "{}")
globals().update({k: v for k, v in _PROVIDERS.items() if k.startswith("SALEOR_PLUGINS_")})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"saleor_plugins": {"handlers": ["console"], "level": "WARNING"}},
}
