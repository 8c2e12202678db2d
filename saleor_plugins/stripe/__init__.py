"""Stripe payment gateway: Payment Intents for Saleor's plugin payment API, per channel."""
