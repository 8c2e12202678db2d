"""Stand-ins of the providers on 127.0.0.1, one module per integration.

Each answers like the real API for the calls our connector makes (through the official SDK)
and keeps what it was sent, so a test or the demo can check what the provider now holds.
The test suite and ``./run demo`` use the same ones. ``google_merchant``,
``google_tag_manager`` and ``meta`` run on ``pytest_httpserver.HTTPServer`` (the ``testing``
extra: ``pip install saleor-plugins[testing]``); the others on the standard library.
"""
