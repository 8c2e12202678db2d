# the test kit's fixtures (broker, clock, memory_host, provider_server, provide); pytest
# reads pytest_plugins only in the top-level conftest.py
pytest_plugins = ["saleor_plugins.testing.fixtures"]
