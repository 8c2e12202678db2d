"""${display}: a Saleor connector on the saleor-plugins kernel."""
