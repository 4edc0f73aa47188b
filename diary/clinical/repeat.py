"""Repeat timing, series review and block frequency (docs/clinical.md §3, "Repeat timing
and series review"), from the per-block analyses. See diary.clinical.analysis for the choices made
where the sources are silent.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from diary.clinical import vocab
from diary.clinical.wording import fmt_date

if TYPE_CHECKING:
    from diary.clinical.diary_index import DiaryIndex
    from diary.clinical.relief import BlockAnalysis
    from diary.clinical.settings import Settings


def repeat(done: list[BlockAnalysis], planned: list[BlockAnalysis], index: DiaryIndex,
           s: Settings, now: datetime) -> tuple[bool, str]:
    """Due when the last block was positive (or prolonged), its relief has waned, at least
    repeat_min_days local calendar days have passed and no next block is booked yet. Never
    after a neurolysis or RF block: its follow-up is the §7 checkpoints and flags."""
    if not done:
        return False, "Not due: no block has been done yet."
    last = done[-1]
    when = fmt_date(last.local_date)
    if planned:
        booked = fmt_date(planned[0].local_date)
        return False, f"Not due: the next block is already booked for {booked}."
    if last.limb_follow_up is not None:  # §7: a treatment followed up, not a test to repeat
        kind = vocab.BLOCK_KINDS[last.kind].lower()
        return False, (f"Not judged: the block on {when} was a {kind}, a treatment followed up "
                       "at its checkpoints (days 7, 30, 90, 180), not a diagnostic block.")
    if last.pending:
        return False, f"Not due: the window of the block on {when} is still open."
    if last.verdict != "positive" and not last.prolonged.present:
        return False, (f"Not due: the block on {when} was {last.verdict}, not positive, "
                       "and gave no prolonged relief.")
    d = last.duration
    if not d.waned:
        so_far = f" (still relieved on day {d.days_so_far})" if d.still_relieved else ""
        return False, f"Not due: relief from the block on {when} has not waned yet{so_far}."
    days_since = (now.astimezone(index.zone).date() - last.local_date).days
    if days_since < s.repeat_min_days:
        return False, (f"Not due yet: relief from the block on {when} waned on day {d.dur30}, but "
                       f"only {days_since} days have passed (at least {s.repeat_min_days}).")
    good = "positive" if last.verdict == "positive" else "followed by prolonged relief"
    return True, (f"Repeat due: the block on {when} was {good}, relief waned on day {d.dur30} "
                  f"and {days_since} days have passed (at least {s.repeat_min_days}).")


def projected(done: list[BlockAnalysis]) -> tuple[date | None, str]:
    if not done:
        return None, "No block has been done yet."
    last = done[-1]
    kind = vocab.BLOCK_KINDS[last.kind].lower()
    durations = [a.duration.dur30 for a in done[:-1]
                 if a.kind == last.kind and a.duration.dur30 is not None]
    if not durations:
        return None, (f"No earlier {kind} block with a known time until relief waned, "
                      "so no date can be projected.")
    median = statistics.median(durations)
    # Rounded down: better to review a day early than after the relief has gone.
    projected = last.local_date + timedelta(days=math.floor(median))
    n = len(durations)
    return projected, (f"{fmt_date(projected)}: the block on {fmt_date(last.local_date)} plus the "
                       f"median time until relief waned ({median:g} days) of {n} earlier "
                       f"{kind} block{'s' if n != 1 else ''}.")


def series_review(done: list[BlockAnalysis], s: Settings) -> list[str]:
    reasons = []
    finished = [a for a in done if not a.pending]
    if finished:
        same = [a for a in finished if a.kind == finished[-1].kind]
        current = same[-1]
        if current.duration.dur30 is None:
            prev = same[-2] if len(same) > 1 else None
            # A block still relieved beyond the last one's duration has already lengthened.
            outlasted = (prev is not None and prev.duration.dur30 is not None
                         and current.duration.days_so_far is not None
                         and current.duration.days_so_far > prev.duration.dur30)
            same = [] if outlasted else same[:-1]
        tail = same[-(s.series_no_lengthening + 1):]
        durs = [a.duration.dur30 for a in tail]
        if (len(tail) == s.series_no_lengthening + 1 and None not in durs
                and all(b <= a for a, b in zip(durs, durs[1:], strict=False))):
            shown = " → ".join(str(d) for d in durs)
            reasons.append(f"Relief did not last longer over {s.series_no_lengthening} successive "
                           f"blocks (days until relief waned: {shown}).")
    la = [a for a in finished if a.diagnostic]
    tail = la[-s.series_blocks_without_positive:]
    if (len(tail) == s.series_blocks_without_positive
            and not any(a.verdict == "positive" or a.prolonged.present for a in tail)):
        shown = ", ".join(f"{fmt_date(a.local_date)} {a.verdict}" for a in tail)
        reasons.append(f"{len(tail)} local-anaesthetic blocks in a row without a positive "
                       f"response ({shown}).")
    return reasons


def frequency(analyses: list[BlockAnalysis], s: Settings, now: datetime) -> tuple[int, str]:
    la = [a for a in analyses if a.diagnostic]
    recent_from = now - timedelta(days=365)
    best, best_end, start = 0, None, 0
    for end, a in enumerate(la):
        while la[start].block.performed_at <= a.block.performed_at - timedelta(days=365):
            start += 1
        count = end - start + 1
        if a.block.performed_at >= recent_from and count > best:
            best, best_end = count, a
    if best_end is None:
        return 0, "No local-anaesthetic blocks in the last 12 months."
    verdict = (f"more than {s.max_la_blocks_12m}" if best > s.max_la_blocks_12m
               else f"the limit is {s.max_la_blocks_12m}")
    return best, (f"{best} local-anaesthetic block{'s' if best != 1 else ''} in the 12 months to "
                  f"{fmt_date(best_end.local_date)} ({verdict}).")
