[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "${dist}"
version = "0.1.0"
description = "${display} for Saleor, on the saleor-plugins kernel."
requires-python = ">=3.12"
# installed beside saleor-plugins in Saleor's environment (pip install --constraint ...)
dependencies = ["saleor-plugins"]

[project.optional-dependencies]
test = ["saleor-plugins[testing]"]

[project.entry-points."saleor.plugins"]
# key: your Django app (Saleor adds it to INSTALLED_APPS); value: the Saleor plugin class
${package} = "${package}.plugin:${Class}Plugin"

[project.entry-points."saleor_plugins.integrations"]
# key: any name; value: the module holding the @hookimpl that returns your Integration
${package} = "${package}.connector"

[tool.setuptools.packages.find]
include = ["${package}*"]

[tool.pytest.ini_options]
DJANGO_SETTINGS_MODULE = "saleor_plugins.testing.settings"
testpaths = ["tests"]
addopts = "-p no:cacheprovider"
