"""A built-in demo store and sandbox provider, so the kernel runs without a Saleor.

``python -m saleor_plugins.demo`` starts a sandbox provider on 127.0.0.1, places orders and
edits products in the demo store (each write emits its event in the same transaction, as
Saleor does), runs a real Celery worker, and prints the sync log as it fills.
The test suite uses the same store and sandbox.
"""
