"""Each Mailchimp call is the one that succeeds: a day of store events, failures counted."""

from __future__ import annotations

import pytest

from saleor_plugins.mailchimp.connector import MailchimpIntegration
from saleor_plugins.testing.providers.mailchimp import FakeMailchimp

from . import scenario
from .conftest import MemoryHost

pytestmark = pytest.mark.django_db


def test_fewer_than_two_percent_of_a_days_calls_fail(
    fake: FakeMailchimp,
    mc: MailchimpIntegration,
    host: MemoryHost,
    capsys: pytest.CaptureFixture[str],
) -> None:
    calls = scenario.run(mc, host, fake)
    with capsys.disabled():
        print(f"\nMailchimp live sync, one store day: {calls}")
    assert calls.share < 0.02, str(calls)
