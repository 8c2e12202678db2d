"""The connector template: written by the command, built and installed as a separate
package, its own tests passing on the test kit (one delivery through the kernel each)."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from saleor_plugins.core.management.commands.saleor_plugins_startconnector import TEMPLATE
from saleor_plugins.testing.services import database_name

ROOT = Path(__file__).resolve().parent.parent


def install(package: Path, site: Path) -> None:
    """pip builds the package's wheel (its pyproject, setuptools) and installs it into
    ``site``: the module and a dist-info with its entry points, nothing else of ours."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), str(package)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def test_the_template_package_passes_its_tests_on_the_kit(tmp_path: Path) -> None:
    package = tmp_path / "acme_crm"
    call_command("saleor_plugins_startconnector", "acme_crm", directory=str(package))
    site = tmp_path / "site"
    install(package, site)
    (dist,) = site.glob("acme_crm-*.dist-info")
    entry_points = (dist / "entry_points.txt").read_text()
    assert "[saleor.plugins]\nacme_crm = acme_crm.plugin:AcmeCrmPlugin" in entry_points
    assert "[saleor_plugins.integrations]\nacme_crm = acme_crm.connector" in entry_points

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(site)
    env["PGTESTDATABASE"] = f"{database_name()}_template"  # not this run's database
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=package,  # as its developer runs it; the entry points come from pip's dist-info
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "6 passed" in tests.stdout


def test_the_template_is_shipped_in_the_wheel() -> None:
    """Every template file matches the package-data patterns that put it in the wheel."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["*"]
    files = [p.name for p in TEMPLATE.rglob("*") if p.is_file()]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files)


@pytest.mark.parametrize(
    ("name", "options", "refusal"),
    [
        ("Acme", {}, "lower case"),
        ("saleor_plugins_crm", {}, "your own"),
        ("acme_crm", {"id": "crm"}, "lower-case dotted words"),
    ],
)
def test_a_bad_name_or_id_is_refused(
    tmp_path: Path, name: str, options: dict[str, str], refusal: str
) -> None:
    with pytest.raises(CommandError, match=refusal):
        call_command(
            "saleor_plugins_startconnector", name, directory=str(tmp_path / "x"), **options
        )
    assert not (tmp_path / "x").exists()
