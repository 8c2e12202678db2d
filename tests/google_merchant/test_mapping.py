"""One test per mapping rule: snapshots -> Merchant Center offers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from saleor_plugins.core import snapshots as s
from saleor_plugins.google_merchant import mapping as m

from .conftest import CHANNEL, NOW, plain_settings, product, variant


def offers(p: s.Product, **settings: object) -> list[m.Offer]:
    return m.map_product(p, plain_settings(**settings), CHANNEL, NOW).items


def test_price_in_the_channel() -> None:
    offer = offers(product())[0]
    assert offer.price == s.Money(Decimal("19.99"), "USD") and offer.sale_price is None


def test_discounted_price_becomes_sale_price_with_its_dates() -> None:
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=6)
    price = s.ChannelPrice(
        CHANNEL,
        s.Money(Decimal("20"), "USD"),
        discounted_price=s.Money(Decimal("15"), "USD"),
        sale_starts=start,
        sale_ends=end,
    )
    offer = offers(product(variants=(variant(prices=(price,)),)))[0]
    assert offer.sale_price == s.Money(Decimal("15"), "USD")
    assert (offer.sale_starts, offer.sale_ends) == (start, end)
    attrs = m.product_attributes(offer)
    assert attrs["salePrice"] == {"amountMicros": "15000000", "currencyCode": "USD"}
    assert attrs["salePriceEffectiveDate"]["endTime"].endswith("Z")


def test_price_micros_are_exact() -> None:
    assert m.micros(s.Money(Decimal("0.1"), "EUR")) == {
        "amountMicros": "100000",
        "currencyCode": "EUR",
    }


def test_preorder_end_date_becomes_the_availability_date() -> None:
    end = NOW + timedelta(days=30)
    p = product(variants=(variant(preorder=True, preorder_end_date=end),))
    offer = offers(p)[0]
    assert offer.availability_date == end
    assert m.product_attributes(offer)["availabilityDate"].startswith("2026-12-27")


def test_weight_of_the_variant_or_else_the_product() -> None:
    assert offers(product(weight_grams=Decimal(500)))[0].shipping_weight_grams == 500
    p = product(weight_grams=Decimal(500), variants=(variant(weight_grams=Decimal(250)),))
    offer = offers(p)[0]
    assert m.product_attributes(offer)["shippingWeight"] == {"value": 250.0, "unit": "g"}


def test_gender_and_age_group_accept_only_google_values() -> None:
    p = product(attributes=(s.Attribute("g", "G", ("Women",)), s.Attribute("a", "A", ("Teens",))))
    offer = offers(p, gender_attribute="g", age_group_attribute="a")[0]
    assert offer.gender == "female" and offer.age_group == ""
    assert m.product_attributes(offer)["gender"] == "FEMALE"
    assert "ageGroup" not in m.product_attributes(offer)


def test_gtin_and_mpn_set_identifier_exists() -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("4006381333931",)),))
    offer = offers(p, gtin_attribute="gtin")[0]
    assert offer.gtins == ("4006381333931",) and offer.identifier_exists is True
    p = product(attributes=(s.Attribute("mpn", "MPN", ("AB-1",)),))
    assert offers(p, mpn_attribute="mpn")[0].identifier_exists is True


def test_a_gtin_with_a_wrong_check_digit_is_dropped_counted_and_not_an_identifier() -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("4006381333932",)),))
    result = m.map_product(p, plain_settings(gtin_attribute="gtin"), CHANNEL, NOW)
    offer = result.items[0]
    assert offer.gtins == () and offer.identifier_exists is False
    assert "gtins" not in m.product_attributes(offer)
    assert result.notes["gtin_invalid"] == 1
    assert m.report({}, result.notes) == "1 GTIN values dropped (wrong length or check digit)"


def test_an_mpn_keeps_identifier_exists_when_the_gtin_is_invalid() -> None:
    attrs = (s.Attribute("gtin", "GTIN", ("4006381333932",)), s.Attribute("mpn", "MPN", ("AB-1",)))
    offer = offers(product(attributes=attrs), gtin_attribute="gtin", mpn_attribute="mpn")[0]
    assert offer.gtins == () and offer.identifier_exists is True


def test_no_gtin_nor_mpn_sets_identifier_exists_false() -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("n/a",)),))
    offer = offers(p, gtin_attribute="gtin")[0]
    assert offer.gtins == () and offer.identifier_exists is False
    assert m.product_attributes(offer)["identifierExists"] is False


def test_category_mapping_uses_the_deepest_mapped_category() -> None:
    mapping = "apparel = 166\nshirts = Apparel & Accessories > Clothing > Shirts & Tops"
    offer = offers(product(), category_mapping=mapping)[0]
    assert offer.google_product_category == "Apparel & Accessories > Clothing > Shirts & Tops"
    assert (
        offers(product(category_path=("apparel",), category="apparel"), category_mapping=mapping)[
            0
        ].google_product_category
        == "166"
    )
    assert offer.product_type == "apparel > shirts"


def test_a_deeper_category_name_beats_a_shallower_slug() -> None:
    p = product(category_slugs=("apparel-slug", "shirts-slug"))
    offer = offers(p, category_mapping="apparel-slug = 166\nshirts = 212")[0]
    assert offer.google_product_category == "212"


def test_condition_from_settings() -> None:
    offer = offers(product(), condition="refurbished")[0]
    assert m.product_attributes(offer)["condition"] == "REFURBISHED"


def test_product_input_carries_language_label_and_offer() -> None:
    settings = plain_settings(content_language="DE", feed_label="de")
    body = m.to_product_input(offers(product())[0], settings)
    assert (body["offerId"], body["contentLanguage"], body["feedLabel"]) == ("v1", "de", "DE")


def test_product_input_name_is_unpadded_base64url() -> None:
    name = m.product_input_name("1", plain_settings(), "a/b~c")
    assert (
        name.startswith("accounts/1/productInputs/") and "=" not in name and "/b" not in name[25:]
    )
