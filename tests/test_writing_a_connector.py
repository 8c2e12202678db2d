"""docs/writing-a-connector.md cannot drift: its files are written out, installed as a
separate package and its tests run on the kit; every other Python block must compile."""

from __future__ import annotations

import re
from pathlib import Path

from tests.packages import install_apart, run_its_tests

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "writing-a-connector.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
FILE = re.compile(r"# file: (\S+)\n")


def blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(GUIDE.read_text())


def test_the_guides_package_installs_and_passes_its_tests(tmp_path: Path) -> None:
    package = tmp_path / "acme_crm"
    files = {}
    for _, body in blocks():
        named = FILE.match(body)
        if named:
            files[named.group(1)] = body
    assert {"pyproject.toml", "acme_crm/connector.py", "tests/test_acme_crm.py"} <= set(files)
    for name, body in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(body)
    site = tmp_path / "site"
    install_apart(package, site)
    tests = run_its_tests(package, site, "guide")
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "2 passed" in tests.stdout


def test_every_other_python_block_compiles() -> None:
    snippets = [b for lang, b in blocks() if lang == "python" and not FILE.match(b)]
    for snippet in snippets:
        compile(snippet, str(GUIDE), "exec")
