"""The Saleor plugin, and the one place that writes consent back into Saleor."""

from __future__ import annotations

from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from saleor.account.models import User
from saleor.channel.models import Channel
from saleor.checkout.models import CheckoutMetadata

from ..adapter.plugin import IntegrationPlugin
from . import channels, consent
from .connector import MailchimpIntegration

#: written next to the consent key, so a merchant sees why consent was cleared
REASON_SUFFIX = "_cleared_by"


def write_revocation(revocation: consent.Revocation) -> int:
    """Set the consent key to "false" on every customer and open checkout with the address.

    Saves with ``update_fields`` only: no Saleor hook fires, so nothing syncs back."""
    values = {
        revocation.metadata_key: "false",
        revocation.metadata_key + REASON_SUFFIX: (
            f"mailchimp {revocation.reason} {revocation.detail} "
            f"{timezone.now():%Y-%m-%dT%H:%MZ}".replace("  ", " ")
        ),
    }
    changed = 0
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(email__iexact=revocation.email):
            user.store_value_in_metadata(values)
            user.save(update_fields=["metadata", "updated_at"])
            changed += 1
        storages = CheckoutMetadata.objects.select_for_update().filter(
            checkout__email__iexact=revocation.email
        )
        for storage in storages:
            storage.store_value_in_metadata(values)
            storage.save(update_fields=["metadata"])
            changed += 1
    return changed


def read_channel(slug: str) -> channels.ChannelInfo | None:
    channel = Channel.objects.filter(slug=slug).values_list("name", "currency_code").first()
    if channel is None:
        return None
    site = Site.objects.get_current()
    return channels.ChannelInfo(name=channel[0], currency_code=channel[1], domain=site.domain)


consent.register_writer(write_revocation)
channels.register_reader(read_channel)


class MailchimpPlugin(IntegrationPlugin):
    integration = MailchimpIntegration
