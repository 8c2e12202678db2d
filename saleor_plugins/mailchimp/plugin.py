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
    """Record the refusal for the revocation's channel only: under the channel's consent
    key on every customer with the address (a customer is shared by all channels), and
    under the consent key on the channel's open checkouts with it.

    Saves with ``update_fields`` only: no Saleor hook fires, so nothing syncs back."""
    reason = (
        f"mailchimp {revocation.reason} {revocation.detail} "
        f"{timezone.now():%Y-%m-%dT%H:%MZ}".replace("  ", " ")
    )
    scoped = consent.channel_key(revocation.metadata_key, revocation.channel)
    on_customer = {scoped: "false", scoped + REASON_SUFFIX: reason}
    key = revocation.metadata_key
    on_checkout = {key: "false", key + REASON_SUFFIX: reason}
    changed = 0
    with transaction.atomic():
        for user in User.objects.select_for_update().filter(email__iexact=revocation.email):
            user.store_value_in_metadata(on_customer)
            user.save(update_fields=["metadata", "updated_at"])
            changed += 1
        storages = CheckoutMetadata.objects.select_for_update().filter(
            checkout__email__iexact=revocation.email, checkout__channel__slug=revocation.channel
        )
        for storage in storages:
            storage.store_value_in_metadata(on_checkout)
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
