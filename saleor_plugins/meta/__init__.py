"""Meta (Facebook and Instagram): catalog sync and Conversions API, per channel."""
