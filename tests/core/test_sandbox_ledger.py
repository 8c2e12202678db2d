"""The sandbox records in the kernel's ledger what its provider holds (routing reads it)."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_plugins.core import delivery, ledger, outbox
from saleor_plugins.core.events import EventType
from saleor_plugins.core.models import Job
from saleor_plugins.demo import store
from saleor_plugins.demo.sandbox import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)

CHANNEL = "default-channel"
SANDBOX = "saleor_plugins.sandbox"


def test_a_product_is_held_once_written_and_released_once_removed(
    sandbox_installed: Sandbox, broker: Any
) -> None:
    product = store.upsert_product("Mug", [CHANNEL], [])
    assert delivery.deliver(Job.objects.get().id).outcome == "succeeded"
    assert ledger.holders("product", str(product.pk)) == {(SANDBOX, CHANNEL)}

    store.upsert_product("Mug", [], [], product=product)  # unlisted from the channel
    (job,) = outbox.emit(EventType.PRODUCT_UPSERTED, str(product.pk), [(SANDBOX, CHANNEL)])
    assert delivery.deliver(job).outcome == "succeeded"
    assert f"/v1/{CHANNEL}/products/{product.pk}" not in sandbox_installed.state.objects
    assert ledger.holders("product", str(product.pk)) == set()
