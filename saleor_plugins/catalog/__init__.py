"""The catalog layer shared by every integration that lists the channel's variants with a
provider (Google Merchant Center, the Meta catalog): one item per variant, the rules that
decide its fields and whether it may be listed, the settings those rules read, the guard
that keeps a broken read from emptying the provider's catalog, and the feed token.

Each provider folder keeps only its own field names and format (Merchant API
``ProductInput``, Meta's ``items_batch`` item), its limits (:class:`.mapping.Limits`) and
its item id. No Saleor import here: it works on :mod:`saleor_plugins.core.snapshots`.
"""
