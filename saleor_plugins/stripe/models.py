"""The PaymentIntents this plugin created, one per checkout and amount."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Intent(models.Model):
    """The intent that pays a checkout (or a payment without one) for an amount.

    Written when Stripe answers the create call, *before* the call that moves money
    (confirm): so a confirm whose answer never came back (timeout, lost connection) still
    leaves the intent's id here, and a retry of the checkout, with another card or
    another Saleor payment, finds this intent and reuses it instead of charging again.
    """

    # declared so type checkers know them where the app is not in the checked settings
    id = models.BigAutoField(primary_key=True)
    objects: models.Manager[Intent] = models.Manager()

    #: ``checkout:<token>``, or ``payment:<pk>`` for a payment that has no checkout
    scope = models.CharField(max_length=255)
    amount = models.BigIntegerField()  # Stripe's minor units
    currency = models.CharField(max_length=3)
    intent_id = models.CharField(max_length=255)
    channel = models.CharField(max_length=255)
    payment_id = models.CharField(max_length=255)  # the Saleor payment it serves now
    #: intents created for this scope and amount so far (a canceled or refunded one is
    #: replaced: the next creation needs another idempotency key)
    generation = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "saleor_plugins_stripe_intent"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "currency", "amount"], name="saleor_plugins_stripe_intent_once"
            )
        ]
        indexes = [models.Index(fields=["intent_id"], name="saleor_plugins_st_intent_id")]

    def __str__(self) -> str:
        return f"{self.scope} {self.amount} {self.currency}: {self.intent_id}"
