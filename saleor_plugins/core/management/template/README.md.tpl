# ${display}

A Saleor 3.24 connector on the saleor-plugins kernel: paid orders and customers go to the
provider from Saleor's Celery worker, once each, retried with backoff, per channel.

Integration id (the Saleor plugin id): `${integration_id}`.

## Tests

With saleor-plugins and this package installed (`pip install -e ".[test]"`), PostgreSQL on
127.0.0.1:5432 and `redis-server` on `PATH`:

    pytest

## Installing into Saleor

Into Saleor's environment, keeping its versions, then restart the API and the worker:

    pip freeze --exclude-editable > /tmp/saleor-pins.txt
    pip install --constraint /tmp/saleor-pins.txt .
    python manage.py migrate

Then enable "${display}" per channel (Configuration → Plugins).
