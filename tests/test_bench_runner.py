"""``./run bench`` on a newcomer's machine: Saleor-only benchmarks skipped with the reason,
options passed to the benchmarks that take them, access logs kept out, every figure summarised."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
assert spec is not None and spec.loader is not None
bench_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_run)

FAKE_BENCH = """
import argparse, sys
parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="10")
args = parser.parse_args()
print("127.0.0.1 - - [01/Dec/2026 10:00:00] \\"GET /x HTTP/1.1\\" 200 -", file=sys.stderr)
print("INFO:werkzeug:127.0.0.1 - - [01/Dec/2026 10:00:00] \\"POST /y HTTP/1.1\\" 200 -")
print("a warning", file=sys.stderr)
print(f"sizes {args.sizes}: 42 variants/s")
"""


def test_a_saleor_benchmark_is_skipped_with_the_reason_where_saleor_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SALEOR_PYTHON", raising=False)
    python, reason = bench_run.python_for(ROOT / "bench" / "saleor_readers.py")
    assert python is None  # the test suite's Python has no Saleor
    assert "import saleor" in reason and "SALEOR_PYTHON" in reason
    assert bench_run.python_for(ROOT / "bench" / "core_emit.py") == (sys.executable, "")


def test_options_go_only_to_the_benchmarks_that_declare_them() -> None:
    prefixes, options = bench_run.split_args(["google", "--sizes", "1000", "--runs=3"])
    assert prefixes == ["google"]
    assert options == [("--sizes", "1000"), ("--runs", "3")]
    assert bench_run.declared(ROOT / "bench" / "google_merchant_feed.py") >= {"--sizes"}
    assert "--sizes" not in bench_run.declared(ROOT / "bench" / "stripe_calls.py")


def test_access_logs_are_dropped_and_figures_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "fake_bench.py"
    script.write_text(FAKE_BENCH)
    status, results, printed = bench_run.run_one(sys.executable, script, ["--sizes", "7"])
    out, err = capsys.readouterr()
    assert status == 0 and results == []
    assert printed == ["sizes 7: 42 variants/s"]  # the figure, for the summary
    assert "GET /x" not in out + err and "POST /y" not in out + err
    assert "a warning" in err  # shown, but not taken into the summary
    assert "2 access-log lines" in out
