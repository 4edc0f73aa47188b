"""Time the patient page's server work (analysis + figures + JSON) on a 10-year diary.

    .venv/bin/python bench/bench_charts.py

The diary: 10 years of daily entries (1-4 a day, feet, walking, colour, now and then extra
medicine) plus readings every hour for 8 hours on each of 20 block days. Targets (issue 3,
"Speed"): analysis and figures together at most 100 ms, all figure JSON at most 60 KB gzipped.
It also times 2x and 4x the data (20 and 40 years) to show how the cost grows.
tests/unit/test_charts.py checks the size budget on the same diary (size is deterministic;
time is only measured here).
"""

import gzip
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diary.clinical import charts  # noqa: E402
from diary.clinical.analysis import analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord  # noqa: E402
from diary.clinical.settings import Settings

START = datetime(2015, 1, 1, tzinfo=UTC)
TZ = "Europe/London"
COLOURS = ["same"] * 6 + ["red_flushed", "pale_white", "blue_purple", "mottled"]


def build(years: float = 10, seed: int = 1) -> tuple[list[EntryRecord], list[BlockRecord]]:
    """A synthetic diary; the same years and seed always give the same records."""
    rng = random.Random(seed)
    days = round(365 * years)
    block_days = sorted(rng.sample(range(30, days - 30), round(2 * years)))
    entries, blocks = [], []
    for i, d in enumerate(block_days):
        at = START + timedelta(days=d, hours=10)
        blocks.append(BlockRecord(
            i + 1, at, rng.choice(["diagnostic_la", "therapeutic_la", "neurolysis"]),
            pre_pain=rng.randint(5, 9), temps_treated={0: 27.5, 5: 28.5, 15: 30.2, 30: 30.8},
            temps_other={0: 27.9, 30: 28.1}))
        for minutes in (15, 30, *range(60, 481, 60)):
            entries.append(EntryRecord(
                f"b{i}-{minutes}", at + timedelta(minutes=minutes), rng.randint(1, 6),
                temp_treated_c=round(rng.uniform(29, 34), 1),
                temp_other_c=round(rng.uniform(26, 29), 1), colour=rng.choice(COLOURS),
                side_effects=frozenset({"back_soreness"}) if rng.random() < 0.2 else frozenset(),
                rescue_medication=rng.random() < 0.05))
    for d in range(days):
        for slot in range(rng.randint(1, 4)):
            at = START + timedelta(days=d, hours=8 + 4 * slot, minutes=rng.randint(0, 59))
            entries.append(EntryRecord(
                f"e{d}-{slot}", at, rng.randint(2, 9),
                temp_treated_c=round(rng.uniform(25, 31), 1) if slot == 0 else None,
                temp_other_c=round(rng.uniform(25, 31), 1) if slot == 0 else None,
                colour=rng.choice(COLOURS) if slot == 0 else None,
                walk_pain_free_min=rng.randint(0, 20) if slot == 1 else None,
                walk_max_min=rng.randint(20, 40) if slot == 1 else None,
                side_effects=frozenset({"bruising"}) if rng.random() < 0.01 else frozenset(),
                rescue_medication=rng.random() < 0.02))
    rng.shuffle(entries)
    return entries, blocks


def now_for(years: float) -> datetime:
    return START + timedelta(days=round(365 * years) + 1)


def page(entries, blocks, years: float) -> tuple[dict[str, str], str]:
    """What the consultant's and the patient's pages compute: analysis, then every chart."""
    analysis = analyse_patient(entries, blocks, Settings(), TZ, now_for(years))
    charts.patient_captions(analysis, entries)
    return charts.patient_figures(analysis, entries, "C"), charts.phone_figure(analysis)


def gz(text: str) -> int:
    return len(gzip.compress(text.encode(), 6))


def best(fn, repeats: int, clock=time.process_time) -> float:
    """Fastest of a few runs. CPU time by default: on a shared machine the wall clock also
    counts other people's work; on a quiet server the two agree."""
    result = float("inf")
    for _ in range(repeats):
        t0 = clock()
        fn()
        result = min(result, clock() - t0)
    return result


def main() -> None:
    times = {}
    for scale in (1, 2, 4):
        years = 10 * scale
        entries, blocks = build(years)
        analysis = analyse_patient(entries, blocks, Settings(), TZ, now_for(years))
        t_analysis = best(lambda e=entries, b=blocks, y=years:
                          analyse_patient(e, b, Settings(), TZ, now_for(y)), 5)
        t_figures = best(lambda a=analysis, e=entries: (charts.patient_figures(a, e, "C"),
                                                        charts.patient_captions(a, e),
                                                        charts.phone_figure(a)), 5)
        t_total = best(lambda e=entries, b=blocks, y=years: page(e, b, y), 5)
        t_wall = best(lambda e=entries, b=blocks, y=years: page(e, b, y), 5, time.perf_counter)
        times[scale] = t_total
        figures, phone = page(entries, blocks, years)
        sizes = {k: (len(v), gz(v)) for k, v in figures.items()}
        print(f"{scale}x: {years} years, {len(entries):,} entries, {len(blocks)} blocks")
        print(f"    CPU: analysis {t_analysis * 1e3:6.1f} ms   figures+JSON "
              f"{t_figures * 1e3:6.1f} ms   together {t_total * 1e3:6.1f} ms "
              f"(target 100 ms at 1x; wall clock {t_wall * 1e3:.1f} ms)")
        for key, (raw, packed) in sizes.items():
            print(f"    {key:18s} {raw / 1024:7.1f} KB JSON  {packed / 1024:6.1f} KB gzip")
        total = sum(p for _, p in sizes.values())
        print(f"    {'consultant page':18s} {'':18s}{total / 1024:6.1f} KB gzip (target 60 KB)")
        print(f"    {'phone progress':18s} {len(phone) / 1024:7.1f} KB JSON  "
              f"{gz(phone) / 1024:6.1f} KB gzip")
    print(f"growth of the whole: 2x/1x = {times[2] / times[1]:.2f}, "
          f"4x/1x = {times[4] / times[1]:.2f} (linear would be 2 and 4: one pass over the "
          f"entries; the series sent are capped at {charts.MAX_BINS} points, so sizes grow "
          "less than the data)")


if __name__ == "__main__":
    main()
