"""Mailchimp: audience, e-commerce store and abandoned carts, per channel."""
