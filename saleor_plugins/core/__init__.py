"""Host-independent integration kernel: imports Django and Celery, never Saleor."""
