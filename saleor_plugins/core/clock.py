"""The one clock the kernel compares times on: the database's.

Workers, web processes and beat may run on hosts whose clocks disagree; a lease or a
``not_before`` written by one and compared by another must use one clock. Every
comparison runs in SQL on ``statement_timestamp()`` (constant within a statement, moving
between statements even inside a transaction), shifted by :func:`skew`, which is zero
except where tests or an operator move time forward.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

#: SQL for "now"; statements that use it take a ``skew`` parameter (see :func:`params`).
NOW = "(statement_timestamp() + %(skew)s)"


def skew() -> timedelta:
    """How far the kernel's clock runs ahead of the database's (tests move it)."""
    return timedelta(0)


def params(**extra: Any) -> dict[str, Any]:
    return {"skew": skew(), **extra}
