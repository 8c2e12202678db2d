"""The demo's Celery app (in a Saleor, Saleor's own app runs the same tasks)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_plugins.demo.settings")

app = Celery("saleor_plugins_demo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["saleor_plugins.core"])
