"""What Saleor's ``manage.py migrate`` and ``check`` will say about our apps.

Django refuses to start on a system-check error (an index name over 30 characters, a bad
field option), and a model change without its migration breaks the merchant's next
``migrate``: both are caught here, before a merchant sees them.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command


def test_no_system_check_error_in_any_of_our_apps() -> None:
    # every error: the check framework reports ours (models.E034 ...) and Saleor's alike
    errors = [m for m in checks.run_checks() if m.level >= checks.ERROR]
    assert errors == []


@pytest.mark.django_db
def test_every_model_change_has_its_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as e:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"missing migrations:\n{out.getvalue()}")
        raise AssertionError from e
