"""What secrets cost: parsing a configuration and scrubbing log lines (printed, not asserted).

    python bench/core_secrets.py [--lines N]

The scrubber finds secrets by fixed-length prefixes, so registering a long key and
scrubbing a log line cost the same whatever the secrets' sizes. The baseline is the
former design (one alternation pattern over every whole secret, recompiled on each new
secret), measured here in the same process on the same lines.
"""

from __future__ import annotations

import argparse
import re
import time

from saleor_plugins.core import secrets
from saleor_plugins.core.settings import ChannelSettings, Kind, SettingsErrors, setting


class Probe(ChannelSettings):
    key: str = setting("", label="Key", kind=Kind.SECRET_MULTILINE)


def result(figure: str, value: str) -> None:
    print(f"RESULT\tcore_secrets\t{figure}\t{value}", flush=True)


def whole_secret_pattern(values: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000, help="log lines scrubbed per run")
    args = parser.parse_args()

    small = [f"sk_live_{i:04d}_0123456789abcdef" for i in range(20)]
    header = "-----BEGIN PRIVATE KEY-----"
    short_key = header + "A" * 40
    big_key = header + "B" * 16_000  # the largest secret settings accept
    line = ("GET /v3/lists?count=10&offset=0 200 " + "x" * 200 + " ") * 4

    def measure(extra: str) -> tuple[float, float, float, float]:
        """(our scrub/line, our register, baseline scrub/line, baseline compile)."""
        secrets._values.clear()
        secrets._by_prefix.clear()
        secrets._pattern = None
        for value in small:
            secrets.register(value)
        started = time.perf_counter()
        secrets.register(extra)
        register = time.perf_counter() - started
        timed(lambda: [secrets.scrub(line) for _ in range(args.lines)], 1)  # warm up
        ours = timed(lambda: [secrets.scrub(line) for _ in range(args.lines)], 5)
        started = time.perf_counter()
        old = whole_secret_pattern([*small, extra])
        compile_old = time.perf_counter() - started
        timed(lambda: [old.sub("*", line) for _ in range(args.lines)], 1)
        base = timed(lambda: [old.sub("*", line) for _ in range(args.lines)], 5)
        return ours / args.lines, register, base / args.lines, compile_old

    measure(short_key)  # warm up the interpreter and the regex cache
    ours_s, reg_s, base_s, comp_s = measure(short_key)
    ours_b, reg_b, base_b, comp_b = measure(big_key)

    huge = "A" * 1_000_000
    started = time.perf_counter()
    try:
        Probe.parse({"key": huge})
    except SettingsErrors:
        pass
    refuse_ms = (time.perf_counter() - started) * 1000

    us = 1e6
    result("scrub per line, 21 keys, one of 67 chars (us)", f"{ours_s * us:.1f}")
    result("scrub per line, 21 keys, one of 16 kB (us)", f"{ours_b * us:.1f}")
    result("ratio 16 kB / 67-char key", f"{ours_b / ours_s:.2f}")
    result("baseline ratio (whole-secret pattern)", f"{base_b / base_s:.2f}")
    result("register a 67-char / 16 kB key (ms)", f"{reg_s * 1000:.3f} / {reg_b * 1000:.3f}")
    result("baseline compile 67-char / 16 kB (ms)", f"{comp_s * 1000:.2f} / {comp_b * 1000:.2f}")
    result("refuse a 1 MB value at save (ms)", f"{refuse_ms:.2f}")


if __name__ == "__main__":
    main()
