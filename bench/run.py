"""Run the benchmarks and print their figures in one table (nothing is asserted).

    python bench/run.py            # every benchmark in bench/
    python bench/run.py core       # only those whose file name starts with "core"

Each benchmark runs in its own process (each sets Django up on its own database).
Lines a benchmark prints as ``RESULT<TAB>bench<TAB>figure<TAB>value`` are gathered into the
summary table; everything else it prints is shown as it comes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benches(prefixes: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py"})
    found = [p for p in found if not p.stem.endswith("_common")]
    if prefixes:
        found = [p for p in found if any(p.stem.startswith(x) for x in prefixes)]
    return found


def main(argv: list[str]) -> int:
    rows: list[tuple[str, str, str]] = []
    failed: list[str] = []
    for path in benches(argv):
        print(f"\n=== {path.name} ===", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(path)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("RESULT\t"):
                _, bench, figure, value = line.rstrip("\n").split("\t", 3)
                rows.append((bench, figure, value))
            else:
                print(line, end="", flush=True)
        if proc.wait() != 0:
            failed.append(path.name)
        print(f"({time.monotonic() - started:.0f} s)")
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        header = ("bench", "figure", "value")
        print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print("  ".join("-" * w for w in widths))
        for row in rows:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
