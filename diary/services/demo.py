"""A demo clinic with plausible diaries around blocks, clearly labelled DEMO.

The clinic's staff: the demo consultant (also its administrator, so the staff page can be
tried), a nurse and a records officer. The patients, and what each one shows, are in
diary/services/demo_plans.py: together they cover every verdict and every status of the
patient list (docs/clinical.md §3.5, §3.13, §7).

Everything is drawn from generators seeded by the patient's key, so the demo is the same for
the same `now`. The follow-up answers have their own generator: adding them left the rest of
the diaries as they were.
"""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.clinical import roles, vocab
from diary.clinical.localtime import offset_minutes
from diary.data.db import db
from diary.data.models import Block, ClinicVisit, Entry, Membership, Patient, User
from diary.services import audit, staff
from diary.services.demo_plans import PATIENTS, BlockPlan, PatientPlan

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for newcomers; never in production
CLINICIAN_EMAIL = "consultant@demo.example"
NURSE_EMAIL = "nurse@demo.example"
RECORDS_EMAIL = "records@demo.example"
PATIENT_EMAIL = PATIENTS[0].email
SECOND_PATIENT_EMAIL = PATIENTS[1].email

# (email, name, roles): the consultant first, the one who records and audits the demo.
STAFF = (
    (CLINICIAN_EMAIL, "Dr Demo (DEMO)", ("consultant", "admin")),
    (NURSE_EMAIL, "Nurse Demo (DEMO)", ("nurse",)),
    (RECORDS_EMAIL, "Records Demo (DEMO)", ("records",)),
)


def accounts() -> list[tuple[str, str]]:
    """Every demo sign-in (email, who it is), for `flask diary demo` to print."""
    return ([(email, roles.label(held)) for email, _, held in STAFF]
            + [(p.email, f"Patient {p.name} ({p.record}): {p.shows}") for p in PATIENTS])


def seed(now: datetime) -> User:
    """Create the demo clinic; return the consultant."""
    clinic = staff.the_clinic()
    people = [User(email=email, role="staff", name=name) for email, name, _ in STAFF]
    # One hash for every account: they share the password, and scrypt is slow by design.
    people[0].set_password(DEMO_PASSWORD)
    for person in people[1:]:
        person.password_hash = people[0].password_hash
    db.session.add_all(people)
    db.session.flush()
    clinician, nurse = people[0], people[1]
    for person, (_, _, held) in zip(people, STAFF, strict=True):
        db.session.add(Membership(user_id=person.id, clinic_id=clinic.id,
                                  roles=roles.join(held)))
        audit.record("user.create", "user", person.id, actor=clinician,
                     after={"roles": list(held), "clinic": clinic.id, "demo": True})
    for plan in PATIENTS:
        _patient(plan, clinic.id, clinician, nurse, now)
    db.session.commit()
    return clinician


def _patient(plan: PatientPlan, clinic_id: int, clinician: User, nurse: User,
             now: datetime) -> None:
    user = User(email=plan.email, role="patient", name=plan.user_name,
                password_hash=clinician.password_hash)
    patient = Patient(clinic_id=clinic_id, clinician_id=clinician.id, user=user,
                      display_name=plan.name, record_number=plan.record,
                      treated_side=plan.side, condition=plan.condition, temp_unit=plan.unit,
                      timezone=plan.tz, is_demo=True,
                      created_at=now - timedelta(days=plan.diary_days + 8))
    db.session.add(patient)
    db.session.flush()
    _diary(patient, plan, now, user, clinician, nurse, random.Random(plan.key),  # noqa: S311 - made-up data
           random.Random(f"{plan.key}-follow-up"))  # noqa: S311 - made-up data
    _visits(patient, plan.visits, now, clinician)
    audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                 actor=clinician, after={"demo": True})


def _visits(patient: Patient, visits, now: datetime, clinician: User) -> None:
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    for days_ago, stage, note in visits:
        seen = datetime.combine(today - timedelta(days=days_ago), time(11, 0),
                                ZoneInfo(patient.timezone))
        db.session.add(ClinicVisit(patient_id=patient.id, visited_on=seen.date(),
                                   fontaine=stage, note=note, recorded_by=clinician.id,
                                   created_at=seen, updated_at=seen))


def _block_time(plan: BlockPlan, today, now: datetime, tz: ZoneInfo) -> datetime:
    if plan.hours_ago is None:
        return datetime.combine(today - timedelta(days=plan.days_ago), time(10, 0), tz)
    at = now - timedelta(hours=plan.hours_ago)
    return at.replace(minute=at.minute - at.minute % 5, second=0, microsecond=0).astimezone(tz)


def _diary(patient: Patient, plan: PatientPlan, now: datetime, diarist: User,
           clinician: User, nurse: User, rng: random.Random, frng: random.Random) -> None:
    tz = ZoneInfo(patient.timezone)
    today = now.astimezone(tz).date()
    start = today - timedelta(days=plan.diary_days)
    said = dict(plan.said)
    rows: list[dict] = []
    blocks = []
    for bp in plan.blocks:
        when = _block_time(bp, today, now, tz)
        blocks.append((when, bp))
        db.session.add(_block(patient, bp, when, clinician, rng))
    day = start
    while day <= today:
        days_ago = (today - day).days
        away = any(last <= days_ago <= first for first, last in plan.gaps)
        for hour in (9, 20) if (day - start).days % 3 else (9, 14, 20):
            at = datetime.combine(day, time(hour, rng.randint(0, 50)), tz)
            if at < now - timedelta(minutes=10) and not away:
                rows.append(_entry(patient, diarist, at, _pain_at(at, blocks), rng, blocks,
                                   plan.notes, frng=frng, note=said.pop(days_ago, None)))
        for when, bp in blocks:
            if when.date() == day:
                for n, (minutes, pain) in enumerate(bp.window_pains):
                    at = when + timedelta(minutes=minutes)
                    if at < now:  # a block of today: the readings so far
                        rows.append(_entry(patient, nurse if n < bp.nurse_readings
                                           else diarist, at, pain, rng, blocks, plan.notes,
                                           block_day=True, effects=bp.window_effects))
        day += timedelta(days=1)
    # One multi-row INSERT: the unit of work's per-object bookkeeping made the demo slow.
    db.session.execute(Entry.__table__.insert(), rows)


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


FOLLOW_UP_ANSWERS = ("touch_pain", "pgic", "night_rest_pain", "wound")


def _entry(patient, by, at, pain, rng, blocks, notes, block_day=False, frng=None, note=None,
           effects=()) -> dict:
    """One diary entry's row; `by` typed it (the patient, or the nurse on their behalf)."""
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
    effects = list(effects)
    if block_day and hours_since is not None and hours_since < 3:
        effects.append("back_soreness")
    if hours_since is not None and 0 < hours_since < 24 and rng.random() < 0.3:
        effects.append("bruising")
    effects += extra.pop("side_effects", [])
    return dict(
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
        side_effects=";".join(dict.fromkeys(effects)),
        rescue_medication=score >= 7 and rng.random() < 0.3,
        # Drawn in this place, as always: the generators' order keeps the diaries the same.
        notes=(rng.choice(notes) if not block_day else "") if note is None else note,
        entered_by=by.id, created_at=at, updated_at=at,
        # Every row has the same keys, so the rows go in one INSERT.
        **{key: extra.get(key) for key in FOLLOW_UP_ANSWERS})


def _block(patient, plan: BlockPlan, when: datetime, clinician, rng) -> Block:
    pre_t, pre_o = 27.4 + rng.uniform(-0.3, 0.3), 28.9 + rng.uniform(-0.3, 0.3)
    rise = plan.warm_rise
    temps = {"pre": pre_t, "5": pre_t + rise * 0.25, "10": pre_t + rise * 0.5,
             "15": pre_t + rise * 0.75, "20": pre_t + rise * 0.95, "30": pre_t + rise}
    values = {f"temp_treated_{k}_c": round(v, 1) for k, v in temps.items()}
    values |= {f"temp_other_{k}_c": round(pre_o + rng.uniform(-0.2, 0.2), 1) for k in temps}
    return Block(patient_id=patient.id, performed_at=when,
                 utc_offset_min=offset_minutes(when),
                 side=patient.treated_side, kind=plan.kind, level=plan.level,
                 agent=plan.agent, volume_ml=10.0 if plan.kind != "radiofrequency" else None,
                 pre_pain=round(plan.pain_before), somatic_spread=plan.somatic_spread,
                 recorded_by=clinician.id, notes=plan.note, created_at=when, updated_at=when,
                 **values)
