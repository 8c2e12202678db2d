"""Google Merchant Center: live product sync through the Merchant API, and product feeds."""
