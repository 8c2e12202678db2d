"""Our record of the intent that pays each checkout and amount (see :class:`.models.Intent`).

Written inside the caller's transaction (Saleor's, around ``process_payment``): the row
commits with the failed or successful transaction Saleor records for the same call.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Intent


def scope(checkout_token: str, payment_id: int | str) -> str:
    return f"checkout:{checkout_token}" if checkout_token else f"payment:{payment_id}"


def find(scope: str, amount: int, currency: str) -> Intent | None:
    return Intent.objects.filter(scope=scope, amount=amount, currency=currency.upper()).first()


def remember(
    scope: str,
    amount: int,
    currency: str,
    *,
    intent_id: str,
    channel: str,
    payment_id: str,
    generation: int,
) -> None:
    """Record (or replace) the scope's intent for this amount."""
    values: dict[str, Any] = {
        "intent_id": intent_id,
        "channel": channel,
        "payment_id": payment_id,
        "generation": generation,
        "updated_at": timezone.now(),
    }
    rows = Intent.objects.filter(scope=scope, amount=amount, currency=currency.upper())
    if rows.update(**values):
        return
    try:
        with transaction.atomic():
            Intent.objects.create(scope=scope, amount=amount, currency=currency.upper(), **values)
    except IntegrityError:  # created concurrently: the row now exists
        rows.update(**values)


def served(intent_id: str, payment_id: str) -> None:
    """The intent now serves another Saleor payment of the same checkout."""
    Intent.objects.filter(intent_id=intent_id).update(
        payment_id=payment_id, updated_at=timezone.now()
    )


def channel_of(intent_id: str) -> str | None:
    return Intent.objects.filter(intent_id=intent_id).values_list("channel", flat=True).first()
