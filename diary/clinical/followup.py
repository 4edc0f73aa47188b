"""Follow-up after neurolysis or RF in limb ischaemia, PGIC and touch pain (docs/clinical.md
§7, §8). Plain Python.

INTERFACE (fixed: the web, export and demo code is written against these names). The bodies
are filled in by the clinical work; choices where the text is silent go in this docstring and
in docs/clinical.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from diary.clinical.records import VisitRecord

# §7: the checkpoints, in days after the block, judged on the diary days within ± the span.
CHECKPOINT_DAYS = (7, 30, 90, 180)


@dataclass(frozen=True)
class Checkpoint:
    day: int                          # 7, 30, 90 or 180
    first: date                       # local dates of the span judged, inclusive
    last: date
    state: str                        # "upcoming" (span not begun), "open" (now in it), "done"
    diary_days: int                   # days with entries in the span (0: "no diary days")
    mean_pain: float | None           # mean of the span's daily means
    relief_pct: float | None          # rest-pain relief against B7; None: no days or no B7
    temp_gain_c: float | None         # mean (treated - other) of the span minus B7 days' mean
    walk_pain_free_gain_min: float | None
    walk_max_gain_min: float | None
    walking_meaningful: bool | None   # as §3.12, against the walking before the block
    rest_pain_nights: int | None      # days with "pain woke me" in the 7 days to the checkpoint
    rest_pain_answered: int           # days answered (yes or no) in those 7 days
    wound: str | None                 # latest vocab.WOUND answer from the block to the span end
    wound_at: datetime | None
    pgic: str | None                  # vocab.PGIC answer nearest the checkpoint day
    pgic_at: datetime | None
    note: str                         # plain words: "No diary days in days 83–97." etc.


@dataclass(frozen=True)
class Flag:
    code: str                         # "wound", "pain_above_baseline", "groin_thigh_burning"
    urgent: bool
    text: str                         # plain sentence for the clinician


@dataclass(frozen=True)
class LimbFollowUp:
    """§7 for one neurolysis/RF block (BlockAnalysis.limb_follow_up; None for LA blocks)."""
    checkpoints: list[Checkpoint]     # in CHECKPOINT_DAYS order
    flags: list[Flag]                 # urgent first


@dataclass(frozen=True)
class TouchPain:
    """§8: touch pain before the block (its baseline days) against days 1-7 after."""
    before: dict[str, int]            # vocab.TOUCH_PAIN code -> answers, every code present
    after: dict[str, int]
    before_mean: float | None         # none 0, mild 1, marked 2; None: no answers
    after_mean: float | None
    change: str | None                # "less", "same", "more"; None when either side is empty
    note: str


@dataclass(frozen=True)
class PgicAnswer:
    """§8: one PGIC answer after a block, beside the relief computed for that day."""
    entry_id: str
    at: datetime
    day: int                          # local days after the block day
    answer: str                       # vocab.PGIC code
    relief_pct: float | None          # relief curve value on that day (else the latest before)
    disagreement: str | None          # plain note when the answer and relief disagree


@dataclass(frozen=True)
class FontaineTrend:
    visits: list[VisitRecord]         # with a stage, oldest first
    change: str | None                # "better", "same", "worse" (first against latest)
    text: str                         # "IIb (3 Mar) → III (9 Jun): worse"
