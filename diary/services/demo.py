"""A demo clinic with six weeks of plausible diaries around blocks, clearly labelled DEMO.

Patient one (CRPS, °C, London) has two local-anaesthetic blocks: both relieve well and
wane, the second wearing off about nine days ago, so a repeat is due. Patient two
(PAD/CLTI, °F, New York) has a block that warms the foot but does not help the pain
(negative), then a radiofrequency treatment that is still helping.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.clinical.localtime import offset_minutes
from diary.data.db import db
from diary.data.models import Block, Entry, Patient, User
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


PLANS = {
    "margaret": [
        BlockPlan(35, "diagnostic_la", 7.2, ((15, 5), (30, 3), (60, 2), (120, 2), (180, 2),
                                             (240, 3), (300, 3), (360, 3)), 11, 2.6, 4.1,
                  "Bupivacaine 0.25 %"),
        BlockPlan(14, "therapeutic_la", 7.0, ((15, 4), (30, 3), (60, 2), (120, 2), (240, 2),
                                              (360, 3)), 4, 2.4, 3.6,
                  "Bupivacaine 0.25 % + triamcinolone 40 mg"),
    ],
    "dennis": [
        BlockPlan(30, "diagnostic_la", 6.4, ((15, 6), (30, 6), (60, 5), (120, 5), (240, 6),
                                             (360, 6)), 0, 6.0, 2.6, "Lidocaine 1 %"),
        BlockPlan(9, "radiofrequency", 6.3, ((30, 5), (60, 4), (180, 3), (360, 3)), 60, 3.0,
                  2.2, "Radiofrequency 80 °C, 90 s, L2-L4"),
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
                     created_at=now - timedelta(days=50))
    db.session.add_all([margaret, dennis])
    db.session.flush()
    for patient, key, diarist in ((margaret, "margaret", margaret_user),
                                  (dennis, "dennis", dennis_user)):
        _diary(patient, PLANS[key], now, diarist, clinician, random.Random(key))  # noqa: S311 - made-up data
        audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                     actor=clinician, after={"demo": True})
    db.session.commit()
    return clinician


def _diary(patient: Patient, plans: list[BlockPlan], now: datetime, diarist: User,
           clinician: User, rng: random.Random) -> None:
    tz = ZoneInfo(patient.timezone)
    today = now.astimezone(tz).date()
    start = today - timedelta(days=42)
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
                _add(patient, diarist, at, _pain_at(at, blocks), rng, blocks)
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
    if days <= plan.relief_days:
        return plan.low
    climb = min(1.0, (days - plan.relief_days) / 5)  # pain returns over about five days
    return plan.low + (plan.pain_before - plan.low) * climb


def _add(patient, diarist, at, pain, rng, blocks, block_day=False) -> None:
    score = max(0, min(10, round(pain + (0 if block_day else rng.uniform(-0.6, 0.6)))))
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
        entered_by=diarist.id, created_at=at, updated_at=at))


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
