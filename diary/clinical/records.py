"""The analysis's inputs: a diary entry and a block as plain, checked records.

`diary.data.loaders` builds them from database rows. Times are timezone-aware UTC;
temperatures are °C.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from diary.clinical import vocab


@dataclass(frozen=True)
class EntryRecord:
    id: str
    observed_at: datetime            # timezone-aware (UTC)
    pain: int                        # 0-10
    temp_treated_c: float | None = None
    temp_other_c: float | None = None
    colour: str | None = None        # vocab.COLOURS code
    walk_pain_free_min: int | None = None
    walk_max_min: int | None = None
    did_not_walk: bool = False
    side_effects: frozenset[str] = frozenset()   # vocab.SIDE_EFFECTS codes
    rescue_medication: bool = False
    touch_pain: str | None = None    # vocab.TOUCH_PAIN code (§8)
    night_rest_pain: bool | None = None   # None: not asked or not answered (§7)
    wound: str | None = None         # vocab.WOUND code (§7)
    pgic: str | None = None          # vocab.PGIC code (§8)


@dataclass(frozen=True)
class BlockRecord:
    id: int
    performed_at: datetime           # timezone-aware (UTC)
    kind: str                        # vocab.BLOCK_KINDS code
    pre_pain: int | None = None
    # minute after block -> °C; key 0 = before the block; keys from vocab.CLINIC_TEMP_MINUTES
    temps_treated: Mapping[int, float] = field(default_factory=dict)
    temps_other: Mapping[int, float] = field(default_factory=dict)
    somatic_spread: bool = False
    confirmed_other_means: bool = False
    long_acting: bool = False        # long-acting agent: schedule asks hourly to 8 h, not 6 h


@dataclass(frozen=True)
class VisitRecord:
    """A clinic visit (§7): the Fontaine stage the clinician recorded on that local date."""
    id: int
    visited_on: date
    fontaine: str | None = None      # vocab.FONTAINE code
    note: str = ""


def require_aware(dt: datetime, what: str) -> None:
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {dt!r}")


def check_entry(e: EntryRecord) -> None:
    require_aware(e.observed_at, f"entry {e.id} observed_at")
    if isinstance(e.pain, bool) or not isinstance(e.pain, int) or not 0 <= e.pain <= 10:
        raise ValueError(f"entry {e.id}: pain must be a whole number 0-10, got {e.pain!r}")


def check_block(b: BlockRecord) -> None:
    require_aware(b.performed_at, f"block {b.id} performed_at")
    if b.kind not in vocab.BLOCK_KINDS:
        raise ValueError(f"block {b.id}: unknown kind {b.kind!r}")
    if b.pre_pain is not None and not 0 <= b.pre_pain <= 10:
        raise ValueError(f"block {b.id}: pre_pain must be 0-10, got {b.pre_pain!r}")
