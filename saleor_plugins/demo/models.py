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
    checkout_token = models.CharField(max_length=64, blank=True)
    tracking_client_id = models.CharField(max_length=64, blank=True)
    # [{"id", "gateway", "psp_reference", "amount"}] and [{"id", "amount", "psp_reference",
    # "lines": [[line index, quantity]]}], as Saleor's payments and refunds
    payments = models.JSONField(default=list)
    refunds = models.JSONField(default=list)


class DemoCheckout(models.Model):
    token = models.UUIDField(primary_key=True, default=uuid.uuid4)
    channel = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    customer = models.ForeignKey(DemoCustomer, null=True, on_delete=models.SET_NULL)
    currency = models.CharField(max_length=3, default="USD")
    lines = models.JSONField(default=list)  # as DemoOrder.lines
    completed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
