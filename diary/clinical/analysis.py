"""What a patient's diary says about each block (docs/clinical.md §3). Plain Python.

`diary.data.loaders` turns database rows into `EntryRecord` / `BlockRecord`
(`diary.clinical.records`); the web layer calls `analyse_patient` with the clinician's
`Settings` (`diary.clinical.settings`) and shows the numbers. Nothing here knows about Flask or
the database. This module holds the patient-list statuses and the one entry point; the diary
index is `diary.clinical.diary_index`, and the rules live in

- `diary.clinical.relief`: the diary index, baseline (B0, B7), relief curve, durations,
  prolonged response;
- `diary.clinical.verdict`: technical success, peak relief in the window, verdict and its
  explanation;
- `diary.clinical.signs`: temperature asymmetry and walking times;
- `diary.clinical.repeat`: repeat timing, projected date, series review, block frequency;
- `diary.clinical.followup`: touch pain and PGIC (every block), the checkpoints and flags after
  neurolysis or RF, the Fontaine trend from clinic visits.

The app flags and charts; the consultant decides. Where the sources are silent we chose:

- Verdicts for chemical neurolysis and radiofrequency are computed with exactly the same rules
  and numbers as for local anaesthetic, so the consultant can compare like with like, but the
  block is marked `diagnostic=False` and its explanation says it is not a diagnostic block.
- A block with no pre-block pain (B0) or with B0 = 0 is uninterpretable (relief cannot be
  measured); numbness/weakness or extra medicine reported from the block itself to the end of
  the window counts (the first 15 minutes too), since either confounds the window readings.
- Relief of at least 50 % that fails the points or the two-readings rule is "partial".
- Relief percentages are floored at -100 % (pain more than doubled): below that the number
  says nothing more and would swamp a chart.
- Without B7 (no diary in the 7 days before) the relief curve has no values and durations stay
  empty: we do not fall back on B0, a single moment.
- "Did not lengthen over 2 successive blocks" means two successive blocks of the same kind that
  each lasted no longer (to dur30) than the one before (so three blocks with a known dur30);
  "3 blocks without a positive response" means the last three finished local-anaesthetic
  blocks, in a row, none positive or prolonged.
- The block-frequency warning counts local-anaesthetic blocks in any 365-day span that ends in
  the last 12 months or later (booked blocks count, so the warning comes before the block).
- Blocks later than `now` are "planned": analysed for their baseline so far, never judged.
- The "wound" status reads the latest wound answer in the whole diary (any block kind, or none):
  it depends on the entries alone, never on the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.diary_index import DailyMean, DiaryIndex
from diary.clinical.followup import NO_STAGE, FontaineTrend, fontaine_trend, latest_wound
from diary.clinical.records import (
    BlockRecord,
    EntryRecord,
    VisitRecord,
    check_block,
    check_entry,
    require_aware,
)
from diary.clinical.relief import BlockAnalysis, analyse_block
from diary.clinical.repeat import frequency, projected, repeat, series_review
from diary.clinical.settings import Settings
from diary.clinical.signs import Asymmetry, asymmetry

# -------------------------------------------------------------------------- patient results

STATUS_LABELS = {
    "wound": "Wound worse or new — tell the vascular team",
    "repeat_due": "Repeat block due",
    "relief_waning": "Relief wearing off",
    "awaiting_block_day_readings": "Waiting for block-day readings",
    "no_recent_entries": "No recent diary entries",
    "thin_baseline": "Thin baseline diary",
    "series_review": "Review the block series",
}

# §5: daily follow-up runs to day 28; after that an old block's thin baseline is not news.
FOLLOW_UP_DAYS = 28


@dataclass(frozen=True)
class PatientAnalysis:
    tz: str
    now: datetime
    settings: Settings
    blocks: list[BlockAnalysis]          # chronological, planned blocks last
    daily_means: list[DailyMean]         # (local date, mean, min, max, n), by date
    asymmetry: Asymmetry                 # all readings, outside the first hours after any block
    repeat_due: bool
    repeat_reason: str
    projected_repeat_date: date | None
    projected_repeat_reason: str
    series_review: bool
    series_review_reasons: list[str]
    frequency_warning: bool
    frequency_reason: str
    la_blocks_12m: int                   # most LA blocks in one 365-day span (see module doc)
    last_entry_at: datetime | None
    statuses: list[str]                  # keys of STATUS_LABELS, in that order
    fontaine: FontaineTrend = field(default_factory=lambda: FontaineTrend([], None, NO_STAGE))
    latest_wound: str | None = None      # the latest vocab.WOUND answer in the whole diary
    latest_wound_at: datetime | None = None

    @property
    def done_blocks(self) -> list[BlockAnalysis]:
        return [b for b in self.blocks if not b.planned]


def analyse_patient(entries: Iterable[EntryRecord], blocks: Iterable[BlockRecord],
                    settings: Settings | None, tz: str, now: datetime,
                    visits: Iterable[VisitRecord] = ()) -> PatientAnalysis:
    """Everything the consultant view and the patient list need, for one patient; `visits`
    (clinic visits with a Fontaine stage) feed only the Fontaine trend."""
    s = settings or Settings()
    zone = ZoneInfo(tz)
    require_aware(now, "now")
    entries = list(entries)
    blocks = sorted(blocks, key=lambda b: (b.performed_at, b.id))
    for e in entries:
        # Inlined: this loop runs once per entry of a possibly ten-year diary.
        if e.observed_at.tzinfo is None or type(e.pain) is not int or not 0 <= e.pain <= 10:
            check_entry(e)
    for b in blocks:
        check_block(b)

    index = DiaryIndex(entries, zone)
    block_times = [b.performed_at for b in blocks]
    analyses = []
    for i, block in enumerate(blocks):
        next_at = blocks[i + 1].performed_at if i + 1 < len(blocks) else None
        analyses.append(analyse_block(block, i + 1, next_at, index, block_times, s, now))

    done = [a for a in analyses if not a.planned]
    planned = [a for a in analyses if a.planned]
    repeat_due, repeat_reason = repeat(done, planned, index, s, now)
    projected_date, projected_reason = projected(done)
    review_reasons = series_review(done, s)
    la_count, freq_reason = frequency(analyses, s, now)
    last_entry_at = index.times[-1] if index.times else None
    wound = latest_wound(index)
    urgent_wound = wound is not None and wound.wound in vocab.URGENT_WOUNDS
    statuses = _statuses(done, planned, repeat_due, bool(review_reasons), urgent_wound,
                         last_entry_at, index, s, now)
    return PatientAnalysis(
        tz=tz, now=now, settings=s, blocks=analyses, daily_means=index.daily_means(),
        asymmetry=asymmetry(index, block_times, s),
        repeat_due=repeat_due, repeat_reason=repeat_reason,
        projected_repeat_date=projected_date, projected_repeat_reason=projected_reason,
        series_review=bool(review_reasons), series_review_reasons=review_reasons,
        frequency_warning=la_count > s.max_la_blocks_12m, frequency_reason=freq_reason,
        la_blocks_12m=la_count, last_entry_at=last_entry_at, statuses=statuses,
        fontaine=fontaine_trend(visits), latest_wound=wound.wound if wound else None,
        latest_wound_at=wound.observed_at if wound else None)


def _statuses(done: list[BlockAnalysis], planned: list[BlockAnalysis], repeat_due: bool,
              series_review: bool, urgent_wound: bool, last_entry_at: datetime | None,
              index: DiaryIndex, s: Settings, now: datetime) -> list[str]:
    """Short codes for the patient list, in STATUS_LABELS order:

    - wound: the latest wound answer in the whole diary is worse or new (§7);
    - repeat_due, series_review: as decided in diary.clinical.repeat;
    - relief_waning: the last block gave >= dur50_pct relief on some day, has since fallen
      below it (dur50 reached), is not back to baseline, and no repeat is due yet;
    - awaiting_block_day_readings: the last block's window has opened and holds fewer than
      positive_consecutive readings, until 24 h after the window's end;
    - no_recent_entries: no entry in the last no_recent_entries_days days, or none at all;
    - thin_baseline: the next booked block's baseline is thin so far or, with none booked,
      the last block's, for the 4 weeks of daily follow-up after it.
    """
    found = {"wound"} if urgent_wound else set()
    if repeat_due:
        found.add("repeat_due")
    if series_review:
        found.add("series_review")
    last = done[-1] if done else None
    if last is not None and not last.pending and not repeat_due:
        d = last.duration
        had_relief = any(p.relief_pct is not None and p.relief_pct >= s.dur50_pct
                         for p in last.relief_curve)
        if had_relief and d.dur50 is not None and d.back_to_baseline is None:
            found.add("relief_waning")
    if last is not None:
        open_until = (last.block.performed_at + timedelta(hours=s.window_hours)
                      + timedelta(hours=s.prolonged_hours_after_window))
        if (last.window_start <= now < open_until
                and last.peak.n_entries < s.positive_consecutive):
            found.add("awaiting_block_day_readings")
    if last_entry_at is None or now - last_entry_at >= timedelta(days=s.no_recent_entries_days):
        found.add("no_recent_entries")
    today = now.astimezone(index.zone).date()
    if planned:
        current = planned[0]
    elif last is not None and (today - last.local_date).days <= FOLLOW_UP_DAYS:
        current = last
    else:
        current = None
    if current is not None and current.baseline.thin:
        found.add("thin_baseline")
    return [code for code in STATUS_LABELS if code in found]
