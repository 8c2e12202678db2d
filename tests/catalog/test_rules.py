"""The catalog layer's rules, once, for every provider: each test maps a product with
Google Merchant's and Meta's mapping and reads their payloads back (conftest.Provider)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from saleor_plugins.catalog import rules
from saleor_plugins.catalog.mapping import report
from saleor_plugins.core import snapshots as s
from saleor_plugins.core.settings import SettingsErrors

from .builders import CHANNEL, NOW, PAST, money, product, variant
from .conftest import Provider


def first(provider: Provider, p: s.Product, **settings: object) -> dict[str, object]:
    return provider.items(p, **settings)[0]


def test_one_item_per_variant_grouped_by_the_product(provider: Provider) -> None:
    found = provider.items(product("p9", (variant("a"), variant("b"))))
    ids = {"google_merchant": ["a", "b"], "meta": ["SKU-a", "SKU-b"]}[provider.name]
    assert [i["id"] for i in found] == ids
    assert {i["group"] for i in found} == {"p9"}


def test_title_adds_the_variant_name_only_when_there_are_several(provider: Provider) -> None:
    assert first(provider, product())["title"] == "Cotton shirt"
    two = provider.items(product(variants=(variant("S"), variant("M"))))
    assert [i["title"] for i in two] == ["Cotton shirt - Size S", "Cotton shirt - Size M"]


def test_title_and_description_are_cut_at_a_word_within_the_providers_limit(
    provider: Provider,
) -> None:
    item = first(provider, product(name="word " * 60, description="x " * 6000))
    title, description = str(item["title"]), str(item["description"])
    assert len(title) <= provider.title_max and title.endswith("…") and "wor…" not in title
    assert provider.description_max - 10 < len(description) <= provider.description_max


def test_rich_text_description_is_rendered_to_plain_text(provider: Provider) -> None:
    doc = '{"blocks": [{"type": "paragraph", "data": {"text": "<b>Soft</b> &amp; warm"}}]}'
    assert first(provider, product(description=doc))["description"] == "Soft & warm"


def test_control_characters_are_removed(provider: Provider) -> None:
    item = first(provider, product(name="Tee\x0b shirt", description="Soft\x00 cotton\x85"))
    assert (item["title"], item["description"]) == ("Tee shirt", "Soft cotton")


def test_empty_description_falls_back_to_the_name(provider: Provider) -> None:
    assert first(provider, product(description=""))["description"] == "Cotton shirt"


def test_price_in_the_channel_and_a_running_sale(provider: Provider) -> None:
    item = first(provider, product())
    assert (item["price"], item["sale_price"]) == ("19.99 USD", "")
    sale = s.ChannelPrice(
        CHANNEL, money("20"), discounted_price=money("15"), sale_ends=NOW + timedelta(days=6)
    )
    item = first(provider, product(variants=(variant(prices=(sale,)),)))
    assert (item["price"], item["sale_price"]) == ("20.00 USD", "15.00 USD")


def test_an_ended_sale_or_no_real_discount_gives_no_sale_price(provider: Provider) -> None:
    ended = s.ChannelPrice(
        CHANNEL, money("20"), discounted_price=money("15"), sale_ends=NOW - timedelta(hours=1)
    )
    same = s.ChannelPrice(CHANNEL, money("20"), discounted_price=money("20"))
    for price in (ended, same):
        assert first(provider, product(variants=(variant(prices=(price,)),)))["sale_price"] == ""


def test_variants_without_a_price_or_an_image_are_left_out_and_counted(
    provider: Provider,
) -> None:
    free = s.ChannelPrice(CHANNEL, money("0"))
    p = product(variants=(variant("a", prices=()), variant("z", prices=(free,)), variant("b")))
    assert [i["title"] for i in provider.items(p)] == ["Cotton shirt - Size b"]
    assert provider.left_out(p) == ({"price": 2}, {})
    assert provider.left_out(product(media=())) == ({"image_link": 1}, {})
    assert (
        report({"price": 2, "image_link": 1}, {})
        == "left out: 1 without image_link, 2 without price"
    )


@pytest.mark.parametrize(
    ("variant_kw", "settings", "availability"),
    [
        ({"stocks": (s.Stock("w", 3, 2),)}, {}, "in_stock"),
        ({"stocks": (s.Stock("w", 3, 3),)}, {}, "out_of_stock"),
        ({"stocks": (), "track_inventory": False}, {}, "in_stock"),
        ({"stocks": ()}, {"out_of_stock": "backorder"}, "backorder"),
        ({"preorder": True, "stocks": ()}, {}, "preorder"),
    ],
)
def test_availability_follows_stock_preorder_and_the_out_of_stock_setting(
    provider: Provider, variant_kw: dict[str, object], settings: dict[str, str], availability: str
) -> None:
    p = product(variants=(variant(**variant_kw),))
    assert first(provider, p, **settings)["availability"] == availability


def test_empty_stock_may_be_left_out(provider: Provider) -> None:
    p = product(variants=(variant(stocks=()),))
    assert provider.items(p, out_of_stock="skip") == []
    assert provider.left_out(p, out_of_stock="skip") == ({"availability": 1}, {})


def test_not_yet_available_is_left_out_unless_listed_as_preorder(provider: Provider) -> None:
    later = NOW + timedelta(days=10)
    p = product(listings=(s.ChannelListing(CHANNEL, True, available_for_purchase_at=later),))
    assert provider.items(p) == []
    assert first(provider, p, list_unavailable=True)["availability"] == "preorder"
    never = product(listings=(s.ChannelListing(CHANNEL, True, available_for_purchase_at=None),))
    assert first(provider, never, list_unavailable=True)["availability"] == "out_of_stock"


@pytest.mark.parametrize(
    "listings",
    [
        (),
        (s.ChannelListing(CHANNEL, False, available_for_purchase_at=PAST),),
        (
            s.ChannelListing(
                CHANNEL, True, available_for_purchase_at=PAST, published_at=NOW + timedelta(1)
            ),
        ),
    ],
    ids=["not in the channel", "unpublished", "published tomorrow"],
)
def test_a_product_not_visible_in_the_channel_lists_nothing_and_is_not_counted(
    provider: Provider, listings: tuple[s.ChannelListing, ...]
) -> None:
    p = product(listings=listings)
    assert provider.items(p) == [] and provider.left_out(p) == ({}, {})


def test_images_variant_first_then_product_in_sort_order(provider: Provider) -> None:
    p = product(
        media=(
            s.Media("https://i/p2.jpg", sort_order=2),
            s.Media("https://i/p1.jpg", sort_order=1),
        ),
        variants=(variant(media=(s.Media("https://i/v.jpg"),)),),
    )
    item = first(provider, p)
    assert item["image"] == "https://i/v.jpg"
    assert item["more_images"] == ["https://i/p1.jpg", "https://i/p2.jpg"]


def test_attributes_variant_before_product(provider: Provider) -> None:
    p = product(
        attributes=(
            s.Attribute("color", "Colour", ("Blue",)),
            s.Attribute("brand", "B", ("Acme",)),
        ),
        variants=(
            variant(
                attributes=(s.Attribute("color", "C", ("Red",)), s.Attribute("size", "S", ("XL",)))
            ),
        ),
    )
    item = first(
        provider, p, brand_attribute="brand", color_attribute="color", size_attribute="size"
    )
    assert (item["brand"], item["color"], item["size"]) == ("Acme", "Red", "XL")


def test_parts_shared_by_a_products_variants_stay_each_variants_own(provider: Provider) -> None:
    """Images, attributes and brands worked out once per product: each variant still
    gets its own (own media first, own values first, a blank own value falls back)."""
    p = product(
        media=(s.Media("https://i/p2.jpg", sort_order=2),
               s.Media("https://i/p1.jpg", sort_order=1)),
        attributes=(s.Attribute("color", "C", ("Blue",)), s.Attribute("brand", "B", ("Acme",))),
        variants=(
            variant("a", media=(s.Media("https://i/a.jpg"),),
                    attributes=(s.Attribute("color", "C", ("Red",)),)),
            variant("b", attributes=(s.Attribute("color", "C", ("  ",)),
                                     s.Attribute("brand", "B", ("Other " * 30,)))),
            variant("c"),
        ),
    )  # fmt: skip
    items = provider.items(p, brand_attribute="brand", color_attribute="color")
    assert [i["image"] for i in items] == [
        "https://i/a.jpg",
        "https://i/p1.jpg",
        "https://i/p1.jpg",
    ]
    assert items[0]["more_images"] == ["https://i/p1.jpg", "https://i/p2.jpg"]
    assert items[2]["more_images"] == ["https://i/p2.jpg"]
    assert [i["color"] for i in items] == ["Red", "Blue", "Blue"]
    assert items[0]["brand"] == items[2]["brand"] == "Acme"
    assert items[1]["brand"].startswith("Other Other") and items[1]["brand"].endswith("…")


def test_each_attribute_setting_takes_a_list_of_slugs_first_listed_wins(provider: Provider) -> None:
    """Product types with different size attributes: each gets its size."""
    shoe = product("shoe", (variant(attributes=(s.Attribute("shoe-size", "Size", ("42",)),)),))
    shirt = product("shirt", (variant(attributes=(s.Attribute("size", "Size", ("XL",)),)),))
    both = product("both", (variant(attributes=(s.Attribute("size", "Size", ("M",)),)),),
                   attributes=(s.Attribute("shoe-size", "Size", ("40",)),))  # fmt: skip
    settings = {"size_attribute": "shoe-size, size"}
    assert [first(provider, p, **settings)["size"] for p in (shoe, shirt, both)] == [
        "42",
        "XL",
        "40",
    ]
    assert provider.settings(**settings).size_attribute == ("shoe-size", "size")


@pytest.mark.parametrize(
    ("setting", "field", "value"),
    [
        ("brand_attribute", "brand", "Acme"),
        ("color_attribute", "color", "Red"),
        ("size_attribute", "size", "XL"),
        ("material_attribute", "material", "Wool"),
        ("mpn_attribute", "mpn", "AB-1"),
        ("gtin_attribute", "gtins", ["4006381333931"]),
        ("gender_attribute", "gender", "female"),
        ("age_group_attribute", "age_group", "kids"),
    ],
)
def test_every_attribute_setting_reads_the_second_slug_of_its_list(
    provider: Provider, setting: str, field: str, value: object
) -> None:
    text = {"female": "Women"}.get(str(value), value[0] if isinstance(value, list) else value)
    p = product(attributes=(s.Attribute("second", "X", (str(text),)),))
    assert first(provider, p, **{setting: "first,second"})[field] == value


def test_too_many_or_malformed_attribute_slugs_are_refused_naming_the_field(
    provider: Provider,
) -> None:
    with pytest.raises(SettingsErrors) as refused:
        provider.settings(size_attribute=",".join(f"s{i}" for i in range(11)))
    assert "size_attribute" in refused.value.errors
    with pytest.raises(SettingsErrors) as refused:
        provider.settings(color_attribute="colour; drop table")
    assert "color_attribute" in refused.value.errors


def test_default_brand_when_the_attribute_is_empty(provider: Provider) -> None:
    p = product(attributes=())
    assert first(provider, p, brand_attribute="brand", default_brand="House")["brand"] == "House"


def test_gender_and_age_group_accept_only_google_values(provider: Provider) -> None:
    p = product(attributes=(s.Attribute("g", "G", ("Men",)), s.Attribute("a", "A", ("Teens",))))
    item = first(provider, p, gender_attribute="g", age_group_attribute="a")
    assert (item["gender"], item["age_group"]) == ("male", "")


@pytest.mark.parametrize(
    "gtin", ["96385074", "036000291452", "4006381333931", "10012345678902", "0-36000-29145-2"]
)
def test_gtins_with_a_correct_gs1_check_digit_are_kept(provider: Provider, gtin: str) -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", (gtin,)),))
    assert first(provider, p, gtin_attribute="gtin")["gtins"] == [gtin.replace("-", "")]
    assert rules.gtin_is_valid(gtin.replace("-", ""))


def test_a_gtin_with_a_wrong_check_digit_is_dropped_and_counted(provider: Provider) -> None:
    p = product(attributes=(s.Attribute("gtin", "GTIN", ("4006381333932, 4006381333931; 12",)),))
    assert first(provider, p, gtin_attribute="gtin")["gtins"] == ["4006381333931"]
    notes = provider.left_out(p, gtin_attribute="gtin")[1]
    assert notes == {"gtin_invalid": 2}
    assert report({}, notes) == "2 GTIN values dropped (wrong length or check digit)"


def test_the_deepest_mapped_category_matches_by_slug_or_name_and_says_which(
    provider: Provider,
) -> None:
    by_slug = product("a", category_slugs=("apparel", "shirts-tops"))
    by_name = product("b", category_slugs=("apparel", "tees"))
    parent = product("c", category_slugs=("apparel", "tees"), category="tees",
                     category_path=("apparel", "tees"))  # fmt: skip
    neither = product("d", category="Hats", category_path=("Hats",), category_slugs=("hats",))
    mapping = "Shirts-Tops = 212\nshirts = 5\nApparel = 166"
    found = [first(provider, p, category_mapping=mapping)["category"]
             for p in (by_slug, by_name, parent, neither)]  # fmt: skip
    assert found == ["212", "5", "166", ""]
    notes = [provider.left_out(p, category_mapping=mapping)[1] for p in (by_slug, by_name, neither)]
    assert notes == [{"category_slug": 1}, {"category_name": 1}, {"category_unmapped": 1}]
    assert first(provider, product())["category"] == ""


def test_a_malformed_category_mapping_line_is_refused_with_its_number(provider: Provider) -> None:
    with pytest.raises(SettingsErrors, match="line 2"):
        provider.settings(category_mapping="a = 1\nno equals sign")


def test_condition_and_link_from_the_settings(provider: Provider) -> None:
    item = first(provider, product("p1"), condition="refurbished")
    assert item["condition"] == "refurbished"
    assert item["link"] == "https://shop.example.com/p/shirt-p1?v=v1"


def test_a_template_with_an_unknown_placeholder_is_refused(provider: Provider) -> None:
    with pytest.raises(SettingsErrors, match="price"):
        provider.settings(product_url_template="https://x/{price}")


@pytest.mark.parametrize("token", ["short", "x" * 31, "y" * 129, "with spaces " * 4, "é" * 40])
def test_a_weak_or_malformed_feed_token_is_refused(provider: Provider, token: str) -> None:
    with pytest.raises(SettingsErrors, match="32 to 128"):
        provider.settings(feed_token=token)
    assert provider.settings(feed_token="a" * 32).secret("feed_token") == "a" * 32


def test_feed_prices_carry_two_decimals() -> None:
    assert rules.money_text(s.Money(Decimal("0.1"), "EUR")) == "0.10 EUR"
