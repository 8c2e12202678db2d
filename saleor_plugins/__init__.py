"""Saleor plugins connecting a store to payment, marketing, shopping and accounting systems."""

__version__ = "0.1.0"
