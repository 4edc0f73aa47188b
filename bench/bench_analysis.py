"""Time analyse_patient on a synthetic 10-year diary, and at 2x and 4x that size.

    python bench/bench_analysis.py

The target is well under 50 ms at 1x (3,650 days, a few readings a day, 20 blocks with hourly
readings on the block day); the ratios should be close to 2 and 4 (linear, give or take log n).
"""

import gc
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The same synthetic diary the chart benchmark draws, so the two figures compare.
from bench_charts import START, TZ, build  # noqa: E402

from diary.clinical.analysis import analyse_patient
from diary.clinical.settings import Settings  # noqa: E402


def best_time(entries, blocks, repeats: int = 7) -> float:
    now = START + timedelta(days=round(max(b.performed_at for b in blocks).toordinal()
                                       - START.toordinal()) + 40)
    settings = Settings()
    best = float("inf")
    for _ in range(repeats):
        gc.collect()  # start each run from the same heap, so the sizes compare fairly
        t0 = time.perf_counter()
        analyse_patient(entries, blocks, settings, TZ, now)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    # The web layer loads entries ORDER BY observed_at; shuffled input shows the cost of the
    # sort and of objects scattered in memory (cache misses grow a little with size).
    for order in ("time order", "shuffled"):
        results = []
        for scale in (1, 2, 4):
            entries, blocks = build(10 * scale)
            if order == "time order":
                entries.sort(key=lambda e: e.observed_at)
            seconds = best_time(entries, blocks)
            results.append(seconds)
            print(f"{order:10s} {scale}x: {len(entries):6d} entries, {len(blocks):3d} blocks: "
                  f"{seconds * 1000:7.1f} ms")
        print(f"{order:10s} ratios: 2x/1x = {results[1] / results[0]:.2f}, "
              f"4x/1x = {results[2] / results[0]:.2f}")


if __name__ == "__main__":
    main()
