"""Set-up shared by the benchmarks that need a real Saleor (``bench/saleor_*.py``).

``setup(name)`` exits with status 77 (``bench/run.py`` reports it as skipped) and the
reason where this Python cannot import Saleor or ``DATABASE_URL`` names no database, and
sets Django up on Saleor's test settings otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor.tests.settings")
os.environ.setdefault("SEND_USAGE_TELEMETRY", "False")

SKIPPED = 77


def setup(name: str) -> None:
    try:
        import saleor  # noqa: F401
    except ImportError:
        reason = "this Python cannot import saleor (set SALEOR_PYTHON to a Saleor 3.24 venv)"
    else:
        if os.environ.get("DATABASE_URL"):
            import django

            django.setup()
            return
        reason = "DATABASE_URL is not set (a migrated Saleor 3.24 database)"
    print(f"skipped {name}: {reason}")
    sys.exit(SKIPPED)
