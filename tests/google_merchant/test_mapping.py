"""One test per mapping rule: snapshots -> Merchant Center offers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from saleor_plugins.core import snapshots as s
from saleor_plugins.core.settings import SettingsErrors
from saleor_plugins.google_merchant import mapping as m

from .conftest import CHANNEL, NOW, PAST, plain_settings, product, variant


def offers(p: s.Product, **settings: object) -> list[m.Offer]:
    return m.map_product(p, plain_settings(**settings), CHANNEL, NOW).offers


def test_one_offer_per_variant_sharing_the_product_as_item_group() -> None:
    result = offers(product("p9", (variant("a"), variant("b"))))
    assert [o.offer_id for o in result] == ["a", "b"]
    assert {o.item_group_id for o in result} == {"p9"}


def test_title_adds_the_variant_name_only_when_there_are_several() -> None:
    assert offers(product())[0].title == "Cotton shirt"
    two = offers(product(variants=(variant("S"), variant("M"))))
    assert [o.title for o in two] == ["Cotton shirt - Size S", "Cotton shirt - Size M"]


def test_title_is_cut_to_150_characters_at_a_word() -> None:
    title = m.title_for(product(name="word " * 60), variant())
    assert len(title) <= 150 and title.endswith("…") and "wor…" not in title


def test_description_is_cut_to_5000_characters() -> None:
    assert len(offers(product(description="x " * 4000))[0].description) <= 5000


def test_rich_text_description_is_rendered_to_plain_text() -> None:
    doc = '{"blocks": [{"type": "paragraph", "data": {"text": "<b>Soft</b> &amp; warm"}}]}'
    assert offers(product(description=doc))[0].description == "Soft & warm"


def test_control_characters_xml_cannot_carry_are_removed() -> None:
    offer = offers(product(name="Tee\x0b shirt", description="Soft\x00 cotton"))[0]
    assert (offer.title, offer.description) == ("Tee shirt", "Soft cotton")


def test_empty_description_falls_back_to_the_name() -> None:
    assert offers(product(description=""))[0].description == "Cotton shirt"


def test_price_in_the_channel() -> None:
    offer = offers(product())[0]
    assert offer.price == s.Money(Decimal("19.99"), "USD") and offer.sale_price is None


def test_variant_without_a_price_in_the_channel_is_left_out_for_price() -> None:
    p = product(variants=(variant("a", prices=()), variant("b")))
    result = m.map_product(p, plain_settings(), CHANNEL, NOW)
    assert [o.offer_id for o in result.offers] == ["b"]
    assert result.skipped == [("a", "price")]


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


def test_an_ended_sale_or_no_real_discount_gives_no_sale_price() -> None:
    ended = s.ChannelPrice(
        CHANNEL,
        s.Money(Decimal("20"), "USD"),
        discounted_price=s.Money(Decimal("15"), "USD"),
        sale_ends=NOW - timedelta(hours=1),
    )
    same = s.ChannelPrice(
        CHANNEL, s.Money(Decimal("20"), "USD"), discounted_price=s.Money(Decimal("20"), "USD")
    )
    for price in (ended, same):
        assert offers(product(variants=(variant(prices=(price,)),)))[0].sale_price is None


def test_price_micros_are_exact() -> None:
    assert m.micros(s.Money(Decimal("0.1"), "EUR")) == {
        "amountMicros": "100000",
        "currencyCode": "EUR",
    }


def test_stock_gives_in_stock() -> None:
    assert (
        offers(product(variants=(variant(stocks=(s.Stock("w", 3, 2),)),)))[0].availability
        == "in_stock"
    )


def test_all_stock_allocated_gives_out_of_stock() -> None:
    p = product(variants=(variant(stocks=(s.Stock("w", 3, 3),)),))
    assert offers(p)[0].availability == "out_of_stock"


def test_untracked_inventory_is_always_in_stock() -> None:
    p = product(variants=(variant(stocks=(), track_inventory=False),))
    assert offers(p)[0].availability == "in_stock"


def test_merchant_may_list_empty_stock_as_backorder_or_leave_it_out() -> None:
    p = product(variants=(variant(stocks=()),))
    assert offers(p, out_of_stock="backorder")[0].availability == "backorder"
    result = m.map_product(p, plain_settings(out_of_stock="skip"), CHANNEL, NOW)
    assert result.offers == [] and result.skipped == [("v1", "availability")]


def test_preorder_variant_is_preorder() -> None:
    assert (
        offers(product(variants=(variant(preorder=True, stocks=()),)))[0].availability == "preorder"
    )


def test_preorder_end_date_becomes_the_availability_date() -> None:
    end = NOW + timedelta(days=30)
    p = product(variants=(variant(preorder=True, preorder_end_date=end),))
    offer = offers(p)[0]
    assert offer.availability_date == end
    assert m.product_attributes(offer)["availabilityDate"].startswith("2026-12-27")


def test_product_not_yet_available_is_left_out_unless_the_merchant_lists_it_as_preorder() -> None:
    later = NOW + timedelta(days=10)
    p = product(listings=(s.ChannelListing(CHANNEL, True, available_for_purchase_at=later),))
    assert offers(p) == []
    offer = offers(p, list_unavailable=True)[0]
    assert (offer.availability, offer.availability_date) == ("preorder", later)
    never = product(listings=(s.ChannelListing(CHANNEL, True, available_for_purchase_at=None),))
    assert offers(never, list_unavailable=True)[0].availability == "out_of_stock"


def test_unpublished_product_yields_no_offer() -> None:
    p = product(listings=(s.ChannelListing(CHANNEL, False, available_for_purchase_at=PAST),))
    result = m.map_product(p, plain_settings(), CHANNEL, NOW)
    assert result.offers == [] and result.skipped == [("v1", "listing")]


def test_all_images_variant_first_then_product_in_sort_order() -> None:
    p = product(
        media=(
            s.Media("https://i/p2.jpg", sort_order=2),
            s.Media("https://i/p1.jpg", sort_order=1),
        ),
        variants=(variant(media=(s.Media("https://i/v.jpg"),)),),
    )
    offer = offers(p)[0]
    assert offer.image_link == "https://i/v.jpg"
    assert offer.additional_image_links == ("https://i/p1.jpg", "https://i/p2.jpg")


def test_variant_without_any_image_is_left_out_for_image_link() -> None:
    result = m.map_product(product(media=()), plain_settings(), CHANNEL, NOW)
    assert result.skipped == [("v1", "image_link")]


def test_weight_of_the_variant_or_else_the_product() -> None:
    assert offers(product(weight_grams=Decimal(500)))[0].shipping_weight_grams == 500
    p = product(weight_grams=Decimal(500), variants=(variant(weight_grams=Decimal(250)),))
    offer = offers(p)[0]
    assert m.product_attributes(offer)["shippingWeight"] == {"value": 250.0, "unit": "g"}


def test_attributes_map_variant_before_product() -> None:
    p = product(
        attributes=(
            s.Attribute("color", "Colour", ("Blue",)),
            s.Attribute("brand", "B", ("Acme",)),
        ),
        variants=(
            variant(
                attributes=(
                    s.Attribute("color", "Colour", ("Red",)),
                    s.Attribute("size", "Size", ("XL",)),
                )
            ),
        ),
    )
    offer = offers(p, brand_attribute="brand", color_attribute="color", size_attribute="size")[0]
    assert (offer.brand, offer.color, offer.size) == ("Acme", "Red", "XL")


def test_each_attribute_setting_takes_a_list_of_slugs_first_listed_wins() -> None:
    """Product types with different size attributes: each gets its size."""
    shoe = product("shoe", (variant(attributes=(s.Attribute("shoe-size", "Size", ("42",)),)),))
    shirt = product("shirt", (variant(attributes=(s.Attribute("size", "Size", ("XL",)),)),))
    both = product("both", (variant(attributes=(s.Attribute("size", "Size", ("M",)),)),),
                   attributes=(s.Attribute("shoe-size", "Size", ("40",)),))  # fmt: skip
    settings = {"size_attribute": "shoe-size, size"}
    assert [offers(p, **settings)[0].size for p in (shoe, shirt, both)] == ["42", "XL", "40"]
    assert plain_settings(**settings).size_attribute == ("shoe-size", "size")


@pytest.mark.parametrize(
    ("setting", "field", "value"),
    [
        ("brand_attribute", "brand", "Acme"),
        ("color_attribute", "color", "Red"),
        ("size_attribute", "size", "XL"),
        ("material_attribute", "material", "Wool"),
        ("mpn_attribute", "mpn", "AB-1"),
        ("gtin_attribute", "gtins", ("4006381333931",)),
    ],
)
def test_every_attribute_setting_reads_the_second_slug_of_its_list(
    setting: str, field: str, value: object
) -> None:
    text = value[0] if isinstance(value, tuple) else value
    p = product(attributes=(s.Attribute("second", "X", (str(text),)),))
    assert getattr(offers(p, **{setting: "first,second"})[0], field) == value


def test_too_many_or_malformed_attribute_slugs_are_refused_naming_the_field() -> None:
    with pytest.raises(SettingsErrors) as refused:
        plain_settings(size_attribute=",".join(f"s{i}" for i in range(11)))
    assert "size_attribute" in refused.value.errors
    with pytest.raises(SettingsErrors) as refused:
        plain_settings(color_attribute="colour; drop table")
    assert "color_attribute" in refused.value.errors


def test_default_brand_when_the_attribute_is_empty() -> None:
    assert (
        offers(product(attributes=()), brand_attribute="brand", default_brand="House")[0].brand
        == "House"
    )


def test_gender_and_age_group_accept_only_google_values() -> None:
    p = product(attributes=(s.Attribute("g", "G", ("Women",)), s.Attribute("a", "A", ("Teens",))))
    offer = offers(p, gender_attribute="g", age_group_attribute="a")[0]
    assert offer.gender == "female" and offer.age_group == ""
    assert m.product_attributes(offer)["gender"] == "FEMALE"
    assert "ageGroup" not in m.product_attributes(offer)


def test_material_attribute() -> None:
    p = product(attributes=(s.Attribute("mat", "Material", ("Cotton",)),))
    assert offers(p, material_attribute="mat")[0].material == "Cotton"


def test_gtin_and_mpn_set_identifier_exists() -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("4006381333931",)),))
    offer = offers(p, gtin_attribute="gtin")[0]
    assert offer.gtins == ("4006381333931",) and offer.identifier_exists is True
    p = product(attributes=(s.Attribute("mpn", "MPN", ("AB-1",)),))
    assert offers(p, mpn_attribute="mpn")[0].identifier_exists is True


@pytest.mark.parametrize(
    "gtin", ["96385074", "036000291452", "4006381333931", "10012345678902", "0-36000-29145-2"]
)
def test_gtins_with_a_correct_gs1_check_digit_are_kept(gtin: str) -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", (gtin,)),))
    assert offers(p, gtin_attribute="gtin")[0].gtins == (gtin.replace("-", ""),)


def test_a_gtin_with_a_wrong_check_digit_is_dropped_counted_and_not_an_identifier() -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("4006381333932",)),))
    result = m.map_product(p, plain_settings(gtin_attribute="gtin"), CHANNEL, NOW)
    offer = result.offers[0]
    assert offer.gtins == () and offer.identifier_exists is False
    assert "gtins" not in m.product_attributes(offer)
    assert result.notes["gtin_invalid"] == 1
    assert m.report({}, result.notes) == "1 GTIN values dropped (wrong length or check digit)"


def test_of_several_gtins_only_the_invalid_ones_are_dropped() -> None:
    value = "4006381333931, 4006381333932; 12345"
    p = product(attributes=(s.Attribute("gtin", "GTIN", (value,)),))
    result = m.map_product(
        p, plain_settings(gtin_attribute="gtin", mpn_attribute="mpn"), CHANNEL, NOW
    )
    assert result.offers[0].gtins == ("4006381333931",)
    assert result.offers[0].identifier_exists is True
    assert result.notes["gtin_invalid"] == 2


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


def test_category_mapping_matches_a_slug_or_a_name_and_says_which() -> None:
    by_slug = product("a", category_slugs=("apparel", "shirts-tops"))
    by_name = product("b", category_slugs=("apparel", "tees"))
    neither = product("c", category="Hats", category_path=("Hats",), category_slugs=("hats",))
    mapping = "Shirts-Tops = 212\nshirts = 5"
    found = [offers(p, category_mapping=mapping)[0].google_product_category
             for p in (by_slug, by_name, neither)]  # fmt: skip
    assert found == ["212", "5", ""]
    notes = sum(
        (m.map_product(p, plain_settings(category_mapping=mapping), CHANNEL, NOW).notes
         for p in (by_slug, by_name, neither)),
        start=Counter[str](),
    )  # fmt: skip
    assert notes == {"category_slug": 1, "category_name": 1, "category_unmapped": 1}
    assert m.report({}, notes) == (
        "1 categories matched by slug, 1 categories matched by name, "
        "1 offers without a mapped category"
    )


def test_a_deeper_category_name_beats_a_shallower_slug() -> None:
    p = product(category_slugs=("apparel-slug", "shirts-slug"))
    offer = offers(p, category_mapping="apparel-slug = 166\nshirts = 212")[0]
    assert offer.google_product_category == "212"


def test_a_malformed_category_mapping_line_is_refused_with_its_number() -> None:
    with pytest.raises(SettingsErrors, match="line 2"):
        plain_settings(category_mapping="a = 1\nno equals sign")


def test_condition_from_settings() -> None:
    offer = offers(product(), condition="refurbished")[0]
    assert m.product_attributes(offer)["condition"] == "REFURBISHED"


def test_link_from_the_template() -> None:
    assert offers(product("p1"))[0].link == "https://shop.example.com/p/shirt-p1?v=v1"


def test_a_template_with_an_unknown_placeholder_is_refused() -> None:
    with pytest.raises(SettingsErrors, match="price"):
        plain_settings(product_url_template="https://x/{price}")


def test_product_input_carries_language_label_and_offer() -> None:
    settings = plain_settings(content_language="DE", feed_label="de")
    body = m.to_product_input(offers(product())[0], settings)
    assert (body["offerId"], body["contentLanguage"], body["feedLabel"]) == ("v1", "de", "DE")


def test_product_input_name_is_unpadded_base64url() -> None:
    name = m.product_input_name("1", plain_settings(), "a/b~c")
    assert (
        name.startswith("accounts/1/productInputs/") and "=" not in name and "/b" not in name[25:]
    )
