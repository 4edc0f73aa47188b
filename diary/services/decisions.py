"""The consultant's decision on a block: agree or not with the computed verdict, the plan, the
date of a repeat block and a note (one current `BlockDecision` a block).

`check` is the one rule set (the API uses it, and so will the page): a reason when not
agreeing, a plan from `vocab.DECISION_PLANS`, a date for a repeat that is not in the past (the
patient's own today), plain text of at most 1,000 characters. `decide` saves it: a create
or an update with its audit event (`decision.create`, `decision.update` with the changed
fields only; values kept as the trail keeps them, as keyed digests) and the patient's list
line marked stale, in one transaction.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from diary.clinical import limits, vocab
from diary.data.db import db
from diary.data.models import Block, BlockDecision, User
from diary.services import audit, summaries

FIELDS = ("agrees", "reason", "plan", "planned_on", "note")
TEXT_MAX = limits.NOTES_MAX

AGREES = "Please say whether you agree with the verdict (true or false)."
REASON = "Please say why you do not agree with the verdict."
PLAN = "Please choose a plan: " + ", ".join(vocab.DECISION_PLANS) + "."
REPEAT_DATE = "Please give the date of the repeat block."
DATE_FORMAT = "Please give the date as YYYY-MM-DD."
PAST = "The date cannot be in the past."
CONTROL = "Please remove the special (control) characters."


def too_long(what: str) -> str:
    return f"Please keep the {what} under {TEXT_MAX} characters."


class Invalid(ValueError):
    """The decision was refused: the message for each field at fault."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_date(text) -> date | None:
    """A YYYY-MM-DD date from 1900 to 2200, else None."""
    if not isinstance(text, str) or len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if limits.date_in_range(day) else None


def check(values: dict, today: date) -> dict[str, str]:
    """The messages for what is wrong, by field; empty when the decision can be saved.
    `values`: agrees (bool), reason, plan, note (str), planned_on (date or None)."""
    errors = {}
    agrees = values.get("agrees")
    if not isinstance(agrees, bool):
        errors["agrees"] = AGREES
    for name, what in (("reason", "reason"), ("note", "note")):
        text = values.get(name, "")
        if len(text) > TEXT_MAX:
            errors[name] = too_long(what)
        elif limits.has_control(text):
            errors[name] = CONTROL
    if agrees is False and not values.get("reason", "").strip() and "reason" not in errors:
        errors["reason"] = REASON
    if values.get("plan") not in vocab.DECISION_PLANS:
        errors["plan"] = PLAN
    planned_on = values.get("planned_on")
    if planned_on is None and values.get("plan") == "repeat":
        errors["planned_on"] = REPEAT_DATE
    elif planned_on is not None and planned_on < today:
        errors["planned_on"] = PAST
    return errors


def current(block: Block) -> BlockDecision | None:
    return db.session.scalar(sa.select(BlockDecision).where(BlockDecision.block_id == block.id))


def snapshot(decision: BlockDecision) -> dict:
    return {k: getattr(decision, k) for k in FIELDS}


def decide(block: Block, values: dict, by: User, at: datetime, today: date
           ) -> tuple[BlockDecision, str]:
    """Save the decision on this block: (row, "created" | "updated" | "unchanged").
    Raises Invalid (nothing written) when `check` finds anything wrong."""
    errors = check(values, today)
    if errors:
        raise Invalid(errors)
    clean = {"agrees": values["agrees"], "reason": values.get("reason", "").strip(),
             "plan": values["plan"], "planned_on": values.get("planned_on"),
             "note": values.get("note", "").strip()}
    decision = current(block)
    if decision is None:
        decision = BlockDecision(block_id=block.id, decided_by=by.id, decided_at=at, **clean)
        db.session.add(decision)
        try:
            db.session.flush()
        except IntegrityError:  # another request decided on this block at the same moment
            db.session.rollback()
            return decide(block, values, by, at, today)
        audit.record("decision.create", "decision", decision.id, patient_id=block.patient_id,
                     actor=by, after=snapshot(decision))
        outcome = "created"
    else:
        before = snapshot(decision)
        if before == clean:
            db.session.rollback()
            return decision, "unchanged"
        for name, value in clean.items():
            setattr(decision, name, value)
        decision.decided_by, decision.decided_at = by.id, at
        audit.record("decision.update", "decision", decision.id, patient_id=block.patient_id,
                     actor=by, before=before, after=snapshot(decision))
        outcome = "updated"
    summaries.invalidate(block.patient)
    db.session.commit()
    return decision, outcome
