"""A demo clinic with plausible diaries around blocks, clearly labelled DEMO.

Patient one (CRPS, °C, London, six weeks of diary) has two local-anaesthetic blocks: both
relieve well and wane, the second wearing off about nine days ago, so a repeat is due. Light
touch on the foot hurts less after each block (touch pain, docs/clinical.md §8), and she gives
her impression of change (PGIC) a week after each.

Patient two (PAD/CLTI, °F, New York, about twenty weeks of diary) has a test block that warms
the foot but does not help the pain (negative), then a chemical neurolysis 120 days ago whose
relief builds over three weeks (§7). He answers the weekly questions on rest pain at night and
on the ulcer of his treated foot: healing for months, then worse in the last fortnight, so the
urgent wound flag shows. Groin burning in the second and third weeks is the possible
post-sympathectomy neuralgia flag; his PGIC answers on days 7, 28, 30 and 90 include a
"much better" on day 7 that the relief of about 15 % does not bear out. The clinic saw him
three times (Fontaine IV, then III, III).

Everything is drawn from generators seeded by the patient's key, so the demo is the same for
the same `now`. The follow-up answers have their own generator: adding them left the rest of
the diaries as they were.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.localtime import offset_minutes
from diary.data.db import db
from diary.data.models import Block, ClinicVisit, Entry, Patient, User
from diary.services import audit

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for newcomers; never in production
CLINICIAN_EMAIL = "consultant@demo.example"
PATIENT_EMAIL = "patient@demo.example"
SECOND_PATIENT_EMAIL = "patient2@demo.example"


@dataclass
class BlockPlan:
    days_ago: int
    kind: str
    pain_before: float
    window_pains: tuple  # (minutes after, pain)
    relief_days: int     # days at the low level before pain climbs back
    low: float
    warm_rise: float
    agent: str
    ramp_days: int = 0   # days over which pain falls to `low` (a neurolysis works slowly)
    returns_to: float | None = None   # the pain it climbs back to (None: pain_before)
    climb_days: int = 5  # days the climb back takes
    pgic: tuple = ()     # (day after the block, vocab.PGIC code) answered that morning


PLANS = {
    "margaret": [
        BlockPlan(35, "diagnostic_la", 7.2, ((15, 5), (30, 3), (60, 2), (120, 2), (180, 2),
                                             (240, 3), (300, 3), (360, 3)), 11, 2.6, 4.1,
                  "Bupivacaine 0.25 %", pgic=((7, "much_better"),)),
        BlockPlan(14, "therapeutic_la", 7.0, ((15, 4), (30, 3), (60, 2), (120, 2), (240, 2),
                                              (360, 3)), 4, 2.4, 3.6,
                  "Bupivacaine 0.25 % + triamcinolone 40 mg", pgic=((7, "a_little_better"),)),
    ],
    "dennis": [
        BlockPlan(130, "diagnostic_la", 6.4, ((15, 6), (30, 6), (60, 5), (120, 5), (240, 6),
                                              (360, 6)), 0, 6.0, 2.6, "Lidocaine 1 %",
                  pgic=((7, "no_change"),)),
        # Phenol has no local anaesthetic: little changes in the window; relief builds later.
        BlockPlan(120, "neurolysis", 6.3, ((30, 6), (60, 6), (180, 5), (360, 5)), 104, 3.0,
                  2.2, "Phenol 6 %, 3 ml at L2 and L3", ramp_days=21, returns_to=4.6,
                  climb_days=10, pgic=((7, "much_better"), (28, "a_little_better"),
                                       (30, "much_better"), (90, "much_better"))),
    ],
}

# Days of diary before today: six weeks; for patient two from ten days before the first block.
DIARY_DAYS = {"margaret": 42, "dennis": 140}

# Patient two's clinic visits: (days before today, Fontaine stage, note).
VISITS = {
    "dennis": [
        (125, "iv", "Rest pain at night and a 1 cm ulcer on the right hallux. The test block "
                    "warmed the foot: phenol neurolysis booked. DEMO"),
        (60, "iii", "Ulcer healing, rest pain much less; sleeps in bed again. DEMO"),
        (20, "iii", "Ulcer nearly closed. Walks to the end of the road. DEMO"),
    ],
}


def seed(now: datetime) -> User:
    """Create the demo clinic; return the clinician."""
    clinician = User(email=CLINICIAN_EMAIL, role="clinician", name="Dr Demo (DEMO)")
    clinician.set_password(DEMO_PASSWORD)
    db.session.add(clinician)
    db.session.flush()
    margaret_user = User(email=PATIENT_EMAIL, role="patient", name="Margaret (DEMO)")
    margaret_user.set_password(DEMO_PASSWORD)
    margaret = Patient(clinician_id=clinician.id, user=margaret_user,
                       display_name="Margaret Hill", record_number="DEMO-001",
                       treated_side="left", condition="crps", temp_unit="C",
                       timezone="Europe/London", is_demo=True,
                       created_at=now - timedelta(days=50))
    dennis_user = User(email=SECOND_PATIENT_EMAIL, role="patient", name="Dennis (DEMO)")
    dennis_user.set_password(DEMO_PASSWORD)
    dennis = Patient(clinician_id=clinician.id, user=dennis_user, display_name="Dennis Okafor",
                     record_number="DEMO-002", treated_side="right", condition="pad_clti",
                     temp_unit="F", timezone="America/New_York", is_demo=True,
                     created_at=now - timedelta(days=DIARY_DAYS["dennis"] + 8))
    db.session.add_all([margaret, dennis])
    db.session.flush()
    for patient, key, diarist in ((margaret, "margaret", margaret_user),
                                  (dennis, "dennis", dennis_user)):
        _diary(patient, PLANS[key], now, diarist, clinician, random.Random(key),  # noqa: S311 - made-up data
               random.Random(f"{key}-follow-up"), DIARY_DAYS[key])  # noqa: S311 - made-up data
        _visits(patient, VISITS.get(key, ()), now, clinician)
        audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                     actor=clinician, after={"demo": True})
    db.session.commit()
    return clinician


def _visits(patient: Patient, visits, now: datetime, clinician: User) -> None:
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    for days_ago, stage, note in visits:
        seen = datetime.combine(today - timedelta(days=days_ago), time(11, 0),
                                ZoneInfo(patient.timezone))
        db.session.add(ClinicVisit(patient_id=patient.id, visited_on=seen.date(),
                                   fontaine=stage, note=note, recorded_by=clinician.id,
                                   created_at=seen, updated_at=seen))


def _diary(patient: Patient, plans: list[BlockPlan], now: datetime, diarist: User,
           clinician: User, rng: random.Random, frng: random.Random, diary_days: int) -> None:
    tz = ZoneInfo(patient.timezone)
    today = now.astimezone(tz).date()
    start = today - timedelta(days=diary_days)
    blocks = []
    for plan in plans:
        when = datetime.combine(today - timedelta(days=plan.days_ago), time(10, 0), tz)
        blocks.append((when, plan))
        db.session.add(_block(patient, plan, when, clinician, rng))
    day = start
    while day <= today:
        for hour in (9, 20) if (day - start).days % 3 else (9, 14, 20):
            at = datetime.combine(day, time(hour, rng.randint(0, 50)), tz)
            if at < now - timedelta(minutes=10):
                _add(patient, diarist, at, _pain_at(at, blocks), rng, blocks, frng=frng)
        for when, plan in blocks:
            if when.date() == day:
                for minutes, pain in plan.window_pains:
                    at = when + timedelta(minutes=minutes)
                    _add(patient, diarist, at, pain, rng, blocks, block_day=True)
        day += timedelta(days=1)


def _pain_at(at: datetime, blocks) -> float:
    """Baseline pain, or the relief curve of the latest block before `at`."""
    past = [(w, p) for w, p in blocks if w <= at]
    if not past:
        return blocks[0][1].pain_before
    when, plan = past[-1]
    days = (at.date() - when.date()).days
    if days < plan.ramp_days:  # relief builds day by day
        return plan.pain_before - (plan.pain_before - plan.low) * days / plan.ramp_days
    if days <= plan.relief_days:
        return plan.low
    back = plan.pain_before if plan.returns_to is None else plan.returns_to
    climb = min(1.0, (days - plan.relief_days) / plan.climb_days)  # pain returns
    return plan.low + (back - plan.low) * climb


def _follow_up(at: datetime, score: int, blocks, frng: random.Random) -> dict:
    """The answers of docs/clinical.md §7 and §8 on a diary entry: touch pain each morning,
    PGIC on the planned days, and after a neurolysis or RF the weekly questions (daily in its
    first week) on rest pain at night and the wound, with groin burning in weeks 2 and 3."""
    out: dict = {}
    morning = at.hour == 9
    past = [(w, p) for w, p in blocks if w <= at]
    when, plan = past[-1] if past else (None, None)
    day = (at.date() - when.date()).days if when is not None else None
    if morning:
        level = 2 if score >= 6 else 1 if score >= 4 else 0
        if frng.random() < 0.15:
            level = max(0, min(2, level + frng.choice((-1, 1))))
        out["touch_pain"] = list(vocab.TOUCH_PAIN)[level]
        if plan is not None:
            out["pgic"] = dict(plan.pgic).get(day)
    if plan is not None and plan.kind in vocab.NEUROLYTIC_KINDS and day >= 1:
        if morning and (day <= 7 or day % 7 == 0):
            out["night_rest_pain"] = score >= 5 or frng.random() < 0.1
            out["wound"] = ("unchanged" if day <= 20 else "healing" if day <= 105
                            else "worse")
        if not morning and 8 <= day <= 20 and frng.random() < 0.5:
            out["side_effects"] = ["groin_thigh_burning"]
    return out


def _add(patient, diarist, at, pain, rng, blocks, block_day=False, frng=None) -> None:
    score = max(0, min(10, round(pain + (0 if block_day else rng.uniform(-0.6, 0.6)))))
    extra = _follow_up(at, score, blocks, frng) if frng is not None else {}
    since = [w for w, _ in blocks if w <= at]
    hours_since = (at - since[-1]).total_seconds() / 3600 if since else None
    warm = hours_since is not None and hours_since < 8
    # A cold CRPS foot warms towards the other one while the block's relief lasts.
    treated = round(31.5 + rng.uniform(-0.4, 0.4) if warm else 30.6 - score * 0.6
                    + rng.uniform(-0.4, 0.4), 1)
    other = round(29.2 + rng.uniform(-0.4, 0.4), 1)
    walked = rng.random() > 0.15
    pain_free = max(0, int(round(30 - score * 3 + rng.uniform(-3, 3)))) if walked else None
    effects = []
    if block_day and hours_since is not None and hours_since < 3:
        effects.append("back_soreness")
    if hours_since is not None and 0 < hours_since < 24 and rng.random() < 0.3:
        effects.append("bruising")
    effects += extra.pop("side_effects", [])
    db.session.add(Entry(
        patient_id=patient.id, observed_at=at,
        utc_offset_min=offset_minutes(at), pain=score,
        temp_treated_c=treated, temp_other_c=other,
        colour="same" if warm or score <= 3 else rng.choice(["red_flushed", "blue_purple",
                                                              "mottled", "pale_white"]),
        feels="warmer" if warm else ("colder" if score >= 5 else "same"),
        walk_pain_free_min=pain_free,
        walk_max_min=(pain_free + rng.randint(2, 15)) if walked else None,
        did_not_walk=not walked,
        swelling="mild" if score >= 6 else "none",
        sweating="more" if score >= 6 else "same",
        side_effects=";".join(effects),
        rescue_medication=score >= 7 and rng.random() < 0.3,
        notes=rng.choice(["", "", "", "Slept badly.", "Walked to the shop.",
                          "Foot felt warm after the block."]) if not block_day else "",
        entered_by=diarist.id, created_at=at, updated_at=at, **extra))


def _block(patient, plan: BlockPlan, when: datetime, clinician, rng) -> Block:
    pre_t, pre_o = 27.4 + rng.uniform(-0.3, 0.3), 28.9 + rng.uniform(-0.3, 0.3)
    rise = plan.warm_rise
    temps = {"pre": pre_t, "5": pre_t + rise * 0.25, "10": pre_t + rise * 0.5,
             "15": pre_t + rise * 0.75, "20": pre_t + rise * 0.95, "30": pre_t + rise}
    values = {f"temp_treated_{k}_c": round(v, 1) for k, v in temps.items()}
    values |= {f"temp_other_{k}_c": round(pre_o + rng.uniform(-0.2, 0.2), 1) for k in temps}
    return Block(patient_id=patient.id, performed_at=when,
                 utc_offset_min=offset_minutes(when),
                 side=patient.treated_side, kind=plan.kind, level="L2-L3",
                 agent=plan.agent, volume_ml=10.0 if plan.kind != "radiofrequency" else None,
                 pre_pain=round(plan.pain_before), recorded_by=clinician.id,
                 notes="DEMO block", created_at=when, updated_at=when, **values)
