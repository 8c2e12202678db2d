"""What a newcomer reads must hold on their machine: the README, docs/ and the docstrings.

- no absolute path of a developer's machine (a home directory, a venv's location) anywhere in
  the repository's text: commands in docs run from the repository root;
- the README's first commands are the two set-up commands, and every ``./run <task>`` the
  docs mention is a task ``run`` has;
- the README's settings table lists every ``SALEOR_PLUGINS_*`` setting the code reads, and
  nothing the code does not read.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "dist", "build", "var", "__pycache__"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".sh", ".yml", ".yaml"}

# /work/..., /home/me/..., /root/..., /Users/me/... (not a URL path such as http://x/home/),
# and the names venvs on developers' machines had
MACHINE_PATH = re.compile(
    r"(?<![\w.~:/-])/(?:work|home|root|Users|opt|srv|mnt)/|\bsaleor-env\b|\bvenv3\d+\b"
)
SETTING_READ = re.compile(
    r"""getattr\(\s*\w*settings\s*,\s*["'](SALEOR_PLUGINS_[A-Z0-9_]+)["']"""
    r"|\bsettings\.(SALEOR_PLUGINS_[A-Z0-9_]+)\b"
)


def text_files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(p in SKIP_DIRS or p.endswith((".egg-info", "_cache")) for p in rel.parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name == "run"):
            found.append(path)
    return found


def machine_paths(text: str) -> list[tuple[int, str]]:
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if MACHINE_PATH.search(line)
    ]


def test_the_pattern_finds_machine_paths_and_only_those() -> None:
    assert machine_paths("Run: /work/venv312/bin/python bench/x.py")
    assert machine_paths("SALEOR_PYTHON=/home/me/saleor/.venv/bin/python ./run saleor-tests")
    assert machine_paths("cd /root/saleor")
    assert not machine_paths("SALEOR_PYTHON=<saleor venv>/bin/python ./run saleor-tests")
    assert not machine_paths("pip freeze > /tmp/saleor-pins.txt; .venv/bin/python -m pytest")
    assert not machine_paths("https://example.com/home/page and docs/stripe.md")


def test_no_machine_paths_in_docs_docstrings_or_code() -> None:
    this = Path(__file__).resolve()
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line}"
        for path in text_files()
        if path != this
        for n, line in machine_paths(path.read_text(errors="replace"))
    ]
    assert hits == [], "absolute paths of a machine:\n" + "\n".join(hits)


def test_readme_opens_with_the_two_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    commands = [
        line.split("#")[0].strip()
        for line in first_block.splitlines()[1:]
        if line.split("#")[0].strip()
    ]
    assert commands == ["./run demo", "./run tests"]
    assert readme.index("./run demo") < 1500  # on the first screen


def test_every_run_task_the_docs_mention_exists() -> None:
    run = (ROOT / "run").read_text()
    tasks = set(re.findall(r"^  ([a-z][a-z-]*)\)", run, re.MULTILINE))
    assert {"demo", "tests", "lint", "bench", "wheel", "saleor-tests"} <= tasks
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    mentioned = {
        (doc.name, task)
        for doc in docs
        for task in re.findall(r"\./run ([a-z][a-z-]*)", doc.read_text())
    }
    assert {(doc, task) for doc, task in mentioned if task not in tasks} == set()


def test_settings_table_lists_every_setting_the_code_reads() -> None:
    read = {
        name
        for path in (ROOT / "saleor_plugins").rglob("*.py")
        for match in SETTING_READ.finditer(path.read_text())
        for name in match.groups()
        if name
    }
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(SALEOR_PLUGINS_[A-Z0-9_]+)` \|", readme, re.MULTILINE))
    assert "SALEOR_PLUGINS_REDIS_URL" in read  # the scan sees the code
    assert read - documented == set(), "settings the README does not document"
    assert documented - read == set(), "settings the README documents that nothing reads"
