"""A connector package built, installed apart and tested, as its author would.

pip builds the package's wheel from its own pyproject (setuptools, no network) and
installs it into a directory of its own: the module and a dist-info holding its entry
points, so the package is found exactly as Saleor and the kernel find one — and this
test run's environment is left as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from saleor_plugins.testing.services import database_name


def install_apart(package: Path, site: Path) -> Path:
    """Install ``package`` into ``site``; returns its dist-info directory."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), str(package)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (dist,) = site.glob("*.dist-info")
    return dist


def run_its_tests(package: Path, site: Path, name: str) -> subprocess.CompletedProcess[str]:
    """Its own pytest run (its pyproject's settings), with ``site`` on the path."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(site)
    env["PGTESTDATABASE"] = f"{database_name()}_{name}"  # not this run's database
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=package,  # as its developer runs it
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
