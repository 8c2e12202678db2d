"""Google Tag Manager and GA4: the storefront's container per channel, purchases and
refunds sent server-side once."""
