"""Routing and reconciliation inside a real Saleor: where product events go (the kernel's
ledger, not the pruned jobs), and what switching a plugin on does (not send the past)."""

from __future__ import annotations

import graphene
import pytest
from saleor.graphql.tests.utils import get_graphql_content

from saleor_plugins.core.models import Job
from tests.saleor.test_core import KEY, PRODUCT_UPDATE, SANDBOX_ID, _activate, _update

pytestmark = pytest.mark.saleor


@pytest.fixture
def staff(staff_api_client, permission_manage_plugins):  # type: ignore[no-untyped-def]
    staff_api_client.user.user_permissions.add(permission_manage_plugins)
    return staff_api_client


LISTING_UPDATE = """
mutation($id: ID!, $input: ProductChannelListingUpdateInput!) {
  productChannelListingUpdate(id: $id, input: $input) { errors { field message } }
}
"""


def test_a_product_unlisted_long_after_its_last_sync_is_routed_where_it_is_held(
    staff_api_client, permission_manage_products, product, channel_USD, channel_PLN
):  # type: ignore[no-untyped-def]
    from saleor_plugins.core import ledger

    _activate(channel_USD)
    _activate(channel_PLN)
    # the sandbox wrote the product in USD a month ago (and records that it holds it);
    # the succeeded job has been pruned since
    ledger.hold(SANDBOX_ID, channel_USD.slug, "product", [str(product.pk)])
    assert not Job.objects.exists()
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variables = {
        "id": graphene.Node.to_global_id("Product", product.pk),
        "input": {"removeChannels": [graphene.Node.to_global_id("Channel", channel_USD.pk)]},
    }
    content = get_graphql_content(staff_api_client.post_graphql(LISTING_UPDATE, variables))
    assert content["data"]["productChannelListingUpdate"]["errors"] == []
    jobs = Job.objects.filter(object_type="product", object_id=str(product.pk))
    assert [(j.integration, j.channel) for j in jobs] == [(SANDBOX_ID, channel_USD.slug)]

    Job.objects.all().delete()
    ledger.release(SANDBOX_ID, channel_USD.slug, "product", [str(product.pk)])  # deleted
    rename = {"id": variables["id"], "input": {"name": "Gone"}}
    get_graphql_content(staff_api_client.post_graphql(PRODUCT_UPDATE, rename))
    assert not Job.objects.exists()  # listed nowhere, held nowhere: nobody to tell


def test_a_product_unlisted_while_its_first_job_is_unfinished_is_routed_there_too(
    staff_api_client, permission_manage_products, product, channel_USD
):  # type: ignore[no-untyped-def]
    from saleor_plugins.core import delivery, outbox
    from saleor_plugins.core.events import EventType

    _activate(channel_USD)
    target = [(SANDBOX_ID, channel_USD.slug)]
    (first,) = outbox.emit(EventType.PRODUCT_UPSERTED, str(product.pk), target)
    assert delivery.claim(first) is not None  # sending it now; the ledger cannot say yet
    staff_api_client.user.user_permissions.add(permission_manage_products)
    variables = {
        "id": graphene.Node.to_global_id("Product", product.pk),
        "input": {"removeChannels": [graphene.Node.to_global_id("Channel", channel_USD.pk)]},
    }
    get_graphql_content(staff_api_client.post_graphql(LISTING_UPDATE, variables))
    pending = Job.objects.filter(status="pending", object_id=str(product.pk))
    assert [(j.integration, j.channel) for j in pending] == [(SANDBOX_ID, channel_USD.slug)]


def test_switching_the_plugin_on_does_not_send_the_orders_placed_while_it_was_off(
    staff, order_list, channel_USD
):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone
    from saleor.order.models import Order

    from saleor_plugins.core import maintenance

    assert _update(staff, channel_USD, False, endpoint="https://sandbox.example")["errors"] == []
    assert not Job.objects.exists()  # placed while off: no hook emitted anything
    result = _update(staff, channel_USD, True, endpoint="https://sandbox.example", api_key=KEY)
    assert result["errors"] == []

    assert maintenance.reconcile(settle=timedelta(0)) == 0
    assert not Job.objects.exists()

    # an order placed after the switch whose order_created emit was lost
    after = order_list[1]
    Order.objects.filter(pk=after.pk).update(created_at=timezone.now())
    assert maintenance.reconcile(settle=timedelta(0)) == 1
    assert list(Job.objects.values_list("object_id", "channel")) == [
        (str(after.pk), channel_USD.slug)
    ]


def test_the_host_knows_since_when_a_configuration_is_active(staff, channel_USD):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from saleor_plugins.core.host import get_host

    def since():  # type: ignore[no-untyped-def]
        (found,) = [
            i for i in get_host().installations(SANDBOX_ID) if i.channel == channel_USD.slug
        ]
        return found.active_since

    before = timezone.now()
    _update(staff, channel_USD, True, endpoint="https://sandbox.example", api_key=KEY)
    first = since()
    assert first is not None and first >= before
    _update(staff, channel_USD, True, endpoint="https://other.example", api_key=KEY)
    assert since() == first  # saved again while active: still the same activation
    _update(staff, channel_USD, False, endpoint="https://other.example", api_key=KEY)
    assert since() is None
    _update(staff, channel_USD, True, endpoint="https://other.example", api_key=KEY)
    assert since() > first
