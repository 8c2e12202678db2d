"""A built-in demo store, so the kernel and every integration run without a Saleor.

``python -m saleor_plugins.demo`` enables every built-in integration in the store's two
channels against the provider stand-ins of :mod:`saleor_plugins.testing.providers`, has
shoppers and the merchant use the store (each write emits its event in the same
transaction, as Saleor does), runs a real Celery worker and prints the sync log as it fills,
then checks what every provider holds against the store. The kernel's tests use the same
store with the sandbox provider (:mod:`.sandbox`, :mod:`.connector`).
"""
