"""Time analyse_patient on a synthetic 10-year diary, and at 2x and 4x that size.

    python bench/bench_analysis.py

The target is well under 50 ms at 1x (3,650 days, a few readings a day, 20 blocks with hourly
readings on the block day); the ratios should be close to 2 and 4 (linear, give or take log n).
"""

import gc
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diary.analysis import BlockRecord, EntryRecord, Settings, analyse_patient  # noqa: E402

START = datetime(2015, 1, 1, tzinfo=UTC)
TZ = "Europe/London"


def build(years: float, seed: int = 1) -> tuple[list[EntryRecord], list[BlockRecord]]:
    rng = random.Random(seed)
    days = round(365 * years)
    n_blocks = round(2 * years)
    block_days = sorted(rng.sample(range(30, days - 30), n_blocks))
    blocks, entries = [], []
    for i, d in enumerate(block_days):
        at = START + timedelta(days=d, hours=10)
        blocks.append(BlockRecord(
            i + 1, at, rng.choice(["diagnostic_la", "therapeutic_la", "neurolysis"]),
            pre_pain=rng.randint(5, 9), temps_treated={0: 27.5, 5: 28.5, 15: 30.2, 30: 30.8},
            temps_other={0: 27.9, 30: 28.1}, long_acting=rng.random() < 0.3))
        for minutes in (15, 30, *range(60, 481, 60)):
            entries.append(EntryRecord(f"b{i}-{minutes}", at + timedelta(minutes=minutes),
                                       rng.randint(1, 6), side_effects=frozenset()))
    for d in range(days):
        for slot in range(rng.randint(1, 4)):
            at = START + timedelta(days=d, hours=8 + 4 * slot, minutes=rng.randint(0, 59))
            entries.append(EntryRecord(
                f"e{d}-{slot}", at, rng.randint(2, 9),
                temp_treated_c=round(rng.uniform(25, 31), 1) if slot == 0 else None,
                temp_other_c=round(rng.uniform(25, 31), 1) if slot == 0 else None,
                walk_pain_free_min=rng.randint(0, 20) if slot == 1 else None,
                walk_max_min=rng.randint(20, 40) if slot == 1 else None,
                rescue_medication=rng.random() < 0.02))
    rng.shuffle(entries)
    return entries, blocks


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
