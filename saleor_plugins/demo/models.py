"""The demo store's tables: the few columns a Saleor order, product and customer have
that integrations read, plus per-channel plugin configurations like Saleor's."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class DemoInstallation(models.Model):
    """Saleor's ``PluginConfiguration`` for the demo: one row per (integration, channel)."""

    integration = models.CharField(max_length=100)
    channel = models.CharField(max_length=100)
    active = models.BooleanField(default=False)
    configuration = models.JSONField(default=list)
    active_since = models.DateTimeField(null=True, blank=True)  # when it last became active

    class Meta:
        unique_together = [("integration", "channel")]


class DemoCustomer(models.Model):
    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10, blank=True)
    marketing_consent = models.BooleanField(null=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)


class DemoProduct(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    channels = models.JSONField(default=list)  # channel slugs it is listed in
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)


class DemoVariant(models.Model):
    product = models.ForeignKey(DemoProduct, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=3)
    currency = models.CharField(max_length=3, default="USD")
    quantity = models.IntegerField(default=0)


class DemoOrder(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    channel = models.CharField(max_length=100)
    email = models.EmailField()
    customer = models.ForeignKey(DemoCustomer, null=True, on_delete=models.SET_NULL)
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=12, decimal_places=3)
    status = models.CharField(max_length=32, default="unfulfilled")
    charge_status = models.CharField(max_length=32, default="none")
    lines = models.JSONField(default=list)  # [{"sku", "name", "quantity", "unit_price"}]
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
