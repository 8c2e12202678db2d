"""Offer statuses pulled back from Merchant Center: approved, pending, disapproved, why."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .client import MerchantClient
from .models import StatusReport
from .settings import GoogleMerchantSettings

TOP_REASONS = 5


def classify(product: dict[str, Any], country: str) -> tuple[str, list[str]]:
    """(approved | pending | disapproved, reasons) of one processed product.

    Approved when some destination serves it in the target country (any country when the
    feed label is not one); disapproved when none does and one refuses it; else pending.
    """
    status = product.get("productStatus") or {}
    destinations = status.get("destinationStatuses") or []

    def where(key: str) -> bool:
        return any((country in d.get(key, [])) if country else d.get(key) for d in destinations)

    reasons = [
        str(issue.get("description") or issue.get("code") or "unknown issue")
        for issue in status.get("itemLevelIssues") or []
        if issue.get("severity") == "DISAPPROVED"
        and (not country or not issue.get("applicableCountries")
             or country in issue["applicableCountries"])
    ]  # fmt: skip
    if where("approvedCountries"):
        return "approved", reasons
    if where("disapprovedCountries") or reasons:
        return "disapproved", reasons
    return "pending", reasons


def pull(channel: str, settings: GoogleMerchantSettings, client: MerchantClient | None = None
         ) -> StatusReport:  # fmt: skip
    client = client or MerchantClient(settings)
    country = settings.feed_label if len(settings.feed_label) == 2 else ""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for product in client.iter_products():
        state, why = classify(product, country)
        counts[state] += 1
        reasons.update(set(why))
    return StatusReport.objects.create(
        channel=channel,
        approved=counts["approved"],
        pending=counts["pending"],
        disapproved=counts["disapproved"],
        top_reasons=[[r, n] for r, n in reasons.most_common(TOP_REASONS)],
    )


def summary(channel: str) -> str:
    report = StatusReport.objects.filter(channel=channel).order_by("-id").first()
    if report is None:
        return "Merchant Center: statuses not pulled yet"
    when = report.pulled_at.strftime("%Y-%m-%d %H:%M UTC")
    if report.error:
        return f"Merchant Center ({when}): status pull failed: {report.error[:200]}"
    text = (
        f"Merchant Center ({when}): {report.approved} approved, {report.pending} pending, "
        f"{report.disapproved} disapproved"
    )
    if report.top_reasons:
        text += "; top reasons: " + "; ".join(f"{r} ({n})" for r, n in report.top_reasons)
    return text
