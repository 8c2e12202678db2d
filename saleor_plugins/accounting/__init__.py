"""The accounting layer every accounting integration shares (Xero, QuickBooks Online).

From our order snapshots it builds provider-neutral documents — contact, invoice with
lines, payments, credit notes — whose totals equal Saleor's to the cent in every
currency (:mod:`.documents`, :mod:`.build`); when a provider's own line arithmetic would
land elsewhere, an explicit rounding line makes the ledger agree with the shop
(:mod:`.rounding`). A provider folder only maps these documents onto its API.
"""
