"""The connector template: written by the command, built and installed as a separate
package, its own tests passing on the test kit (one delivery through the kernel each)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from saleor_plugins.core.management.commands.saleor_plugins_startconnector import TEMPLATE
from tests.packages import install_apart, run_its_tests

ROOT = Path(__file__).resolve().parent.parent


def test_the_template_package_passes_its_tests_on_the_kit(tmp_path: Path) -> None:
    package = tmp_path / "acme_crm"
    call_command("saleor_plugins_startconnector", "acme_crm", directory=str(package))
    site = tmp_path / "site"
    dist = install_apart(package, site)
    entry_points = (dist / "entry_points.txt").read_text()
    assert "[saleor.plugins]\nacme_crm = acme_crm.plugin:AcmeCrmPlugin" in entry_points
    assert "[saleor_plugins.integrations]\nacme_crm = acme_crm.connector" in entry_points

    tests = run_its_tests(package, site, "template")
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
