"""Ad platforms' normalisation rules (Meta, Google), against the examples in their docs."""

from __future__ import annotations

import hashlib

import pytest

from saleor_plugins.core import userdata


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("John_Smith@gmail.com", "john_smith@gmail.com"), ("  Mary@Example.COM ", "mary@example.com")],
)
def test_email_is_trimmed_and_lower_cased(raw: str, normalised: str) -> None:
    assert userdata.meta_email(raw) == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+1 (616) 954-78 88", "16169547888"),
        ("1(650)555-1212", "16505551212"),
        ("+44 844 412 4653", "448444124653"),
        ("0044 844 412 4653", "448444124653"),  # international 00 prefix dropped
    ],
)
def test_phone_keeps_digits_with_the_country_code(raw: str, normalised: str) -> None:
    assert userdata.meta_phone(raw) == normalised


def test_names_are_lower_case_without_punctuation_and_keep_accents() -> None:
    assert userdata.meta_name("John") == "john"
    assert userdata.meta_name("Valéry") == "valéry"
    assert userdata.meta_name("O'Neil-Smith.") == "oneilsmith"


def test_city_state_zip_country() -> None:
    assert userdata.meta_city("Menlo Park") == "menlopark"
    assert userdata.meta_city("St. Louis") == "stlouis"
    assert userdata.meta_state("CA") == "ca"
    assert userdata.meta_zip("94025-1234", "US") == "94025"
    assert userdata.meta_zip("SW1A 1AA", "GB") == "sw1a1aa"
    assert userdata.meta_country("US") == "us"
    assert userdata.meta_country("United States") == ""


def test_user_data_hashes_normalised_values_and_leaves_out_empty_ones() -> None:
    data = userdata.meta_user_data(
        email="John_Smith@gmail.com", phone="+1 (616) 954-78 88", city="Menlo Park", country="US"
    )
    assert data == {
        "em": [hashlib.sha256(b"john_smith@gmail.com").hexdigest()],
        "ph": [hashlib.sha256(b"16169547888").hexdigest()],
        "ct": hashlib.sha256(b"menlopark").hexdigest(),
        "country": hashlib.sha256(b"us").hexdigest(),
    }
    assert userdata.meta_user_data(email="", phone="n/a") == {}


def test_sha256_is_lower_case_hex_of_utf8() -> None:
    # the SHA-256 of "valéry" encoded as UTF-8, not Latin-1
    assert userdata.sha256("valéry") == hashlib.sha256("valéry".encode()).hexdigest()
    assert userdata.sha256("valéry") != hashlib.sha256("valéry".encode("latin-1")).hexdigest()


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" Ann.Lee@GMail.com", "annlee@gmail.com"),
        ("a.b@googlemail.com", "ab@googlemail.com"),
        ("A.B@Example.com", "a.b@example.com"),  # dots kept outside Gmail
        ("no-at-sign", ""),
    ],
)
def test_google_email_rules(raw: str, normalised: str) -> None:
    assert userdata.google_email(raw) == normalised


def test_google_phone_is_e164_and_names_keep_letters_only() -> None:
    assert userdata.google_phone("+33 6 12 34 56 78") == "+33612345678"
    assert userdata.google_phone("06 12 34 56 78") == ""  # no country code: not sent
    assert userdata.google_name(" Jean-Luc ") == "jeanluc"


def test_google_user_data_hashes_names_and_street_and_leaves_out_empty_values() -> None:
    data = userdata.google_user_data(
        email="Ann.Lee@gmail.com", first_name="Ann", street="1  Rue X", city="Lyon", country="fr"
    )
    assert data == {
        "sha256_email_address": [hashlib.sha256(b"annlee@gmail.com").hexdigest()],
        "address": [
            {
                "sha256_first_name": hashlib.sha256(b"ann").hexdigest(),
                "sha256_street": hashlib.sha256(b"1 rue x").hexdigest(),
                "city": "lyon",
                "country": "FR",
            }
        ],
    }
    assert userdata.google_user_data() == {}
