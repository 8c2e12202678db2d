"""Each mapping rule on its own (pure functions, no server)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.mailchimp import mapping
from saleor_plugins.mailchimp.settings import MailchimpSettings

from .conftest import CHANNEL, config, customer, m, order, product, voucher

CFG = MailchimpSettings.parse(config())
KEY = "marketing_consent"


@pytest.mark.parametrize(
    ("on_customer", "on_order", "expected"),
    [
        (None, None, None),
        (None, "true", True),
        ("yes", None, True),
        ("false", "true", False),  # a refusal on the customer wins
        ("true", "no", True),
        (None, "false", False),
        (None, "maybe", None),
    ],
)
def test_consent_rule(on_customer: str | None, on_order: str | None, expected: bool | None) -> None:
    buyer = customer(consent=on_customer)
    meta = {KEY: on_order} if on_order is not None else {}
    assert mapping.consent(KEY, CHANNEL, buyer, meta) is expected


def test_a_refusal_for_one_channel_counts_there_only() -> None:
    buyer = replace(customer(consent="true"), metadata={KEY: "true", f"{KEY}.{CHANNEL}": "false"})
    assert mapping.consent(KEY, CHANNEL, buyer, {KEY: "true"}) is False
    assert mapping.consent(KEY, "other-channel", buyer) is True


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("PT_BR",), "pt"),
        (("FR_CA",), "fr_CA"),
        (("", "de"), "de"),
        (("", ""), "en"),
        (("es-ES",), "es_ES"),
    ],
)
def test_language_is_mailchimps_code_of_the_first_known(
    codes: tuple[str, ...], expected: str
) -> None:
    assert mapping.language(*codes) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "pending"),
        ({"charge_status": "full"}, "paid"),
        ({"charge_status": "overcharged"}, "paid"),
        ({"status": "canceled", "charge_status": "full"}, "cancelled"),
        ({"charge_status": "full", "total_refunded": m("24")}, "refunded"),
        ({"charge_status": "full", "total_refunded": m("5")}, "partially_refunded"),
    ],
)
def test_financial_status(changes: dict[str, object], expected: str) -> None:
    assert mapping.financial_status(replace(order(), **changes)) == expected  # type: ignore[arg-type]


def test_new_members_are_pending_with_double_opt_in_and_never_get_a_status() -> None:
    body = mapping.member(CFG, "a@example.com", customer(), None, "en")
    assert body["status_if_new"] == "pending"
    assert "status" not in body


def test_an_incomplete_address_is_left_out_of_the_merge_fields() -> None:
    partial = s.Address(street_1="1 Main St", city="Lyon")  # no postal code
    fields = mapping.merge_fields(CFG, customer(), partial, "fr")
    assert "ADDRESS" not in fields and fields["FNAME"] == "Ann"


def test_merge_field_mapping_is_the_merchants() -> None:
    cfg = MailchimpSettings.parse(config(merge_fields="GIVEN=first_name, LANG=language"))
    assert mapping.merge_fields(cfg, customer(), None, "de") == {"GIVEN": "Ann", "LANG": "de"}


def test_an_unknown_merge_source_is_refused_with_the_field_named() -> None:
    with pytest.raises(SettingsErrors) as err:
        MailchimpSettings.parse(config(merge_fields="FNAME=shoe_size"))
    assert list(err.value.errors) == ["merge_fields"]


def test_an_api_key_without_data_centre_is_refused() -> None:
    with pytest.raises(SettingsErrors) as err:
        MailchimpSettings.parse(config(api_key="0123456789abcdef"))
    assert list(err.value.errors) == ["api_key"]


def test_ecommerce_customers_never_opt_in_and_share_the_subscriber_hash() -> None:
    body = mapping.ecommerce_customer("Ann@Example.com", customer())
    assert body["opt_in_status"] is False
    assert body["id"] == mapping.customer_id("ann@example.com")


def test_a_product_without_variants_stands_for_itself() -> None:
    body = mapping.product(CFG, replace(product(), variants=()), "default-channel")
    assert body["variants"] == [{"id": "p1", "title": "Mug p1", "visibility": "visible"}]


def test_a_variant_not_priced_in_the_channel_is_hidden() -> None:
    body = mapping.product(CFG, product(), "other-channel")
    assert body["variants"][0]["visibility"] == "hidden"


def test_percentage_vouchers_are_fractions_and_fixed_ones_amounts() -> None:
    assert mapping.promo_rule(voucher())["amount"] == 0.1
    fixed = mapping.promo_rule(voucher(discount_type="fixed", value=Decimal("5")))
    assert (fixed["type"], fixed["amount"]) == ("fixed", 5.0)


def test_promo_code_ids_keep_case_apart_and_fit_in_a_url() -> None:
    upper, lower = mapping.promo_code_id("SUMMER10"), mapping.promo_code_id("summer10")
    assert upper != lower
    assert mapping.promo_code_id("A/B?C").isalnum()


NOW = datetime(2026, 11, 1, tzinfo=UTC)
PAST, LATER = NOW - timedelta(days=30), NOW + timedelta(days=30)


@pytest.mark.parametrize(
    ("listing", "shown"),
    [
        (s.ChannelListing(CHANNEL, True, True, PAST), True),
        (s.ChannelListing(CHANNEL, False, True, PAST), False),  # unpublished
        (s.ChannelListing(CHANNEL, True, True, PAST, published_at=LATER), False),  # scheduled
        (s.ChannelListing(CHANNEL, True, True, PAST, published_at=PAST), True),
        (s.ChannelListing(CHANNEL, True, True, None), False),  # never available for purchase
        (s.ChannelListing(CHANNEL, True, True, LATER), False),  # not yet available
        (s.ChannelListing(CHANNEL, True, False, PAST), False),  # hidden from listings
    ],
)
def test_variants_are_visible_only_while_the_channel_listing_is_published_and_on_sale(
    listing: s.ChannelListing, shown: bool
) -> None:
    body = mapping.product(CFG, replace(product(variants=2), listings=(listing,)), CHANNEL, now=NOW)
    assert {v["visibility"] for v in body["variants"]} == {"visible" if shown else "hidden"}
    assert ("published_at_foreign" in body) is (shown and listing.published_at is not None)


def test_the_vendor_is_the_mapped_brand_never_the_category() -> None:
    branded = replace(
        product(),
        attributes=(s.Attribute("maker", "Maker", ("",)), s.Attribute("brand", "Brand", ("Acme",))),
    )
    cfg = MailchimpSettings.parse(config(brand_attributes="maker, brand"))
    assert mapping.product(cfg, branded, CHANNEL)["vendor"] == "Acme"
    on_variant = replace(
        product(),
        variants=tuple(
            replace(v, attributes=(s.Attribute("brand", "Brand", ("Zeta",)),))
            for v in product().variants
        ),
    )
    assert mapping.product(cfg, on_variant, CHANNEL)["vendor"] == "Zeta"
    assert mapping.product(CFG, branded, CHANNEL)["vendor"] == ""  # no brand mapped
    assert mapping.product(cfg, product(), CHANNEL)["vendor"] == ""  # "kitchen" is a category


@pytest.mark.parametrize("secret", ["short-secret", "x" * 23, "a/b" * 10, "x" * 129])
def test_a_weak_webhook_secret_is_refused_with_the_field_named(secret: str) -> None:
    with pytest.raises(SettingsErrors) as err:
        MailchimpSettings.parse(config(webhook_secret=secret))
    assert list(err.value.errors) == ["webhook_secret"]
    assert secret not in str(err.value)
