"""The audit trail in plain words and the clinic's local time, filtered and paged.

Who sees what: the events of every patient the viewer may `audit` (`patients_of`), the
patients' own sign-ins among them; the viewer's own events; and for an administrator, every
event of their clinic's staff that names no patient (invites, roles, settings, sign-ins).
A patient's sign-in names their diary (services/accounts.own_diary); older ones are found
through the patient's account.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy.orm import aliased

from diary.clinical import audit_words, limits, roles
from diary.data.db import db
from diary.data.models import AuditEvent, Membership, Patient, User
from diary.web.forms.audit import AuditFilters
from diary.web.security import patients_of, staff_required

bp = Blueprint("audit_log", __name__, url_prefix="/clinic")
PAGE = 200
MATCH_MAX = 500  # a search matching more people than this is asked to be narrowed


@dataclass(frozen=True)
class Line:
    """One event as the page shows it."""

    id: int
    at: datetime
    who: str                     # the person who acted, "" when nobody was signed in
    who_detail: str              # their email, and "patient" for a patient's own account
    what: str
    patient: str
    patient_id: int | None
    about: str                   # the thing acted on, in words
    changes: list[str]
    address: str


def _grants(m: Membership, action: str) -> bool:
    return roles.grants(roles.parse(m.roles), action)


def _clinic_zone(user: User) -> ZoneInfo:
    """The zone of the (first) clinic where the viewer may audit."""
    for m in user.memberships:
        if _grants(m, "audit"):
            return ZoneInfo(m.clinic.timezone)
    return ZoneInfo("Europe/London")


def _visible(user: User):
    """The events this viewer may read, as a WHERE clause."""
    mine = sa.select(Patient.id).where(patients_of(user, "audit"))
    accounts = sa.select(Patient.user_id).where(patients_of(user, "audit"),
                                                Patient.user_id.is_not(None))
    unnamed = AuditEvent.patient_id.is_(None)
    seen = [AuditEvent.patient_id.in_(mine),
            sa.and_(unnamed, AuditEvent.actor_id.in_(accounts)),  # a patient's, from before
            sa.and_(unnamed, AuditEvent.actor_id == user.id)]
    run = [m.clinic_id for m in user.memberships if "admin" in roles.parse(m.roles)]
    if run:
        members = sa.select(Membership.user_id).where(Membership.clinic_id.in_(run))
        named = sa.select(sa.cast(Membership.user_id, sa.String)).where(
            Membership.clinic_id.in_(run))
        seen.append(sa.and_(unnamed, sa.or_(
            AuditEvent.actor_id.in_(members),
            sa.and_(AuditEvent.object_type == "user", AuditEvent.object_id.in_(named)))))
    return sa.or_(*seen)


def _matching(rows, text: str, *columns: str) -> list:
    needle = text.casefold()
    return [r for r in rows if any(needle in (getattr(r, c) or "").casefold() for c in columns)]


def _narrowing(user: User, f: AuditFilters) -> tuple[list, str]:
    """The filters as WHERE clauses, or a note saying why nothing can match."""
    where = []
    if f.patient:
        rows = db.session.execute(
            sa.select(Patient.id, Patient.user_id, Patient.display_name, Patient.record_number)
            .where(patients_of(user, "audit"))).all()
        found = _matching(rows, f.patient, "display_name", "record_number")
        if not found:
            return [], f"No patient you may see matches “{f.patient}”."
        if len(found) > MATCH_MAX:
            return [], f"{len(found)} patients match “{f.patient}”: please type more of it."
        accounts = [r.user_id for r in found if r.user_id is not None]
        where.append(sa.or_(AuditEvent.patient_id.in_([r.id for r in found]),
                            sa.and_(AuditEvent.patient_id.is_(None),
                                    AuditEvent.actor_id.in_(accounts))))
    if f.person:
        clinics = [m.clinic_id for m in user.memberships if _grants(m, "audit")]
        staff = sa.select(Membership.user_id).where(Membership.clinic_id.in_(clinics))
        accounts = sa.select(Patient.user_id).where(patients_of(user, "audit"))
        rows = db.session.execute(sa.select(User.id, User.name, User.email).where(
            sa.or_(User.id.in_(staff), User.id.in_(accounts), User.id == user.id))).all()
        found = _matching(rows, f.person, "name", "email")
        if not found:
            return [], f"No one you may see matches “{f.person}”."
        if len(found) > MATCH_MAX:
            return [], f"{len(found)} people match “{f.person}”: please type more of it."
        ids = [r.id for r in found]
        # Their own actions, and events about their account (a refused sign-in has no actor).
        where.append(sa.or_(AuditEvent.actor_id.in_(ids),
                            sa.and_(AuditEvent.object_type == "user",
                                    AuditEvent.object_id.in_([str(i) for i in ids]))))
    if f.action:
        where.append(AuditEvent.action == f.action)
    return where, ""


def _lines(rows) -> list[Line]:
    accounts = {int(ev.object_id) for ev, *_ in rows
                if ev.object_type == "user" and ev.object_id and ev.object_id.isdigit()}
    named = dict(db.session.execute(
        sa.select(User.id, User.name).where(User.id.in_(accounts))).all()) if accounts else {}
    out = []
    for ev, name, email, role, patient, record, patient_id in rows:
        about = audit_words.object_words(ev.object_type)
        if ev.object_type == "user" and ev.object_id and ev.object_id.isdigit():
            about = f"{about}: {named.get(int(ev.object_id), 'unknown')}"
        elif ev.object_type != "patient" and ev.object_id:
            about = f"{about} {ev.object_id}"
        detail = email or ""
        if role == "patient":
            detail = f"patient · {detail}"
        out.append(Line(
            id=ev.id, at=ev.at, who=name or "", who_detail=detail,
            what=audit_words.action_words(ev.action),
            patient=f"{patient} ({record})" if patient and record else (patient or ""),
            patient_id=patient_id, about=about,
            changes=audit_words.change_lines(ev.before, ev.after),
            address=ev.remote_addr or ""))
    return out


def _page(user: User, f: AuditFilters, zone: ZoneInfo, older_than: int | None
          ) -> tuple[list[Line], int | None, str]:
    """One page of events, newest first: (lines, the cursor of the next page, a note)."""
    where, note = _narrowing(user, f)
    if note:
        return [], None, note
    actor, own = aliased(User), aliased(Patient)
    query = (sa.select(AuditEvent, actor.name, actor.email, actor.role,
                       Patient.display_name, Patient.record_number, Patient.id)
             .outerjoin(actor, actor.id == AuditEvent.actor_id)
             # A patient's own event from before their diary was named on it.
             .outerjoin(own, sa.and_(AuditEvent.patient_id.is_(None),
                                     own.user_id == AuditEvent.actor_id))
             .outerjoin(Patient, Patient.id == sa.func.coalesce(AuditEvent.patient_id, own.id))
             .where(_visible(user), *where)
             .order_by(AuditEvent.id.desc()).limit(PAGE))
    if older_than is not None:
        query = query.where(AuditEvent.id < older_than)
    if (since := f.since(zone)) is not None:
        query = query.where(AuditEvent.at >= since)
    if (until := f.until(zone)) is not None:
        query = query.where(AuditEvent.at < until)
    rows = db.session.execute(query).all()
    return _lines(rows), rows[-1][0].id if len(rows) == PAGE else None, ""


@bp.get("/audit")
@staff_required("audit")
def events():
    before = request.args.get("before", "")
    # The "Older events" link's cursor: an event id, nothing else (a number past the column
    # made the database raise, a 500).
    older_than = limits.parse_id(before) if before else None
    if before and older_than is None:
        abort(400)
    user = current_user._get_current_object()
    zone = _clinic_zone(user)
    f = AuditFilters.read()
    lines, older, note = ([], None, "") if f.errors else _page(user, f, zone, older_than)
    admin = any("admin" in roles.parse(m.roles) for m in user.memberships)
    page = render_template("clinic/audit.html", lines=lines, older=older, filters=f,
                           note=note, zone=zone, groups=audit_words.GROUPS, admin=admin,
                           paged=older_than is not None)
    return page, 400 if f.errors else 200
