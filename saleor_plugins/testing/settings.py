"""Django settings for a connector's test suite: the kernel on the demo store, no Saleor.

Point pytest-django at it (``DJANGO_SETTINGS_MODULE = "saleor_plugins.testing.settings"``)
or start your own settings with ``from saleor_plugins.testing.settings import *``. Every
``saleor.plugins`` entry point installed is a Django app here, as in Saleor, so your
package's app (and its models) is migrated into the test database.

What it needs on the machine: PostgreSQL (``PGHOST``, ``PGPORT``, ``PGUSER``,
``PGPASSWORD``; 127.0.0.1:5432 as ``postgres`` by default) and ``redis-server`` on
``PATH`` (each run starts a private one, :mod:`.services`). Each run gets a test database
of its own (``PGTESTDATABASE`` names it instead).
"""

from saleor_plugins.demo.settings import *  # noqa: F403
from saleor_plugins.demo.settings import DATABASES
from saleor_plugins.testing.services import database_name, redis_url

DATABASES["default"]["TEST"] = {"NAME": database_name()}
CELERY_BROKER_URL = redis_url(13)
SALEOR_PLUGINS_REDIS_URL = redis_url(13)
#: update jobs are delivered at once instead of waiting for later changes
SALEOR_PLUGINS_COALESCE_SECONDS = 0.0
