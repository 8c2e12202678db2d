"""Write a separate connector package to start from: ``saleor_plugins_startconnector NAME``.

The package (docs/writing-a-connector.md explains every file) has both entry points, a
Django app in its own namespace, typed settings with a secret, a connector for paid
orders and customers, the Saleor plugin, and tests that pass on the test kit.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...integration import check_id

TEMPLATE = Path(__file__).resolve().parent.parent / "template"
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")


def render(name: str, target: Path, *, integration_id: str = "", display: str = "") -> list[Path]:
    """Write the package ``name`` into ``target`` (which must not exist); the files written."""
    if not PACKAGE.fullmatch(name) or name.startswith("saleor"):
        raise CommandError(
            f"{name!r}: a package name in lower case (letters, digits, _), your own "
            "namespace (not saleor or saleor_plugins)"
        )
    integration_id = integration_id or f"{name}.connector"
    try:
        check_id(integration_id, "--id")
    except ValueError as e:
        raise CommandError(str(e)) from None
    if target.exists():
        raise CommandError(f"{target} exists: choose another --directory")
    values = {
        "package": name,
        "dist": name.replace("_", "-"),
        "Class": "".join(part.capitalize() for part in name.split("_")),
        "integration_id": integration_id,
        "display": display or name.replace("_", " ").title(),
    }
    written = []
    for source in sorted(TEMPLATE.rglob("*.tpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")
        if relative.parts[0] == "package":
            relative = Path(name, *relative.parts[1:])
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(source.read_text()).substitute(values))
        written.append(path)
    return written


class Command(BaseCommand):
    help = "Write a separate connector package (entry points, app, settings, connector, tests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the Python package, e.g. acme_crm")
        parser.add_argument("--directory", help="where to write it (default: ./NAME)")
        parser.add_argument("--id", default="", help="integration id (default: NAME.connector)")
        parser.add_argument("--display-name", default="", help="the name the dashboard shows")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        target = Path(options["directory"] or name)
        written = render(
            name, target, integration_id=options["id"], display=options["display_name"]
        )
        self.stdout.write(f"wrote {len(written)} files into {target}:")
        for path in written:
            self.stdout.write(f"  {path.relative_to(target)}")
        self.stdout.write(
            f"next: cd {target} && pip install -e '.[test]' && pytest "
            "(docs/writing-a-connector.md in saleor-plugins)"
        )
