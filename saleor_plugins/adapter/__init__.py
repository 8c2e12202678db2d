"""The Saleor adapter: the only code in this package that imports ``saleor``."""
