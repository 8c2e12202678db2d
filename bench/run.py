"""Run the benchmarks and print their figures in one table (nothing is asserted).

    ./run bench                          # every benchmark in bench/
    ./run bench core                     # only those whose file name starts with "core"
    ./run bench google_merchant --sizes 10000,100000   # options go to the benchmarks that take them

Each benchmark runs in its own process (each sets Django up on its own database).
Lines a benchmark prints as ``RESULT<TAB>bench<TAB>figure<TAB>value`` are gathered into the
summary table; a benchmark that prints no such line has its printed figures repeated under
the table. Everything else is shown as it comes, except HTTP access-log lines of the local
fake servers. An option (``--sizes 1000``) is passed to each selected benchmark that
declares it. Benchmarks named ``saleor_*`` need Saleor: they run with ``$SALEOR_PYTHON``
(or this Python if it imports ``saleor``) and are skipped, with the reason, otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
SKIPPED = 77  # exit status of a benchmark that cannot run here (and says why)
# "127.0.0.1 - - [01/Dec/2026 10:00:00] "GET /x HTTP/1.1" 200 -" (http.server, werkzeug)
ACCESS_LOG = re.compile(r'^(INFO:werkzeug:)?\S+ - - \[[^\]]+\] "[A-Z]+ ')
DECLARED = re.compile(r"""add_argument\(\s*["'](--[a-z0-9-]+)["']""")


def benches(prefixes: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py"})
    found = [p for p in found if not p.stem.endswith("_common")]
    if prefixes:
        found = [p for p in found if any(p.stem.startswith(x) for x in prefixes)]
    return found


def split_args(argv: list[str]) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Prefixes, then options as (``--name``, value or None) pairs."""
    prefixes: list[str] = []
    options: list[tuple[str, str | None]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if eq:
                options.append((name, value))
            elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                options.append((name, argv[i + 1]))
                i += 1
            else:
                options.append((name, None))
        else:
            prefixes.append(arg)
        i += 1
    return prefixes, options


def declared(path: Path) -> set[str]:
    return set(DECLARED.findall(path.read_text()))


def python_for(path: Path) -> tuple[str | None, str]:
    """The interpreter to run a benchmark with, or None and the reason it cannot run."""
    if not path.stem.startswith("saleor_"):
        return sys.executable, ""
    candidate = os.environ.get("SALEOR_PYTHON") or sys.executable
    probe = subprocess.run([candidate, "-c", "import saleor"], capture_output=True, check=False)
    if probe.returncode == 0:
        return candidate, ""
    return None, (
        f"skipped {path.name}: it needs a Python where `import saleor` works (Saleor 3.24) "
        "and a migrated Saleor database: "
        "SALEOR_PYTHON=<saleor venv>/bin/python DATABASE_URL=postgres://... ./run bench saleor"
    )


def run_one(python: str, path: Path, options: list[str]) -> tuple[int, list[str], list[str]]:
    """Run a benchmark; returns (exit status, RESULT lines, other lines it printed on stdout).

    Its stderr (warnings, logs) is shown as it comes but kept out of the summary; access-log
    lines of the local fake servers are dropped from both.
    """
    results: list[str] = []
    printed: list[str] = []
    hidden = [0]
    proc = subprocess.Popen(
        [python, str(path), *options],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None

    def relay_stderr(stream: IO[str]) -> None:
        for line in stream:
            if ACCESS_LOG.match(line):
                hidden[0] += 1
            else:
                print(line, end="", file=sys.stderr, flush=True)

    errors = threading.Thread(target=relay_stderr, args=(proc.stderr,), daemon=True)
    errors.start()
    for line in proc.stdout:
        if line.startswith("RESULT\t"):
            results.append(line.rstrip("\n"))
        elif ACCESS_LOG.match(line):
            hidden[0] += 1
        else:
            printed.append(line.rstrip("\n"))
            print(line, end="", flush=True)
    status = proc.wait()
    errors.join()
    if hidden[0]:
        print(f"({hidden[0]} access-log lines of the local fake servers hidden)")
    return status, results, printed


def table(rows: list[tuple[str, str, str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    header = ("bench", "figure", "value")
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines


def main(argv: list[str]) -> int:
    prefixes, options = split_args(argv)
    selected = benches(prefixes)
    if not selected:
        print(f"no benchmark in bench/ starts with {' or '.join(prefixes)}", file=sys.stderr)
        return 2
    unknown = {name for name, _ in options} - set().union(*(declared(p) for p in selected))
    if unknown:
        print(f"no selected benchmark takes {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    rows: list[tuple[str, str, str]] = []
    verbatim: list[tuple[str, list[str]]] = []
    failed: list[str] = []
    skipped: list[str] = []
    for path in selected:
        print(f"\n=== {path.name} ===", flush=True)
        python, reason = python_for(path)
        if python is None:
            print(reason)
            skipped.append(reason)
            continue
        takes = declared(path)
        own = [x for name, value in options if name in takes for x in (name, value) if x]
        started = time.monotonic()
        status, results, printed = run_one(python, path, own)
        print(f"({time.monotonic() - started:.0f} s)")
        if status == SKIPPED:
            skipped.append(printed[-1] if printed else f"skipped {path.name}")
        elif status != 0:
            failed.append(path.name)
        elif results:
            rows += [tuple(r.split("\t", 3)[1:]) for r in results]  # type: ignore[misc]
        else:
            verbatim.append((path.stem, [x for x in printed if x.strip()]))
    print("\n=== summary ===")
    if rows:
        print("\n".join(table(rows)))
    for name, lines in verbatim:
        print(f"\n{name}:")
        print("\n".join(f"  {x}" for x in lines))
    for reason in skipped:
        print(f"\n{reason}")
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
